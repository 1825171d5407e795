"""Runs in the ledger: created, started, closed exactly once, cancelled, timed out, rerun."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, bindparam, exists, func, insert, select, update

from orchestrator.ledger.db import reading
from orchestrator.ledger.rows import as_dict, aware, final_status, new_run_id, utcnow
from orchestrator.ledger.tables import checkpoints, items, runs
from orchestrator.states import OPEN_ITEM_STATES, ItemStatus, RunStatus

OPEN_RUN_STATES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)

# Built once: the statements a waiting client and every chunk run (SQLAlchemy then skips building and
# keying them per call).
_GET_RUN = select(runs).where(runs.c.id == bindparam("run_id"))
_RUN_STATUS = select(runs.c.status).where(runs.c.id == bindparam("run_id"))
_RUN_FOR_UPDATE = select(runs.c.status, runs.c.started_at).where(runs.c.id == bindparam("run_id")).with_for_update()
_ITEM_TOTALS = (select(items.c.status, func.count(), func.sum(items.c.duration_s))
                .where(items.c.run_id == bindparam("run_id")).group_by(items.c.status))
_ANY_OPEN = select(exists().where(and_(items.c.run_id == bindparam("run_id"), items.c.status.in_(OPEN_ITEM_STATES))))


class RunStore:
    engine: Engine

    def create_run(self, *, robot: str, project: str, inputs: dict[str, Any], manual_minutes: float,
                   exception_minutes: float, trigger: str = "manual", queue: str = "default",
                   parent_run_id: str | None = None, project_dir: str | None = None,
                   run_id: str | None = None) -> str:
        run_id = run_id or new_run_id()
        with self.engine.begin() as conn:
            conn.execute(insert(runs).values(
                id=run_id, project=project, robot=robot, status=RunStatus.QUEUED.value, trigger=trigger,
                inputs=inputs, parent_run_id=parent_run_id, queue=queue, manual_minutes=manual_minutes,
                exception_minutes=exception_minutes, queued_at=utcnow(), project_dir=project_dir,
                items_total=0, items_succeeded=0, items_failed=0, items_cancelled=0, robot_seconds=0))
        return run_id

    def start_run(self, run_id: str, entries: list[tuple[str, Any]] | None) -> bool:
        """Record the run's items and mark it running, once (a redelivered start changes nothing).

        `entries` None: the items were recorded with the run (a rerun). False when already started."""
        with self.engine.begin() as conn:
            status = conn.execute(select(runs.c.status).where(runs.c.id == run_id).with_for_update()).scalar()
            if status != RunStatus.QUEUED.value:
                return False
            if entries:
                conn.execute(insert(items), [
                    {"run_id": run_id, "idx": i, "key": str(key)[:500], "data": data,
                     "status": ItemStatus.PENDING.value, "attempts": 0}
                    for i, (key, data) in enumerate(entries)])
            total = conn.execute(select(func.count()).select_from(items).where(items.c.run_id == run_id)).scalar()
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                status=RunStatus.RUNNING.value, started_at=utcnow(), items_total=total))
        return True

    def fail_run(self, run_id: str, error: str, status: RunStatus = RunStatus.FAILED) -> bool:
        """Close a run that cannot go on (it could not start, its work was lost); open items fail with it."""
        return self._end_open_run(run_id, item_status=ItemStatus.FAILED, kind="application", message=error,
                                  status=status) is not None

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with reading(self.engine) as conn:
            return as_dict(conn.execute(_GET_RUN, {"run_id": run_id}).first())

    def run_status(self, run_id: str) -> str | None:
        with reading(self.engine) as conn:
            return conn.execute(_RUN_STATUS, {"run_id": run_id}).scalar()

    def find_run(self, prefix: str) -> dict[str, Any] | None:
        """A run by its id or a unique start of it."""
        exact = self.get_run(prefix)
        if exact:
            return exact
        with reading(self.engine) as conn:
            found = conn.execute(select(runs).where(runs.c.id.like(prefix + "%")).limit(2)).all()
        return as_dict(found[0]) if len(found) == 1 else None

    def list_runs(self, *, robot: str | None = None, status: str | list[str] | None = None,
                  limit: int = 20) -> list[dict[str, Any]]:
        query = select(runs).order_by(runs.c.queued_at.desc(), runs.c.id.desc()).limit(limit)
        if robot:
            query = query.where(runs.c.robot == robot)
        if isinstance(status, str):
            query = query.where(runs.c.status == status)
        elif status:
            query = query.where(runs.c.status.in_(status))
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def complete_if_done(self, run_id: str) -> str | None:
        """Close the run exactly once when no item is open; only the caller that closes it gets the status.

        The run's row is locked first (SELECT ... FOR UPDATE on PostgreSQL, the write lock on SQLite), so
        two workers ending the last items at once cannot both close it; the counters are recounted from
        the items, the source of truth. A cheap unlocked look comes first: most calls find open items."""
        with reading(self.engine) as conn:
            if conn.execute(_ANY_OPEN, {"run_id": run_id}).scalar():
                return None
        with self.engine.begin() as conn:
            return self._close_if_done(conn, run_id)

    def _close_if_done(self, conn: Any, run_id: str) -> str | None:
        """Inside a transaction: lock the run's row, and close the run when no item is open."""
        run = conn.execute(_RUN_FOR_UPDATE, {"run_id": run_id}).first()
        if run is None or run.status != RunStatus.RUNNING.value:
            return None
        if conn.execute(_ANY_OPEN, {"run_id": run_id}).scalar():
            return None
        return self._close(conn, run_id, status=None, error=None, started=run.started_at, now=utcnow())

    def _close(self, conn: Any, run_id: str, *, status: RunStatus | None, error: str | None,
               started: Any, now: Any) -> str | None:
        groups = conn.execute(_ITEM_TOTALS, {"run_id": run_id}).all()
        counts = {status: count for status, count, _ in groups}
        seconds = sum(float(spent or 0) for _, _, spent in groups)
        ok, failed, cancelled = (counts.get(s.value, 0) for s in
                                 (ItemStatus.SUCCEEDED, ItemStatus.FAILED, ItemStatus.CANCELLED))
        total = sum(counts.values())
        final = status or final_status(total, ok, failed, cancelled)
        values: dict[str, Any] = dict(
            status=final.value, finished_at=now, items_total=total, items_succeeded=ok, items_failed=failed,
            items_cancelled=cancelled, robot_seconds=float(seconds or 0), started_at=started or now,
            duration_s=(now - aware(started)).total_seconds() if started else 0.0)
        if error is not None:
            values["error"] = error
        result = conn.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status.in_(OPEN_RUN_STATES)))
                              .values(**values))
        return final.value if result.rowcount == 1 else None

    def cancel_run(self, run_id: str, reason: str = "cancelled") -> str | None:
        """Stop a queued or running run: its open items become cancelled. None when it had already ended."""
        return self._end_open_run(run_id, item_status=ItemStatus.CANCELLED, kind="cancelled", message=reason,
                                  status=RunStatus.CANCELLED)

    def _end_open_run(self, run_id: str, *, item_status: ItemStatus, kind: str, message: str,
                      status: RunStatus) -> str | None:
        """End a run that is still open, and its open items with it; None when it had already ended."""
        now = utcnow()
        with self.engine.begin() as conn:
            run = conn.execute(select(runs.c.status, runs.c.started_at).where(runs.c.id == run_id)
                               .with_for_update()).first()
            if run is None or run.status not in OPEN_RUN_STATES:
                return None
            conn.execute(update(items).where(and_(items.c.run_id == run_id, items.c.status.in_(OPEN_ITEM_STATES)))
                         .values(status=item_status.value, finished_at=now, error_kind=kind, error_message=message))
            return self._close(conn, run_id, status=status, error=message, started=run.started_at, now=now)

    def timeout_run(self, run_id: str, message: str) -> str | None:
        """The run passed its time limit: its open items fail with a timeout error and it closes."""
        now = utcnow()
        with self.engine.begin() as conn:
            run = conn.execute(select(runs.c.status, runs.c.started_at).where(runs.c.id == run_id)
                               .with_for_update()).first()
            if run is None or run.status != RunStatus.RUNNING.value:
                return None
            conn.execute(update(items).where(and_(items.c.run_id == run_id, items.c.status.in_(OPEN_ITEM_STATES)))
                         .values(status=ItemStatus.FAILED.value, finished_at=now, error_kind="timeout",
                                 error_message=message))
            return self._close(conn, run_id, status=None, error=message, started=run.started_at, now=now)

    def create_rerun(self, parent_id: str, *, statuses: tuple[str, ...] = (ItemStatus.FAILED.value,),
                     trigger: str = "rerun", fresh: dict[str, Any] | None = None) -> str | None:
        """A new queued run of the same robot and inputs holding only the parent's items in `statuses`;
        `fresh` (key -> data) replaces the recorded data of the items whose key it holds."""
        parent = self.get_run(parent_id)
        if parent is None:
            return None
        with reading(self.engine) as conn:
            chosen = conn.execute(select(items.c.key, items.c.data, items.c.id).where(and_(
                items.c.run_id == parent_id, items.c.status.in_(statuses))).order_by(items.c.idx)).all()
            # the `effect` steps they had passed: not done again for the same item (outside effects once)
            passed = conn.execute(select(checkpoints).where(checkpoints.c.item_id.in_(
                [row.id for row in chosen]))).all() if chosen else []
        if not chosen:
            return None
        run_id = new_run_id()
        with self.engine.begin() as conn:
            conn.execute(insert(runs).values(
                id=run_id, project=parent["project"], robot=parent["robot"], status=RunStatus.QUEUED.value,
                trigger=trigger, inputs=parent["inputs"], parent_run_id=parent_id, queue=parent["queue"],
                manual_minutes=parent["manual_minutes"], exception_minutes=parent["exception_minutes"],
                queued_at=utcnow(), project_dir=parent["project_dir"], items_total=len(chosen),
                items_succeeded=0, items_failed=0, items_cancelled=0, robot_seconds=0))
            conn.execute(insert(items), [
                {"run_id": run_id, "idx": i, "key": key, "data": fresh.get(key, data) if fresh else data,
                 "status": ItemStatus.PENDING.value, "attempts": 0} for i, (key, data, _) in enumerate(chosen)])
            if passed:
                new_ids = dict(conn.execute(select(items.c.idx, items.c.id).where(items.c.run_id == run_id)).all())
                old_to_new = {row.id: new_ids[i] for i, row in enumerate(chosen)}
                conn.execute(insert(checkpoints), [{"item_id": old_to_new[c.item_id], "step": c.step,
                                                    "output": c.output, "done": c.done} for c in passed])
        return run_id
