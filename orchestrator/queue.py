"""The Dramatiq actors that carry runs: `start_run` fans a run's items out in chunks, `run_items` works them.

The broker is chosen (orchestrator.broker) before the actors below are declared. Completion is tracked
in the ledger: the worker that finishes a run's last item closes the run, exactly once.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import dramatiq
from loguru import logger

from orchestrator import projects
from orchestrator.broker import setup_broker
from orchestrator.errors import RetakeError
from orchestrator.logs import mask
from orchestrator.runner import item_entries, run_item

setup_broker()

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
DAY_MS = 24 * 3600 * 1000


@dramatiq.actor(queue_name="retake", max_retries=5, min_backoff=1000, max_backoff=30_000, time_limit=DAY_MS)
def start_run(run_id: str, project_dir: str) -> None:
    loaded = projects.project(project_dir)
    ledger = projects.ledger_for(loaded)
    run = ledger.get_run(run_id)
    if run is None or run["status"] != "queued":
        return
    log = logger.bind(run_id=run_id, robot=run["robot"], item="-", step="-")
    try:
        session = projects.session(loaded, run)
        entries = item_entries(session)
    except RetakeError as exc:
        log.error(f"run cannot start: {mask(str(exc))}")
        ledger.fail_run(run_id, mask(str(exc)))
        projects.close_session(run_id)
        return
    if not ledger.start_run(run_id, entries):
        return
    log.info(f"run started with {len(entries)} item(s)")
    if not entries:
        ledger.complete_if_done(run_id)
        projects.close_session(run_id)
        return
    chunk = session.robot.chunk_size
    for first in range(0, len(entries), chunk):
        run_items.send(run_id, project_dir, list(range(first, min(first + chunk, len(entries)))))


@dramatiq.actor(queue_name="retake", max_retries=5, min_backoff=1000, max_backoff=30_000, time_limit=DAY_MS)
def run_items(run_id: str, project_dir: str, indices: list[int]) -> None:
    loaded = projects.project(project_dir)
    ledger = projects.ledger_for(loaded)
    run = ledger.get_run(run_id)
    if run is None or run["status"] != "running":
        return
    session = projects.session(loaded, run)
    final: Any = None
    for idx in indices:
        row = ledger.claim_item(run_id, idx, WORKER_NAME)
        if row is None:
            continue
        final = run_item(session, ledger, row) or final
    if final:
        logger.bind(run_id=run_id, robot=run["robot"], item="-", step="-").info(f"run {final}")
    counts = ledger.item_counts(run_id)
    if final or not (counts.get("pending") or counts.get("running")):
        projects.close_session(run_id)
