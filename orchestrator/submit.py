"""Starting runs and waiting for them: the same path whether the worker is in this process or elsewhere."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from orchestrator import projects
from orchestrator.inputs import resolve_inputs
from orchestrator.ledger import Ledger
from orchestrator.loader import LoadedProject
from orchestrator.states import RunStatus


def submit(loaded: LoadedProject, robot_name: str, given: dict[str, Any], *, trigger: str = "manual",
           parent_run_id: str | None = None, run_id: str | None = None) -> str:
    """Validate inputs, record the run as queued, and queue its start message. Returns the run id (`run_id`
    when given: a scheduler decides it when it claims the slot)."""
    from orchestrator.actions import suggest
    from orchestrator.broker import enqueue
    from orchestrator.errors import InputError
    from orchestrator.queue import start_run

    if robot_name not in loaded.spec.robots:
        hint = suggest(robot_name, list(loaded.spec.robots))
        raise InputError(f"no robot {robot_name!r}{hint}; robots: {', '.join(loaded.spec.robots) or 'none'}")
    robot = loaded.spec.robots[robot_name]
    inputs = resolve_inputs(robot_name, robot, given)
    ledger = projects.ledger_for(loaded)
    run_id = ledger.create_run(robot=robot_name, project=loaded.spec.project, inputs=inputs,
                               manual_minutes=robot.manual_minutes, exception_minutes=robot.exception_minutes,
                               trigger=trigger, queue=robot.queue, parent_run_id=parent_run_id,
                               project_dir=str(loaded.root), run_id=run_id)
    _queue_or_fail(ledger, run_id, lambda: enqueue(start_run, run_id, str(loaded.root), queue=robot.queue))
    return run_id


def _queue_or_fail(ledger: Ledger, run_id: str, send: Callable[[], None]) -> None:
    """Queue the run's start; when the broker cannot be reached, the run is recorded failed with the reason
    (it would stay queued for ever) and the caller gets one clear error."""
    from orchestrator.broker import describe_url
    from orchestrator.errors import ApplicationError

    try:
        send()
    except Exception as exc:  # noqa: BLE001 - redis, pika, dramatiq: each library has its own errors
        reason = f"the broker at {describe_url()} cannot be reached ({type(exc).__name__}: {str(exc)[:200]})"
        ledger.fail_run(run_id, f"not queued: {reason}")
        raise ApplicationError(f"run {run_id} not queued: {reason}; start the broker or check RETAKE_BROKER_URL "
                               "(without it, runs go through the embedded default)") from None


def rerun(loaded: LoadedProject, parent_id: str, *, include_cancelled: bool = False,
          reread: bool = False) -> str | None:
    """Queue a new run of the parent's failed items (and cancelled ones if asked); None when there are none.
    `reread`: the items take their data from the robot's `items:` as they read now (a corrected sheet),
    matched by key; an item whose key is no longer there keeps its recorded data."""
    from orchestrator.broker import enqueue
    from orchestrator.queue import start_run

    ledger = projects.ledger_for(loaded)
    statuses = ("failed", "cancelled") if include_cancelled else ("failed",)
    parent = ledger.get_run(parent_id) if reread else None
    fresh = current_items(loaded, parent) if parent is not None else None
    run_id = ledger.create_rerun(parent_id, statuses=statuses, fresh=fresh)
    if run_id is None:
        return None
    run = ledger.get_run(run_id)
    assert run is not None
    robot = loaded.spec.robots.get(run["robot"])
    _queue_or_fail(ledger, run_id, lambda: enqueue(start_run, run_id, str(loaded.root),
                                                   queue=robot.queue if robot else run["queue"]))
    return run_id


def current_items(loaded: LoadedProject, run: dict[str, Any]) -> dict[str, Any]:
    """key -> data of the items the run's robot lists now, with the run's inputs (for `rerun --reread`);
    BusinessError when they cannot be listed (a missing file: nothing is queued)."""
    from orchestrator.context import RunSession
    from orchestrator.errors import ConfigError
    from orchestrator.runner import item_entries

    if run["robot"] not in loaded.spec.robots:
        raise ConfigError(f"robot {run['robot']!r} is no longer in robots.yaml: its items cannot be read again")
    robot = loaded.spec.robots[run["robot"]]
    secrets = {name: os.environ[name] for name in robot.secrets if name in os.environ}
    session = RunSession(project=loaded, robot_name=run["robot"], run_id=f"{run['id']}-reread",
                         inputs=run["inputs"] or {}, secrets=secrets)
    try:
        return dict(item_entries(session))
    finally:
        session.close()


def wait_for(ledger: Ledger, run_id: str, *, on_progress: Callable[[dict[str, Any]], None] | None = None,
             poll: float = 0.1, timeout: float | None = None, wake: threading.Event | None = None,
             told: dict[str, Any] | None = None) -> dict[str, Any]:
    """Poll the ledger until the run is finished; `on_progress` sees the run row each time. `wake`, when
    set by the process that closed the run, ends the wait between two polls; `told`, filled before `wake`
    is set, is the closed run's row as the ledger gave it then (not read again)."""
    deadline = time.monotonic() + timeout if timeout else None
    if wake is not None and on_progress is None:
        wake.wait(poll)  # nothing to show meanwhile: a read now would only take the GIL from a starting run
    while True:
        run = dict(told) if wake is not None and wake.is_set() and told and "items_total" in told \
            else ledger.get_run(run_id)
        assert run is not None, f"run {run_id} vanished from the ledger"
        if on_progress:
            on_progress(run)
        if RunStatus(run["status"]).finished:
            return run
        if deadline and time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {run['status']} after {timeout:g}s")
        if wake is not None:
            wake.wait(poll)
        else:
            time.sleep(poll)


