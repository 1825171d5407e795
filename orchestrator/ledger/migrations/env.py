"""Alembic environment of the ledger. `ensure_schema()` passes its connection; the `alembic` command
line works too with RETAKE_DATABASE_URL (or sqlalchemy.url) set."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from orchestrator.ledger.schema import load_metadata

config = context.config
target_metadata = load_metadata()


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url") or os.environ["RETAKE_DATABASE_URL"],
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    from orchestrator.ledger.db import normalize

    url = config.get_main_option("sqlalchemy.url") or normalize(os.environ["RETAKE_DATABASE_URL"])
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
