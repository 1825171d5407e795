"""Databases: `sql.query` (rows) and `sql.execute` (changes, one transaction) through SQLAlchemy.

Values reach the database only as bound parameters (`:name` in the SQL, `params:` beside it), never
pasted into the text. One engine per run (and worker thread) per URL, disposed at the run's end. Rows come
back JSON-friendly (see `plain`), so steps, `items:` and the ledger can hold them. A statement the
database refuses (a duplicate key, a bad value, an unknown table) is a business error with the
database's message; a connection that fails or drops is an application error (retried).
docs/actions/sql.md is the manual.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.actions import action
from orchestrator.errors import ApplicationError, BusinessError

# SQLite reports mistakes in the statement as OperationalError: these are not worth a retry.
SQLITE_STATEMENT_ERRORS = ("no such table", "no such column", "syntax error", 'near "', "has no column",
                           "already exists", "incomplete input")
STATEMENT_SHOWN = 300  # characters of the statement a message shows (whole, up to this length)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueryArgs(Strict):
    url: str = Field(description='A SQLAlchemy URL, usually "{{ secrets.DB_URL }}".')
    sql: str = Field(description="One statement; values as :name placeholders.")
    params: dict[str, Any] = Field(default_factory=dict, description="Values of the :name placeholders.")


@action("sql.query", args=QueryArgs)
def sql_query(ctx, args: QueryArgs) -> list[dict[str, Any]]:
    """Rows of a SELECT as mappings: `sql.query: {url: "{{ secrets.DB_URL }}", sql: "select * from t"}`.

    Values go in `params:` and the SQL names them `:name`: `sql: "select * from orders where id = :id",
    params: {id: "{{ item.id }}"}`."""
    return run_query(ctx.session, args.url, args.sql, args.params)


class ExecuteArgs(QueryArgs):
    many: list[dict[str, Any]] | None = Field(None, description="One parameter mapping per row: an executemany.")

    @model_validator(mode="after")
    def _params_or_many(self) -> ExecuteArgs:
        if self.many is not None and self.params:
            raise ValueError("give `params:` (one statement) or `many:` (one per row), not both")
        return self


@action("sql.execute", args=ExecuteArgs, effect=True)
def sql_execute(ctx, args: ExecuteArgs) -> dict[str, Any]:
    """Change data in one transaction: `sql.execute: {url: ..., sql: "insert into paid (id) values (:id)", many: ...}`.

    `params:` runs the statement once, `many:` once per mapping. Output: {rowcount} (and rows for RETURNING)."""
    from sqlalchemy import text

    engine = _engine(ctx.session, args.url)
    if args.many is not None and not args.many:
        return {"rowcount": 0}
    with _errors(args.sql), engine.begin() as conn:
        result = conn.execute(text(args.sql), args.many if args.many is not None else args.params)
        rows = [plain(dict(row)) for row in result.mappings()] if result.returns_rows else None
        count = max(result.rowcount, 0)
    if rows is None:
        return {"rowcount": count}
    return {"rowcount": count or len(rows), "rows": rows}  # SQLite counts RETURNING rows as 0


def run_query(session: Any, url: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of one SELECT through the run's engine for `url` (also the `query(...)` expression function)."""
    from sqlalchemy import text

    engine = _engine(session, url)
    with _errors(sql), engine.connect() as conn:
        result = conn.execute(text(sql), params or {})
        if not result.returns_rows:
            raise BusinessError("sql.query: the statement returns no rows; use sql.execute to change data")
        rows = [plain(dict(row)) for row in result.mappings()]
        conn.rollback()
    return rows


def plain(value: Any) -> Any:
    """A database value as JSON: dates and times as ISO text, Decimal as a number when a float holds it
    exactly (12.50 -> 12.5) else as text, bytes as base64, UUIDs as text, intervals in seconds."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value() and abs(value) < 2 ** 53:
            return int(value)
        number = float(value)
        return number if decimal.Decimal(repr(number)) == value else str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _engine(session: Any, url: str) -> Any:
    key = hashlib.sha1(url.encode()).hexdigest()[:12]
    return session.resource(f"sql:{key}", lambda: _open_engine(_project_url(session, url)))


def _project_url(session: Any, url: str) -> Any:
    """The URL as SQLAlchemy reads it; a relative SQLite file is in the project folder."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BusinessError("sql: url is not a database URL; write it like postgresql+psycopg://user@host/db "
                            "or sqlite:///data/app.db (a file in the project)") from None
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith(
            "file:") and not Path(database).is_absolute():
        parsed = parsed.set(database=str(session.resolve(database)))
    return parsed


@contextmanager
def _open_engine(url: Any) -> Iterator[Any]:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = url.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2) \
            if url.get_backend_name() != "sqlite" else create_engine(url)
    except NoSuchModuleError:
        raise BusinessError(f"sql: no driver for {url.drivername!r} ({shown}); install it or use e.g. "
                            "postgresql+psycopg, mysql+pymysql, mssql+pyodbc, sqlite") from None
    except (ArgumentError, ImportError) as exc:
        raise BusinessError(f"sql: cannot use {shown}: {exc}") from None
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _errors(sql: str) -> Iterator[None]:
    """Database errors as Retake's two kinds, with the database's own message (not the parameters)."""
    from sqlalchemy import exc

    statement = shown_statement(sql)
    try:
        yield
    except (exc.IntegrityError, exc.DataError, exc.ProgrammingError, exc.NotSupportedError) as error:
        raise BusinessError(f"sql: {_message(error)} (in: {statement})") from None
    except exc.OperationalError as error:
        message = _message(error)
        if not error.connection_invalidated and any(p in message for p in SQLITE_STATEMENT_ERRORS):
            raise BusinessError(f"sql: {message} (in: {statement})") from None
        raise ApplicationError(f"sql: the database did not answer: {message}") from None
    except exc.DBAPIError as error:
        raise ApplicationError(f"sql: {_message(error)} (in: {statement})") from None
    except (exc.TimeoutError, exc.DisconnectionError) as error:
        raise ApplicationError(f"sql: {error}") from None
    except exc.StatementError as error:  # not from the database: e.g. a :name without a value in params
        message = str(error.orig if error.orig is not None else error).split(" (Background on this error")[0]
        hint = "; give it under `params:`" if "bind parameter" in message else ""
        raise BusinessError(f"sql: {message}{hint} (in: {statement})") from None


def shown_statement(sql: str, limit: int = STATEMENT_SHOWN) -> str:
    """The statement for a message, on one line: whole up to `limit` characters, else cut before the word or
    `:name` the limit falls in, with " ..." (a cut `values (:order_no, :` reads as a mistake in the SQL)."""
    text = " ".join(sql.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    if re.match(r"[\w:]", text[limit]):
        head = re.sub(r"[\w:]+$", "", head)
    return head.rstrip() + " ..."


def _message(error: Any) -> str:
    """The database's message without SQLAlchemy's copy of the statement and its parameters, nor a row's
    values: PostgreSQL's `DETAIL: Failing row contains (PO-004, Umbrella Corp, ...)` shows a whole row (names,
    amounts) in logs and the ledger; the message keeps the constraint's name, which says what failed."""
    lines = [line.strip() for line in str(error.orig).splitlines() if line.strip()]
    lines = [line for line in lines if not re.match(r"DETAIL:\s*Failing row contains", line)]
    return " ".join(lines[:3])[:500] or type(error.orig).__name__
