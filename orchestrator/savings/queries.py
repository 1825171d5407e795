"""The report's aggregate queries. Each returns a few grouped rows; no run or item is loaded one by one.

Runs carry their own counters (items succeeded/failed/cancelled, robot seconds, the manual and exception
minutes of their robot when queued), so most figures come from `runs` alone; only the split of failures by
kind and the failure reasons read `items`, through the covering index `ix_items_status_run`.

Buckets are local days, weeks (from Monday) or months in the project's time zone: PostgreSQL computes them
with `timezone()`/`date_trunc()`, SQLite with a small deterministic function registered on the connection.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, String, and_, case, func, literal, or_, select

from orchestrator.ledger.tables import items, runs
from orchestrator.savings.period import UTC, Period, bucket_label

FAILED = "failed"


@dataclass
class Sums:
    """Additive totals from which every figure is derived."""

    runs: int = 0
    runs_failed: int = 0
    succeeded: int = 0
    failed: int = 0
    failed_business: int = 0
    cancelled: int = 0
    robot_seconds: float = 0.0
    manual_minutes: float = 0.0
    exception_minutes: float = 0.0

    def add(self, other: Sums) -> None:
        self.runs += other.runs
        self.runs_failed += other.runs_failed
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.failed_business += other.failed_business
        self.cancelled += other.cancelled
        self.robot_seconds += other.robot_seconds
        self.manual_minutes += other.manual_minutes
        self.exception_minutes += other.exception_minutes


@functools.lru_cache(maxsize=100_000)
def _sqlite_bucket(stamp: str | None, zone: str, grain: str) -> str | None:
    if stamp is None:
        return None
    moment = dt.datetime.fromisoformat(stamp)
    return bucket_label(moment, grain, ZoneInfo(zone))


def bucket(conn: Connection, column: Any, grain: str | None, zone: str) -> Any:
    """A SQL expression naming the local bucket of a timestamp column (or one constant bucket)."""
    if grain is None:
        return literal("all", String)
    if conn.dialect.name == "postgresql":
        local = func.timezone(zone, column)
        return func.to_char(func.date_trunc(grain, local), "YYYY-MM" if grain == "month" else "YYYY-MM-DD")
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.create_function("retake_bucket", 3, _sqlite_bucket,
                                                          deterministic=True)
        return func.retake_bucket(column, zone, grain, type_=String)
    raise NotImplementedError(f"reports support SQLite and PostgreSQL, not {conn.dialect.name}")


def _in_period(period: Period, robot: str | None) -> list[Any]:
    where = []
    if period.start is not None:
        where.append(runs.c.queued_at >= period.start)
    if period.end is not None:
        where.append(runs.c.queued_at < period.end)
    if robot:
        where.append(runs.c.robot == robot)
    return where


def run_sums(conn: Connection, period: Period, *, robot: str | None, grain: str | None) -> dict[tuple[str, str], Sums]:
    """(robot, bucket) -> Sums, runs' counters plus the business share of failures."""
    key = bucket(conn, runs.c.queued_at, grain, period.timezone).label("bucket")
    where = _in_period(period, robot)
    query = (select(runs.c.robot, key, func.count().label("runs"),
                    func.sum(case((runs.c.status == FAILED, 1), else_=0)).label("runs_failed"),
                    func.sum(runs.c.items_succeeded).label("succeeded"),
                    func.sum(runs.c.items_failed).label("failed"),
                    func.sum(runs.c.items_cancelled).label("cancelled"),
                    func.sum(runs.c.robot_seconds).label("robot_seconds"),
                    func.sum(runs.c.items_succeeded * runs.c.manual_minutes).label("manual_minutes"),
                    func.sum(runs.c.items_failed * runs.c.exception_minutes).label("exception_minutes"))
             .where(*where).group_by(runs.c.robot, key))
    out: dict[tuple[str, str], Sums] = {}
    for row in conn.execute(query):
        out[(row.robot, row.bucket)] = Sums(
            runs=int(row.runs), runs_failed=int(row.runs_failed or 0), succeeded=int(row.succeeded or 0),
            failed=int(row.failed or 0), cancelled=int(row.cancelled or 0),
            robot_seconds=float(row.robot_seconds or 0), manual_minutes=float(row.manual_minutes or 0),
            exception_minutes=float(row.exception_minutes or 0))
    per_run = (select(items.c.run_id, func.count().label("business"))
               .where(and_(items.c.status == FAILED, items.c.error_kind == "business"))
               .group_by(items.c.run_id).subquery())
    split = (select(runs.c.robot, key, func.sum(per_run.c.business).label("business"))
             .select_from(runs.join(per_run, per_run.c.run_id == runs.c.id))
             .where(*where).group_by(runs.c.robot, key))
    for row in conn.execute(split):
        sums = out.setdefault((row.robot, row.bucket), Sums())
        sums.failed_business = int(row.business or 0)
    retried = _retried(key, where)
    for row in conn.execute(retried):
        sums = out.setdefault((row.robot, row.bucket), Sums())
        sums.exception_minutes -= float(row.minutes or 0)
    return out