def run_embedded(loaded: LoadedProject, robot_name: str, given: dict[str, Any], *, threads: int | None = None,
                 on_progress: Callable[[dict[str, Any]], None] | None = None, trigger: str = "manual",
                 parent_run_id: str | None = None) -> dict[str, Any]:
    """A run on the embedded default: Dramatiq's in-process broker and a worker inside this process."""
    run_id = submit(loaded, robot_name, given, trigger=trigger, parent_run_id=parent_run_id)
    return wait_embedded(loaded, run_id, threads=threads or loaded.spec.robots[robot_name].concurrency,
                         on_progress=on_progress)


def wait_embedded(loaded: LoadedProject, run_id: str, *, threads: int | None = None,
                  on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Work a queued run with the in-process worker and wait for it."""
    from orchestrator import events

    finished = threading.Event()
    told: dict[str, Any] = {}

    def closed(_loaded: Any, run: dict[str, Any]) -> None:
        if run.get("id") == run_id:
            told.update(run)
            finished.set()

    events.subscribe(closed)
    embedded_worker(threads or 1)
    try:
        # the wake event ends the wait; polls only feed the progress bar (each takes the GIL from the worker)
        run = wait_for(projects.ledger_for(loaded), run_id, on_progress=on_progress, poll=0.25, wake=finished,
                       told=told)
    finally:
        events.unsubscribe(closed)
        projects.close_session(run_id)
    return run


_worker: Any = None
_worker_threads = 0


def embedded_worker(threads: int) -> Any:
    """The process's in-process Dramatiq worker, started once with `threads` threads.

    It is never restarted to change its thread count: stopping Dramatiq's worker drops the messages the
    in-process broker has already handed to it, so a later, larger request keeps the running worker
    (concurrency limits are enforced by the ledger's slots, not by the thread count).
    """
    global _worker, _worker_threads
    import atexit

    from dramatiq import Worker

    from orchestrator.broker import current_broker

    if _worker is not None:
        return _worker
    atexit.register(stop_embedded_worker)
    _worker, _worker_threads = Worker(current_broker(), worker_threads=threads, worker_timeout=100), threads
    _worker.start()
    return _worker


def stop_embedded_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.stop(timeout=20_000)  # ms: a thread stuck in a dead browser must not hang the exit
        _worker = None
    projects.close_all()
