"""Engines: SQLite beside robots.yaml by default, RETAKE_DATABASE_URL for PostgreSQL (or another SQLite)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(root: Path | None = None) -> str:
    url = os.environ.get("RETAKE_DATABASE_URL")
    if url:
        return normalize(url)
    if root is None:
        raise ValueError("no project folder and no RETAKE_DATABASE_URL: cannot place the ledger")
    state = root / ".retake"
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state / 'retake.db'}"


def normalize(url: str) -> str:
    """postgres:// and postgresql:// use psycopg 3, the driver Retake installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_for(url: str) -> Engine:
    """One engine per URL per process, with the schema in place."""
    with _lock:
        if url in _engines:
            return _engines[url]
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        from orchestrator.ledger.schema import ensure_schema

        ensure_schema(engine)
        _engines[url] = engine
        return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def reading(engine: Engine) -> Connection:
    """A connection for reads only (`with reading(engine) as conn:`). On SQLite its transaction does not
    take the write lock, so a dashboard or a report reading the ledger never holds up a worker writing it
    (WAL: readers see the last commit and block nobody). Writes go through `engine.begin()`."""
    return engine.connect().execution_options(retake_read_only=True)


def _sqlite_begin(conn: Connection) -> None:
    """Take SQLite's write lock when a writing transaction starts: a read-then-write transaction (claiming
    an item, closing a run) cannot then fail with "database is locked" when another process or thread
    writes too. A connection from `reading` begins a plain (deferred) transaction."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("retake_read_only") else "BEGIN IMMEDIATE")


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
