"""Working one chunk of a run's items in a worker: claim, limits, stop checks, recording in batches.

At-least-once delivery means a chunk can arrive twice or after its worker died: finished items are
skipped, items a live worker holds are sent again later (BUSY_RETRY_MS), items of a dead worker are taken
over. Items' ends are written in batches (one transaction for many fast items) as soon as the batch holds
FLUSH_WORK_S of work or has waited FLUSH_EVERY_S, so a killed worker redoes at most about a quarter of a
second of finished items, and a slow item is written at once; `effect` steps are checkpointed as soon as
they pass.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from loguru import logger

from orchestrator import events, projects
from orchestrator.cancel import RunGuard, run_limit
from orchestrator.errors import Cancelled, RetakeError, RunTimeout
from orchestrator.limits import hold, limits_for
from orchestrator.logs import mask
from orchestrator.runner import work_item
from orchestrator.states import RunStatus

HOST = socket.gethostname()
BUSY_RETRY_MS = 1000
SLOTS_BUSY_RETRY_MS = 1000
FLUSH_WORK_S = 0.25
FLUSH_EVERY_S = 0.25
FLUSH_SIZE = 100

STOPPING = threading.Event()  # set by the worker on SIGTERM: finish the item at hand, hand back the rest
_in_progress: set[int] = set()
_lock = threading.Lock()
_alive: tuple[float, set[str]] = (0.0, set())
items_done = 0


def worker_name() -> str:
    return f"{HOST}:{os.getpid()}"


def run_chunk(run_id: str, project_dir: str, indices: list[int], run: dict[str, Any] | None = None) -> None:
    """Work the items `indices` of a run; `run`: its row, just read by the caller (the start that works its
    only chunk itself), else read here."""
    loaded = projects.project(project_dir)
    ledger = projects.ledger_for(loaded)
    run = run or ledger.get_run(run_id)
    if run is None:
        return
    if run["status"] != RunStatus.RUNNING.value:
        if RunStatus(run["status"]).finished:
            projects.close_session(run_id)
        return
    log = logger.bind(run_id=run_id, robot=run["robot"], item="-", step="-")
    try:
        session = projects.session(loaded, run)
    except RetakeError as exc:  # e.g. a secret missing on this worker: every item says so
        log.error(f"cannot work items here: {mask(str(exc))}")
        ledger.fail_items(run_id, indices, kind=exc.kind, message=mask(str(exc)))
        _closed(loaded, ledger, run_id, ledger.complete_if_done(run_id))
        return
    guard = RunGuard(ledger, run_id, started_at=run["started_at"], limit_s=run_limit(loaded, run["robot"]))
    me = worker_name()
    claimed, busy = ledger.claim_items(run_id, indices, me, reclaimable=lambda w, i: _reclaimable(ledger, w, i))
    if busy:
        _send_again(run, project_dir, busy, BUSY_RETRY_MS)
    limits = limits_for(loaded, run["robot"])
    holder = f"{me}/{threading.get_ident()}"
    recorder = _Recorder(ledger, run_id)
    stop: str | None = None
    final: str | None = None
    ended = False
    with _working([row["id"] for row in claimed]):
        try:
            for position, row in enumerate(claimed):
                if STOPPING.is_set():  # shutting down: the rest of the chunk goes back to the queue now
                    ledger.release_items(run_id, [r["id"] for r in claimed[position:]], me)
                    _send_again(run, project_dir, [r["idx"] for r in claimed[position:]], 0)
                    break
                try:
                    guard.check()
                    if limits:
                        with hold(ledger, limits, holder, run_id=run_id, guard=guard) as held:
                            if not held:  # slots busy too long: free this thread, try again soon
                                ledger.release_items(run_id, [r["id"] for r in claimed[position:]], me)
                                _send_again(run, project_dir, [r["idx"] for r in claimed[position:]],
                                            SLOTS_BUSY_RETRY_MS)
                                break
                            result = work_item(session, ledger, row, guard=guard)
                    else:
                        result = work_item(session, ledger, row, guard=guard)
                except Cancelled:
                    stop = "cancelled"
                    break
                except RunTimeout:
                    stop = "timeout"
                    break
                recorder.add(result)
                if result["error_kind"] == "timeout" and guard.expired():
                    stop = "timeout"
                    break
                if result["error_kind"] == "cancelled" and guard.status == RunStatus.CANCELLED.value:
                    stop = "cancelled"
                    break
            ended = True
        finally:
            # the last ends and, when no item of the run is left open, the run's close: one transaction
            final = recorder.flush(close=ended and stop != "timeout")
    if stop == "timeout":
        message = str(guard.timeout_error())
        log.error(message)
        final = ledger.timeout_run(run_id, message)
    if final or stop:  # closed in this thread (a browser context is bound to it), before anyone is told;
        projects.close_session(run_id)  # clearing it for the next run waits until after (orchestrator.tidy)
    _closed(loaded, ledger, run_id, final)
    _close_ended_sessions(ledger)


def _closed(loaded: Any, ledger: Any, run_id: str, final: str | None) -> None:
    if final:
        run = ledger.get_run(run_id) or {"id": run_id, "status": final}
        logger.bind(run_id=run_id, robot=run.get("robot", "-"), item="-", step="-").info(f"run {final}")
        events.run_finished(loaded, run)


def _send_again(run: dict[str, Any], project_dir: str, indices: list[int], delay_ms: int) -> None:
    from orchestrator.broker import enqueue
    from orchestrator.queue import run_items

    enqueue(run_items, run["id"], project_dir, indices, queue=run["queue"], delay_ms=delay_ms)


@contextmanager
def _working(item_ids: list[int]) -> Iterator[None]:
    with _lock:
        _in_progress.update(item_ids)
    try:
        yield
    finally:
        with _lock:
            _in_progress.difference_update(item_ids)


def _reclaimable(ledger: Any, worker: str | None, item_id: int) -> bool:
    """May this process take over a running item? Yes when its holder is gone (or it is ours, idle)."""
    global _alive
    if not worker:
        return True
    if worker == worker_name():
        with _lock:
            return item_id not in _in_progress
    host, _, pid = worker.rpartition(":")
    if host == HOST and pid.isdigit() and not _pid_alive(int(pid)):
        return True
    checked, names = _alive
    if time.monotonic() - checked > 2.0:
        names = ledger.alive_workers()
        _alive = (time.monotonic(), names)
    return worker not in names


def _pid_alive(pid: int) -> bool:
    """A process of this machine that still runs (a zombie waiting for its parent counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


_swept = 0.0
SWEEP_EVERY_S = 5.0


def _close_ended_sessions(ledger: Any) -> None:
    """Close this process's sessions (browser contexts...) of runs that ended elsewhere, every few seconds."""
    global _swept
    if time.monotonic() - _swept < SWEEP_EVERY_S:
        return
    _swept = time.monotonic()
    for run_id in projects.open_runs():
        status = ledger.run_status(run_id)
        if status is None or RunStatus(status).finished:
            projects.close_session(run_id)


class _Recorder:
    """Items' ends, written in batches of at most FLUSH_WORK_S of work (a slow item at once)."""

    def __init__(self, ledger: Any, run_id: str):
        self.ledger = ledger
        self.run_id = run_id
        self.pending: list[dict[str, Any]] = []
        self.since = 0.0
        self.work = 0.0  # seconds of work the pending ends hold (what a crash now would redo)

    def add(self, result: dict[str, Any]) -> None:
        if not self.pending:
            self.since, self.work = time.monotonic(), 0.0
        self.pending.append(result)
        self.work += result["duration_s"] or 0.0
        if (self.work >= FLUSH_WORK_S or len(self.pending) >= FLUSH_SIZE
                or time.monotonic() - self.since >= FLUSH_EVERY_S):
            self.flush()

    def flush(self, *, close: bool = False) -> str | None:
        """Write the pending ends; with `close`, also close the run when no item is left open (returns its
        final status when this closed it)."""
        global items_done
        batch, self.pending = self.pending, []
        if close and not batch:
            return self.ledger.complete_if_done(self.run_id)  # (an unlocked look first: no write lock)
        if close:
            recorded, final = self.ledger.finish_and_close(self.run_id, batch)
            items_done += recorded
            return final
        if batch:
            items_done += self.ledger.finish_items(self.run_id, batch)
        return None
