"""Ledger writes and reads. Every write is one transaction, so a crash loses no finished item."""

from __future__ import annotations

import datetime as dt
import secrets as _random
from typing import Any

from sqlalchemy import Engine, and_, func, insert, select, update

from orchestrator.ledger.tables import artifacts, attempts, checkpoints, items, runs
from orchestrator.states import OPEN_ITEM_STATES, ItemStatus, RunStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_run_id() -> str:
    return utcnow().strftime("%Y%m%d-%H%M%S-") + _random.token_hex(3)


def _row(row: Any) -> dict[str, Any] | None:
    return dict(row._mapping) if row is not None else None


class Ledger:
    def __init__(self, engine: Engine):
        self.engine = engine

    # runs -----------------------------------------------------------------
    def create_run(self, *, robot: str, project: str, inputs: dict[str, Any], manual_minutes: float,
                   exception_minutes: float, trigger: str = "manual", queue: str = "default",
                   parent_run_id: str | None = None, project_dir: str | None = None,
                   run_id: str | None = None) -> str:
        run_id = run_id or new_run_id()
        with self.engine.begin() as conn:
            conn.execute(insert(runs).values(
                id=run_id, project=project, robot=robot, status=RunStatus.QUEUED.value, trigger=trigger,
                inputs=inputs, parent_run_id=parent_run_id, queue=queue, manual_minutes=manual_minutes,
                exception_minutes=exception_minutes, queued_at=utcnow(), project_dir=project_dir))
        return run_id

    def start_run(self, run_id: str, entries: list[tuple[str, Any]]) -> bool:
        """Record the run's items (once: a redelivered start changes nothing). False when already started."""
        with self.engine.begin() as conn:
            status = conn.execute(select(runs.c.status).where(runs.c.id == run_id).with_for_update()).scalar()
            if status != RunStatus.QUEUED.value:
                return False
            if entries:
                conn.execute(insert(items), [
                    {"run_id": run_id, "idx": i, "key": str(key)[:500], "data": data,
                     "status": ItemStatus.PENDING.value, "attempts": 0}
                    for i, (key, data) in enumerate(entries)])
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                status=RunStatus.RUNNING.value, started_at=utcnow(), items_total=len(entries)))
        return True

    def fail_run(self, run_id: str, error: str, status: RunStatus = RunStatus.FAILED) -> bool:
        now = utcnow()
        with self.engine.begin() as conn:
            started = conn.execute(select(runs.c.started_at).where(runs.c.id == run_id)).scalar()
            result = conn.execute(update(runs).where(and_(
                runs.c.id == run_id, runs.c.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]))).values(
                status=status.value, error=error, finished_at=now, started_at=started or now,
                duration_s=(now - _aware(started)).total_seconds() if started else 0.0))
        return result.rowcount == 1

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return _row(conn.execute(select(runs).where(runs.c.id == run_id)).first())

    def find_run(self, prefix: str) -> dict[str, Any] | None:
        """A run by its id or a unique start of it."""
        exact = self.get_run(prefix)
        if exact:
            return exact
        with self.engine.connect() as conn:
            found = conn.execute(select(runs).where(runs.c.id.like(prefix + "%")).limit(2)).all()
        return _row(found[0]) if len(found) == 1 else None

    def list_runs(self, *, robot: str | None = None, status: str | None = None,
                  limit: int = 20) -> list[dict[str, Any]]:
        query = select(runs).order_by(runs.c.queued_at.desc(), runs.c.id.desc()).limit(limit)
        if robot:
            query = query.where(runs.c.robot == robot)
        if status:
            query = query.where(runs.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # items ----------------------------------------------------------------
    def claim_item(self, run_id: str, idx: int, worker: str) -> dict[str, Any] | None:
        """Mark an item running and return it; None when it is already finished (at-least-once delivery)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(items).where(and_(items.c.run_id == run_id, items.c.idx == idx))
                               .with_for_update()).first()
            if row is None or row.status not in OPEN_ITEM_STATES:
                return None
            conn.execute(update(items).where(items.c.id == row.id).values(
                status=ItemStatus.RUNNING.value, started_at=row.started_at or utcnow(),
                attempts=row.attempts + 1, worker=worker))
            return {**row._mapping, "status": ItemStatus.RUNNING.value, "attempts": row.attempts + 1}

    def finish_item(self, item_id: int, *, status: ItemStatus, output: Any = None, error_kind: str | None = None,
                    error_message: str | None = None, error_step: str | None = None) -> str | None:
        """Record an item's end; returns the run's final status when this was its last open item."""
        now = utcnow()
        counter = {ItemStatus.SUCCEEDED: runs.c.items_succeeded, ItemStatus.FAILED: runs.c.items_failed,
                   ItemStatus.CANCELLED: runs.c.items_cancelled}[status]
        with self.engine.begin() as conn:
            row = conn.execute(select(items.c.run_id, items.c.started_at, items.c.status)
                               .where(items.c.id == item_id).with_for_update()).first()
            if row is None or row.status not in OPEN_ITEM_STATES:
                return None
            duration = (now - _aware(row.started_at)).total_seconds() if row.started_at else 0.0
            conn.execute(update(items).where(items.c.id == item_id).values(
                status=status.value, finished_at=now, duration_s=duration, output=output,
                error_kind=error_kind, error_message=error_message, error_step=error_step))
            conn.execute(update(runs).where(runs.c.id == row.run_id).values(
                {counter: counter + 1, runs.c.robot_seconds: runs.c.robot_seconds + duration}))
        return self.complete_if_done(row.run_id)

    def complete_if_done(self, run_id: str) -> str | None:
        """Close the run exactly once when no item is open; the caller that closes it gets the status."""
        with self.engine.begin() as conn:
            open_items = conn.execute(select(func.count()).select_from(items).where(and_(
                items.c.run_id == run_id, items.c.status.in_(OPEN_ITEM_STATES)))).scalar()
            if open_items:
                return None
            run = conn.execute(select(runs).where(runs.c.id == run_id)).first()
            if run is None or run.status != RunStatus.RUNNING.value:
                return None
            final = final_status(run.items_total, run.items_succeeded, run.items_failed, run.items_cancelled)
            now = utcnow()
            result = conn.execute(update(runs).where(and_(
                runs.c.id == run_id, runs.c.status == RunStatus.RUNNING.value)).values(
                status=final.value, finished_at=now,
                duration_s=(now - _aware(run.started_at)).total_seconds() if run.started_at else 0.0))
        return final.value if result.rowcount == 1 else None

    def run_items(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(items).where(items.c.run_id == run_id).order_by(items.c.idx))]

    def item_counts(self, run_id: str) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(items.c.status, func.count()).where(items.c.run_id == run_id)
                                .group_by(items.c.status)).all()
        return {status: count for status, count in rows}

    # attempts, artifacts, checkpoints -----------------------------------------
    def record_attempt(self, item_id: int, *, step: str, number: int, status: str, started_at: dt.datetime,
                       duration_s: float, error_kind: str | None = None, error_message: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(attempts).values(
                item_id=item_id, step=step, number=number, status=status, started_at=started_at,
                duration_s=duration_s, error_kind=error_kind, error_message=error_message))

    def attempts_for(self, run_id: str) -> list[dict[str, Any]]:
        query = (select(attempts, items.c.idx).join(items, attempts.c.item_id == items.c.id)
                 .where(items.c.run_id == run_id).order_by(items.c.idx, attempts.c.id))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def add_artifacts(self, run_id: str, item_id: int | None, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(artifacts), [
                {"run_id": run_id, "item_id": item_id, "kind": e["kind"], "path": e["path"],
                 "step": e.get("step"), "created_at": utcnow()} for e in entries])

    def artifacts_for(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id))]

    def checkpoint(self, item_id: int, step: str, output: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(checkpoints).values(item_id=item_id, step=step, output=output, done=True))

    def checkpoints_for(self, item_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(checkpoints.c.step, checkpoints.c.output)
                                .where(checkpoints.c.item_id == item_id)).all()
        return {step: output for step, output in rows}


def final_status(total: int, succeeded: int, failed: int, cancelled: int) -> RunStatus:
    if cancelled and not succeeded and not failed:
        return RunStatus.CANCELLED
    if failed == 0 and cancelled == 0:
        return RunStatus.SUCCEEDED
    if succeeded == 0:
        return RunStatus.FAILED
    return RunStatus.PARTIAL


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