def _retried(key: Any, where: list[Any]) -> Any:
    """(robot, bucket, minutes): the exception minutes of failed items that a later rerun took again. A
    person did not handle those by hand; the item is charged once, in the last run that took it. A rerun
    takes an item again when it reruns the item's run, or reruns the same parent later (a rerun of a run
    that was rerun once already, after a first rerun failed for want of a secret, say)."""
    failed, own, child = items.alias("failed_item"), runs.alias("failed_run"), runs.alias("rerun")
    again = items.alias("rerun_item")
    later_sibling = and_(own.c.parent_run_id.is_not(None), child.c.parent_run_id == own.c.parent_run_id,
                         child.c.queued_at > own.c.queued_at)
    per_run = (select(failed.c.run_id, func.count(func.distinct(failed.c.id)).label("retried"))
               .select_from(failed.join(own, own.c.id == failed.c.run_id)
                            .join(child, or_(child.c.parent_run_id == failed.c.run_id, later_sibling))
                            .join(again, and_(again.c.run_id == child.c.id, again.c.key == failed.c.key)))
               .where(failed.c.status == FAILED).group_by(failed.c.run_id).subquery())
    return (select(runs.c.robot, key, func.sum(per_run.c.retried * runs.c.exception_minutes).label("minutes"))
            .select_from(runs.join(per_run, per_run.c.run_id == runs.c.id))
            .where(*where).group_by(runs.c.robot, key))


def failure_reasons(conn: Connection, period: Period, *, robot: str | None, examples: int = 10) -> list[dict[str, Any]]:
    """Failed items per (robot, error kind, step), most frequent first; the first `examples` reasons carry the
    message of their latest item, so a manager can tell what the reason means."""
    where = [items.c.status == FAILED, *_in_period(period, robot)]
    count = func.count().label("count")
    query = (select(runs.c.robot, items.c.error_kind, items.c.error_step, count,
                    func.max(items.c.id).label("latest"))
             .select_from(items.join(runs, items.c.run_id == runs.c.id))
             .where(*where)
             .group_by(runs.c.robot, items.c.error_kind, items.c.error_step)
             .order_by(count.desc(), runs.c.robot, items.c.error_kind, items.c.error_step))
    reasons = [{"robot": r.robot, "error_kind": r.error_kind or "unknown", "step": r.error_step,
                "count": int(r.count), "latest": r.latest} for r in conn.execute(query)]
    wanted = [r["latest"] for r in reasons[:examples]]
    messages = dict(conn.execute(select(items.c.id, items.c.error_message).where(items.c.id.in_(wanted)))
                    .all()) if wanted else {}
    for position, reason in enumerate(reasons):
        latest = reason.pop("latest")
        if position < examples:
            reason["example"] = messages.get(latest)
    return reasons


def first_run_at(conn: Connection, period: Period, *, robot: str | None) -> dt.datetime | None:
    value = conn.execute(select(func.min(runs.c.queued_at)).where(*_in_period(period, robot))).scalar()
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


_indexed: set[str] = set()
_index_lock = threading.Lock()


def ensure_indexes(engine: Engine) -> None:
    """Create the report's indexes on ledgers made before they existed (Alembic's 0003 does the same)."""
    from orchestrator.web.tables import REPORT_INDEXES

    key = str(engine.url)
    with _index_lock:
        if key in _indexed:
            return
        for index in REPORT_INDEXES:
            index.create(engine, checkfirst=True)
        _indexed.add(key)
