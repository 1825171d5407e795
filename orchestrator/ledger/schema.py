"""Putting the schema in place: `alembic upgrade head`, run from Python, on SQLite and PostgreSQL.

Each feature that keeps tables lists its table module in TABLE_MODULES (for Alembic's autogenerate and
the test comparing migrations with the models) and adds a migration under `migrations/versions/`
(revision ids "0001_core", "0002_scheduling", ... each naming the previous one as `down_revision`).
A database already at head costs one small query per process; concurrent first starts (several workers
on a fresh database) are serialized by an advisory lock (PostgreSQL) or a lock file (SQLite).
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, inspect, text

from orchestrator.ledger.db import reading
from orchestrator.ledger.tables import metadata

TABLE_MODULES = [
    "orchestrator.ledger.tables",
    "orchestrator.scheduling.tables",
    "orchestrator.web.tables",
]

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_ID = 7_310_415  # PostgreSQL advisory lock held while migrating
_lock = threading.Lock()


def load_metadata() -> MetaData:
    for module in TABLE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # a feature not installed in this build
            continue
    return metadata


def alembic_config(connection: Connection | None = None):  # noqa: ANN201
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    return frozenset(MigrationContext.configure(connection).get_current_heads())


def ensure_schema(engine: Engine) -> None:
    """Upgrade the database to the newest migration (quick no-op when it is already there)."""
    load_metadata()
    heads = head_revisions()
    with reading(engine) as conn:
        if current_revisions(conn) == heads:
            return
    with _lock, _migration_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        if current_revisions(conn) == heads:
            return
        _adopt_unversioned(conn)
        from alembic import command

        command.upgrade(alembic_config(conn), "heads")


def _adopt_unversioned(conn: Connection) -> None:
    """A ledger made before migrations existed (tables, no alembic_version): complete it and mark it 0001."""
    names = set(inspect(conn).get_table_names())
    if "runs" not in names or "alembic_version" in names:
        return
    from alembic import command

    from orchestrator.ledger.tables import artifacts, attempts, checkpoints, items, runs, slots, workers

    metadata.create_all(conn, tables=[runs, items, attempts, artifacts, checkpoints, workers, slots],
                        checkfirst=True)
    command.stamp(alembic_config(conn), "0001_core")


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Between processes on one SQLite file (PostgreSQL uses its advisory lock)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrate.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
