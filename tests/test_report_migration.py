"""Migration 0003_web creates the web side's tables and the report's indexes, and removes them again."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import Table, create_engine, inspect

import orchestrator

VERSION = Path(orchestrator.__file__).parent / "ledger" / "migrations" / "versions" / "0003_web.py"


def migration():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("migration_0003_web", VERSION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_upgrade_then_downgrade(database: str, request, tmp_path: Path) -> None:  # noqa: ANN001
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import MetaData

    from orchestrator.ledger.tables import metadata

    url = request.getfixturevalue("postgres_url") if database == "postgresql" else f"sqlite:///{tmp_path}/m.db"
    engine = create_engine(url)
    before = MetaData()  # runs and items as 0001 makes them, without the report's indexes
    for name in ("runs", "items"):
        Table(name, before, *[c._copy() for c in metadata.tables[name].columns])
    before.create_all(engine)
    step = migration()
    assert (step.revision, step.down_revision) == ("0003_web", "0002_scheduling")
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        step.upgrade()
    seen = inspect(engine)
    assert {"api_tokens", "alerts_sent"} <= set(seen.get_table_names())
    assert "ix_items_status_run" in {i["name"] for i in seen.get_indexes("items")}
    assert "ix_runs_robot_queued" in {i["name"] for i in seen.get_indexes("runs")}
    token_columns = {c["name"] for c in seen.get_columns("api_tokens")}
    from orchestrator.web.tables import alerts_sent, api_tokens

    assert token_columns == {c.name for c in api_tokens.columns}
    assert {c["name"] for c in seen.get_columns("alerts_sent")} == {c.name for c in alerts_sent.columns}
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        step.downgrade()
    seen = inspect(engine)
    assert not {"api_tokens", "alerts_sent"} & set(seen.get_table_names())
    assert "ix_items_status_run" not in {i["name"] for i in seen.get_indexes("items")}
    engine.dispose()
