"""Work that nobody waits for, done by a worker thread after it has reported a run's result.

A run's result is known once its items are written; tidying its resources for the next run (clearing a
browser context to keep it) need not delay the report. Resources put that work here with `later()`; the
worker thread does it (`run_pending()`, from the `Tidy` middleware) right after the message that reported
the run, before it takes its next message, so the next run in the thread never sees an untidied resource.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from dramatiq.middleware import Middleware
from loguru import logger

_local = threading.local()


def later(work: Callable[[], None]) -> None:
    """Do `work` in this thread once the message at hand (that reports the run) is done; at once in a
    thread that is not working a message (a test, a command working a run itself)."""
    if not getattr(_local, "in_message", False):
        _do(work)
        return
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = []
    pending.append(work)


def run_pending() -> None:
    """This thread's postponed work, oldest first; a failure is logged and does not stop the rest."""
    pending = getattr(_local, "pending", None)
    while pending:
        _do(pending.pop(0))


def _do(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - tidying must never fail the worker
        logger.bind(run_id="-", robot="-", item="-", step="-").warning(f"tidying after a run failed: {exc}")


class Tidy(Middleware):
    """Dramatiq middleware: after each message, its thread does the work its run postponed."""

    def before_process_message(self, broker: Any, message: Any) -> None:
        _local.in_message = True

    def after_process_message(self, broker: Any, message: Any, *, result: Any = None,
                              exception: BaseException | None = None) -> None:
        _local.in_message = False
        run_pending()

    after_skip_message = after_process_message
