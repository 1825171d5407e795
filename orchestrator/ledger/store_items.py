"""Items in the ledger: claimed by a worker, finished exactly once, with their attempts and evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, insert, select, update

from orchestrator.ledger.db import reading
from orchestrator.ledger.rows import aware, utcnow
from orchestrator.ledger.tables import artifacts, attempts, checkpoints, items, runs
from orchestrator.states import OPEN_ITEM_STATES, ItemStatus, RunStatus

COUNTERS = {ItemStatus.SUCCEEDED.value: "items_succeeded", ItemStatus.FAILED.value: "items_failed",
            ItemStatus.CANCELLED.value: "items_cancelled"}


_FINISH = update(items).where(and_(
    items.c.id == bindparam("b_id"), items.c.status == ItemStatus.RUNNING.value,
    items.c.attempts == bindparam("b_attempts"))).values(
    status=bindparam("b_status"), started_at=bindparam("b_started"), finished_at=bindparam("b_finished"),
    duration_s=bindparam("b_duration"), output=bindparam("b_output", type_=items.c.output.type),
    error_kind=bindparam("b_kind"), error_message=bindparam("b_message"), error_step=bindparam("b_step"))


class ItemStore:
    engine: Engine

    def claim_items(self, run_id: str, indices: list[int], worker: str, *,
                    reclaimable: Callable[[str | None, int], bool]) -> tuple[list[dict[str, Any]], list[int]]:
        """Take the open items of a chunk for `worker`: (claimed rows, indices some live worker still holds).

        Delivery is at least once, so an item may come back: finished items are skipped; a pending one is
        taken; a running one is taken over only when `reclaimable(worker, item_id)` says its holder is gone.
        Every take is a conditional UPDATE (compare-and-set on status and attempts), so two deliveries of
        one chunk never take the same item."""
        now = utcnow()
        with self.engine.begin() as conn:
            rows = conn.execute(select(items).where(and_(
                items.c.run_id == run_id, items.c.idx.in_(indices), items.c.status.in_(OPEN_ITEM_STATES)))
                .order_by(items.c.idx)).all()
            pending = [r.id for r in rows if r.status == ItemStatus.PENDING.value]
            taken: set[int] = set()
            if pending:
                taken.update(conn.execute(update(items).where(and_(
                    items.c.id.in_(pending), items.c.status == ItemStatus.PENDING.value)).values(
                    status=ItemStatus.RUNNING.value, attempts=items.c.attempts + 1, worker=worker, started_at=now)
                    .returning(items.c.id)).scalars())
            busy = []
            for r in rows:
                if r.status != ItemStatus.RUNNING.value:
                    continue
                if not reclaimable(r.worker, r.id):
                    busy.append(r.idx)
                    continue
                taken.update(conn.execute(update(items).where(and_(
                    items.c.id == r.id, items.c.status == ItemStatus.RUNNING.value,
                    items.c.attempts == r.attempts)).values(
                    attempts=items.c.attempts + 1, worker=worker, started_at=now).returning(items.c.id)).scalars())
        claimed = [{**r._mapping, "status": ItemStatus.RUNNING.value, "attempts": r.attempts + 1, "worker": worker}
                   for r in rows if r.id in taken]
        return claimed, busy

    def claim_item(self, run_id: str, idx: int, worker: str) -> dict[str, Any] | None:
        """One item (see `claim_items`); a running item is taken over whoever holds it."""
        claimed, _ = self.claim_items(run_id, [idx], worker, reclaimable=lambda _w, _i: True)
        return claimed[0] if claimed else None

    def finish_items(self, run_id: str, results: list[dict[str, Any]]) -> int:
        """Record several items' ends in one transaction; returns how many were recorded.

        Each result holds id, attempts (of its claim), status, started_at, finished_at, duration_s, output,
        error_*. An item is recorded only if it is still running under that claim: a cancelled, timed-out
        or taken-over item keeps what was recorded first. One prepared UPDATE per status, executed for
        the whole batch (executemany), keeps the hot path at a few round trips per chunk."""
        if not results:
            return 0
        with self.engine.begin() as conn:
            return self._finish(conn, run_id, results)

    def finish_and_close(self, run_id: str, results: list[dict[str, Any]]) -> tuple[int, str | None]:
        """`finish_items`, then `complete_if_done`, in one transaction (a chunk's last batch): (how many were
        recorded, the run's final status when this closed it)."""
        with self.engine.begin() as conn:
            recorded = self._finish(conn, run_id, results) if results else 0
            return recorded, self._close_if_done(conn, run_id)  # type: ignore[attr-defined]

    def _finish(self, conn: Any, run_id: str, results: list[dict[str, Any]]) -> int:
        now = utcnow()
        by_status: dict[str, list[dict[str, Any]]] = {}
        for res in results:
            by_status.setdefault(res["status"], []).append({
                "b_id": res["id"], "b_attempts": res["attempts"], "b_status": res["status"],
                "b_started": res.get("started_at") or now, "b_finished": res.get("finished_at") or now,
                "b_duration": res.get("duration_s"), "b_output": res.get("output"),
                "b_kind": res.get("error_kind"), "b_message": res.get("error_message"),
                "b_step": res.get("error_step")})
        added: dict[Any, Any] = {}
        seconds = 0.0
        for status, params in by_status.items():
            done = conn.execute(_FINISH, params).rowcount
            if done:
                added[getattr(runs.c, COUNTERS[status])] = done
                share = done / len(params)
                seconds += share * sum(p["b_duration"] or 0.0 for p in params)
        if added:
            added[runs.c.robot_seconds] = seconds
            conn.execute(update(runs).where(and_(runs.c.id == run_id, runs.c.status == RunStatus.RUNNING.value))
                         .values({column: column + value for column, value in added.items()}))
        return sum(v for k, v in added.items() if k is not runs.c.robot_seconds)

    def finish_item(self, item_id: int, *, status: ItemStatus, output: Any = None, error_kind: str | None = None,
                    error_message: str | None = None, error_step: str | None = None) -> str | None:
        """Record one running item's end; returns the run's final status when this closed the run."""
        with reading(self.engine) as conn:
            row = conn.execute(select(items.c.run_id, items.c.attempts, items.c.started_at)
                               .where(items.c.id == item_id)).first()
        if row is None:
            return None
        started = aware(row.started_at) if row.started_at else utcnow()
        self.finish_items(row.run_id, [{
            "id": item_id, "attempts": row.attempts, "status": ItemStatus(status).value, "started_at": started,
            "duration_s": (utcnow() - started).total_seconds(), "output": output, "error_kind": error_kind,
            "error_message": error_message, "error_step": error_step}])
        return self.complete_if_done(row.run_id)  # type: ignore[attr-defined]

    def fail_items(self, run_id: str, indices: list[int], *, kind: str, message: str) -> int:
        """Fail open items whose work was lost for good (a message that ran out of deliveries)."""
        with self.engine.begin() as conn:
            return conn.execute(update(items).where(and_(
                items.c.run_id == run_id, items.c.idx.in_(indices), items.c.status.in_(OPEN_ITEM_STATES)))
                .values(status=ItemStatus.FAILED.value, finished_at=utcnow(), error_kind=kind,
                        error_message=message)).rowcount

    def release_items(self, run_id: str, item_ids: list[int], worker: str) -> None:
        """Give back items this worker claimed but did not start (it is stopping or its message failed)."""
        if not item_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(update(items).where(and_(
                items.c.run_id == run_id, items.c.id.in_(item_ids), items.c.status == ItemStatus.RUNNING.value,
                items.c.worker == worker)).values(status=ItemStatus.PENDING.value))

    def run_items(self, run_id: str) -> list[dict[str, Any]]:
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(items).where(items.c.run_id == run_id).order_by(items.c.idx))]

    def item_counts(self, run_id: str) -> dict[str, int]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(items.c.status, func.count()).where(items.c.run_id == run_id)
                                .group_by(items.c.status)).all()
        return {status: count for status, count in rows}

    def open_indices(self, run_id: str) -> list[int]:
        with reading(self.engine) as conn:
            return list(conn.execute(select(items.c.idx).where(and_(
                items.c.run_id == run_id, items.c.status.in_(OPEN_ITEM_STATES))).order_by(items.c.idx)).scalars())

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
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def add_artifacts(self, run_id: str, item_id: int | None, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        with self.engine.begin() as conn:
            conn.execute(insert(artifacts), [
                {"run_id": run_id, "item_id": item_id, "kind": e["kind"], "path": e["path"],
                 "step": e.get("step"), "created_at": utcnow()} for e in entries])

    def artifacts_for(self, run_id: str) -> list[dict[str, Any]]:
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id))]

    def checkpoint(self, item_id: int, step: str, output: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(checkpoints).values(item_id=item_id, step=step, output=output, done=True))

    def checkpoints_for(self, item_id: int) -> dict[str, Any]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(checkpoints.c.step, checkpoints.c.output)
                                .where(checkpoints.c.item_id == item_id)).all()
        return {step: output for step, output in rows}
