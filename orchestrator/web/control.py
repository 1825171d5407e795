"""Cancelling and rerunning runs from the API.

The fleet's own ledger functions replace these when they exist (`Ledger.cancel_run`, `Ledger.rerun`): until
then a cancel marks the run and its open items cancelled (workers skip items that are no longer open), and
a rerun is a new run, child of the first, holding only the items that failed, with the same data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, update

from orchestrator.ledger.store import _aware, utcnow
from orchestrator.ledger.tables import items, runs
from orchestrator.states import OPEN_ITEM_STATES, ItemStatus, RunStatus


class NotPossible(Exception):
    """The run is in a state that does not allow this (already finished, nothing failed...)."""


def cancel_run(ledger: Any, run_id: str, *, reason: str = "cancelled") -> dict[str, Any]:
    """Mark a queued or running run cancelled, with its open items; the run row afterwards."""
    now = utcnow()
    with ledger.engine.begin() as conn:
        run = conn.execute(select(runs).where(runs.c.id == run_id).with_for_update()).first()
        if run is None:
            raise KeyError(run_id)
        if RunStatus(run.status).finished:
            raise NotPossible(f"run {run_id} is already {run.status}")
        cancelled = conn.execute(update(items).where(and_(
            items.c.run_id == run_id, items.c.status.in_(OPEN_ITEM_STATES))).values(
            status=ItemStatus.CANCELLED.value, finished_at=now, error_kind="cancelled",
            error_message=reason)).rowcount
        started = _aware(run.started_at) if run.started_at else now
        conn.execute(update(runs).where(runs.c.id == run_id).values(
            status=RunStatus.CANCELLED.value, items_cancelled=runs.c.items_cancelled + cancelled,
            error=reason, started_at=started, finished_at=now, duration_s=(now - started).total_seconds()))
    return ledger.get_run(run_id)


def rerun(loaded: Any, ledger: Any, run_id: str, *, trigger: str = "rerun") -> str:
    """A new run of the failed (and cancelled) items of `run_id`, queued now; returns its id."""
    from orchestrator.queue import run_items

    parent = ledger.get_run(run_id)
    if parent is None:
        raise KeyError(run_id)
    if not RunStatus(parent["status"]).finished:
        raise NotPossible(f"run {run_id} is still {parent['status']}: wait for it or cancel it first")
    robot = loaded.spec.robots.get(parent["robot"])
    if robot is None:
        raise NotPossible(f"robot {parent['robot']!r} is no longer in robots.yaml")
    with ledger.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(items).where(items.c.run_id == run_id)).scalar()
        redo = conn.execute(select(items.c.key, items.c.data).where(
            items.c.run_id == run_id, items.c.status.in_([ItemStatus.FAILED.value, ItemStatus.CANCELLED.value]))
            .order_by(items.c.idx)).all()
    if total and not redo:
        raise NotPossible(f"run {run_id} has no failed item to rerun")
    if not total:
        from orchestrator.submit import submit

        return submit(loaded, parent["robot"], parent["inputs"] or {}, trigger=trigger, parent_run_id=run_id)
    new_id = ledger.create_run(robot=parent["robot"], project=loaded.spec.project, inputs=parent["inputs"] or {},
                               manual_minutes=robot.manual_minutes, exception_minutes=robot.exception_minutes,
                               trigger=trigger, queue=robot.queue, parent_run_id=run_id,
                               project_dir=str(loaded.root))
    ledger.start_run(new_id, [(row.key, row.data) for row in redo])
    chunk = robot.chunk_size
    for first in range(0, len(redo), chunk):
        run_items.send(new_id, str(loaded.root), list(range(first, min(first + chunk, len(redo)))))
    return new_id
