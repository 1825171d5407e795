"""The Dramatiq actors that carry runs: `start_run` fans a run's items out in chunks, `run_items` works them.

The broker is chosen (orchestrator.broker) before the actors below are declared. Messages go to the
robot's `queue:` (see `broker.enqueue`). Completion is tracked in the ledger: the worker that finishes a
run's last item closes the run, exactly once, and calls `events.run_finished`.

Dramatiq retries these actors only for infrastructure errors (ledger unreachable...), MAX_RETRIES times
with backoff; robot failures never reach Dramatiq (the runner records them per item). A message that runs
out of retries fails its items in the ledger (orchestrator.deadletters).
"""

from __future__ import annotations

import math
from typing import Any

import dramatiq
from loguru import logger

from orchestrator import events, projects
from orchestrator.broker import enqueue, queue_name, setup_broker
from orchestrator.errors import RetakeError
from orchestrator.logs import mask
from orchestrator.runner import item_entries

setup_broker()

DAY_MS = 24 * 3600 * 1000
MAX_RETRIES = 5
ACTOR_OPTIONS: dict[str, Any] = dict(queue_name=queue_name(None), max_retries=MAX_RETRIES, min_backoff=1000,
                                     max_backoff=30_000, time_limit=DAY_MS)


@dramatiq.actor(**ACTOR_OPTIONS)
def start_run(run_id: str, project_dir: str) -> None:
    loaded = projects.project(project_dir)
    ledger = projects.ledger_for(loaded)
    run = ledger.get_run(run_id)
    if run is None:
        return
    if run["status"] == "running":
        # A start delivered again (its first delivery died during the fan-out): send what is still open.
        fan_out(loaded, run, ledger.open_indices(run_id))
        return
    if run["status"] != "queued":
        return
    log = logger.bind(run_id=run_id, robot=run["robot"], item="-", step="-")
    entries = None
    if not run["items_total"]:  # a rerun is created with its items (and their count); a new run lists them now
        try:
            session = projects.session(loaded, run)
            entries = item_entries(session)
        except RetakeError as exc:
            log.error(f"run cannot start: {mask(str(exc))}")
            if ledger.fail_run(run_id, mask(str(exc))):
                events.run_finished(loaded, ledger.get_run(run_id) or run)
            projects.close_session(run_id)
            return
    if not ledger.start_run(run_id, entries):
        return
    run = ledger.get_run(run_id) or run
    log.info(f"run started with {run['items_total']} item(s)")
    if not run["items_total"]:
        if ledger.complete_if_done(run_id):
            events.run_finished(loaded, ledger.get_run(run_id) or run)
        projects.close_session(run_id)
        return
    chunks = chunked(loaded, run, list(range(run["items_total"])))
    if len(chunks) == 1:
        # One chunk: worked by this worker at once, not sent as a second message to be picked up again.
        # Should this worker die meanwhile, the start is delivered again and sends what is still open.
        from orchestrator.chunks import run_chunk

        run_chunk(run_id, project_dir, chunks[0], run)
        return
    send(loaded, run, chunks)


def fan_out(loaded: Any, run: dict[str, Any], indices: list[int]) -> int:
    """Queue a run's items as chunks on its robot's queue, so that every worker shares the work."""
    return send(loaded, run, chunked(loaded, run, indices))


def chunked(loaded: Any, run: dict[str, Any], indices: list[int]) -> list[list[int]]:
    """`indices` in chunks of the robot's `chunk_size` (smaller for a robot with limits, so that every
    slot is used)."""
    from orchestrator.limits import limits_for

    robot = loaded.spec.robots.get(run["robot"])
    size = robot.chunk_size if robot else 25
    limits = limits_for(loaded, run["robot"]) if robot else []
    if limits:
        size = max(1, min(size, math.ceil(len(indices) / max(c for _, c in limits))))
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def send(loaded: Any, run: dict[str, Any], chunks: list[list[int]]) -> int:
    for chunk in chunks:
        enqueue(run_items, run["id"], str(loaded.root), chunk, queue=run["queue"])
    return len(chunks)


@dramatiq.actor(**ACTOR_OPTIONS)
def run_items(run_id: str, project_dir: str, indices: list[int]) -> None:
    from orchestrator.chunks import run_chunk

    run_chunk(run_id, project_dir, indices)
