"""Dead letters that can be seen: a message that runs out of Dramatiq retries fails its items in the ledger.

Our actors are retried by Dramatiq only for infrastructure errors (the ledger unreachable, a broken
project on this worker): robot failures are handled item by item by the runner. When Dramatiq gives up
on a message (it goes to the broker's dead-letter queue), this middleware records its items as failed
with the last error, so `retake runs show` lists them and the run can end.
"""

from __future__ import annotations

from typing import Any

from dramatiq.middleware import Middleware
from loguru import logger


class DeadLetters(Middleware):
    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        if exception is None or not message.failed:
            return
        if message.actor_name not in ("run_items", "start_run"):
            return
        args = list(message.args)
        run_id, project_dir = args[0], args[1]
        retries = message.options.get("retries", 0)
        text = f"gave up after {retries + 1} deliveries: {type(exception).__name__}: {exception}"
        try:
            from orchestrator import events, projects
            from orchestrator.errors import ConfigError

            ledger = projects.ledger_for(project_dir)  # (not the project: its files may be what is broken)
            if message.actor_name == "run_items":
                ledger.fail_items(run_id, list(args[2]), kind="application", message=text)
                closed = ledger.complete_if_done(run_id)
            else:
                closed = "failed" if ledger.fail_run(run_id, text) else None
            if closed:
                try:
                    events.run_finished(projects.project(project_dir), ledger.get_run(run_id) or {"id": run_id})
                except ConfigError:
                    pass  # no alerts to send from a project that does not load
            logger.bind(run_id=run_id).error(f"dead letter recorded in the ledger: {text}")
        except Exception as problem:  # noqa: BLE001 - the ledger itself may be what is down
            logger.bind(run_id=run_id).critical(
                f"dead letter for run {run_id} could not be recorded ({problem}); message {message.message_id} "
                f"is in the broker's dead-letter queue: {text}")
