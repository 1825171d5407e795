"""Cancelling and rerunning runs from the API.

The fleet's own functions are used when they are there (`orchestrator.cancel.stop`, which also makes the
worker stop at the item's next step, and `orchestrator.submit.rerun`); without them a cancel marks the run
and its open items cancelled (workers skip items that are no longer open), and a rerun is a new run, child
of the first, holding only the items that failed (and, if asked, those cancelled), with the same data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select, update

from orchestrator.errors import RetakeError
from orchestrator.ledger.db import reading
from orchestrator.ledger.tables import items, runs
from orchestrator.states import OPEN_ITEM_STATES, ItemStatus, RunStatus


class NotPossible(Exception):
    """The run is in a state that does not allow this (already finished, nothing failed...)."""


def cancel_run(loaded: Any, ledger: Any, run_id: str, *, reason: str = "cancelled") -> dict[str, Any]:
    """Cancel a queued or running run; the run row afterwards (NotPossible when it had ended)."""
    try:
        from orchestrator.cancel import stop
    except ImportError:
        stop = _stop
    closed = stop(ledger, run_id, reason=reason)
    if closed is None:
        run = ledger.get_run(run_id)
        raise NotPossible(f"run {run_id} has already ended ({run['status'] if run else 'unknown'})")
    try:
        from orchestrator import events
    except ImportError:
        return closed
    events.run_finished(loaded, closed)
    return closed


def _stop(ledger: Any, run_id: str, *, reason: str) -> dict[str, Any] | None:
    now = dt.datetime.now(dt.UTC)
    with ledger.engine.begin() as conn:
        run = conn.execute(select(runs).where(runs.c.id == run_id).with_for_update()).first()
        if run is None or RunStatus(run.status).finished:
            return None
        cancelled = conn.execute(update(items).where(and_(
            items.c.run_id == run_id, items.c.status.in_(OPEN_ITEM_STATES))).values(
            status=ItemStatus.CANCELLED.value, finished_at=now, error_kind="cancelled",
            error_message=reason)).rowcount
        started = run.started_at or now
        started = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
        conn.execute(update(runs).where(runs.c.id == run_id).values(
            status=RunStatus.CANCELLED.value, items_cancelled=runs.c.items_cancelled + cancelled,
            error=reason, started_at=started, finished_at=now, duration_s=(now - started).total_seconds()))
    return ledger.get_run(run_id)


def rerun(loaded: Any, ledger: Any, run_id: str, *, include_cancelled: bool = False, reread: bool = False) -> str:
    """A new run of the failed (and, if asked, cancelled) items of a finished run, queued now; its id."""
    parent = ledger.get_run(run_id)
    if parent is None:
        raise KeyError(run_id)
    if not RunStatus(parent["status"]).finished:
        raise NotPossible(f"run {run_id} is still {parent['status']}: wait for it or cancel it first")
    if parent["robot"] not in loaded.spec.robots:
        raise NotPossible(f"robot {parent['robot']!r} is no longer in robots.yaml")
    statuses = [ItemStatus.FAILED.value] + ([ItemStatus.CANCELLED.value] if include_cancelled else [])
    with reading(ledger.engine) as conn:
        total = conn.execute(select(func.count()).select_from(items).where(items.c.run_id == run_id)).scalar()
        redo = conn.execute(select(items.c.key, items.c.data).where(
            items.c.run_id == run_id, items.c.status.in_(statuses)).order_by(items.c.idx)).all()
    if not redo:
        what = "failed or cancelled" if include_cancelled else "failed"
        raise NotPossible(f"run {run_id} has no {what} item to rerun" if total else
                          f"run {run_id} never started any item: start the robot again instead")
    try:
        from orchestrator.submit import rerun as fleet_rerun
    except ImportError:
        return _queue_rerun(loaded, ledger, parent, redo)
    try:
        new_id = fleet_rerun(loaded, run_id, include_cancelled=include_cancelled, reread=reread)
    except RetakeError as exc:
        raise NotPossible(f"cannot read the items of run {run_id} again: {exc}") from None
    if new_id is None:
        raise NotPossible(f"run {run_id} has no item to rerun")
    return new_id


def _queue_rerun(loaded: Any, ledger: Any, parent: dict[str, Any], redo: list[Any]) -> str:
    from orchestrator.queue import run_items

    robot = loaded.spec.robots[parent["robot"]]
    new_id = ledger.create_run(robot=parent["robot"], project=loaded.spec.project, inputs=parent["inputs"] or {},
                               manual_minutes=robot.manual_minutes, exception_minutes=robot.exception_minutes,
                               trigger="rerun", queue=robot.queue, parent_run_id=parent["id"],
                               project_dir=str(loaded.root))
    ledger.start_run(new_id, [(row.key, row.data) for row in redo])
    chunk = robot.chunk_size
    for first in range(0, len(redo), chunk):
        run_items.send(new_id, str(loaded.root), list(range(first, min(first + chunk, len(redo)))))
    return new_id
