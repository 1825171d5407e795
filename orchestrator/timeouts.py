"""A time limit on a block of Python code running in any thread.

Like Dramatiq's TimeLimit middleware, it raises an exception inside the thread when the limit passes;
blocking C calls are interrupted when they return to Python, so connectors also pass their own timeouts
to the libraries they drive (Playwright's `timeout=`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dramatiq.middleware.threading import raise_thread_exception

from orchestrator.errors import StepTimeout


class _Expired(StepTimeout):
    pass


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    if not seconds:
        yield
        return
    thread_id = threading.get_ident()
    fired = threading.Event()
    done = threading.Event()

    def expire() -> None:
        if not done.is_set():
            fired.set()
            raise_thread_exception(thread_id, _Expired)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except _Expired:
        raise StepTimeout(f"{what} took longer than its time limit of {seconds:g}s") from None
    finally:
        done.set()
        timer.cancel()
