"""A time limit on a block of Python code running in any thread.

Like Dramatiq's TimeLimit middleware, it raises an exception inside the thread when the limit passes;
blocking C calls are interrupted when they return to Python, so connectors also pass their own timeouts
to the libraries they drive (Playwright's `timeout=`). One watchdog thread per process serves every
limit (a heap of deadlines), so a limit costs microseconds, not a thread per step.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from dramatiq.middleware.threading import raise_thread_exception

from orchestrator.errors import StepTimeout


class _Expired(StepTimeout):
    pass


class _Watchdog(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="retake-time-limits", daemon=True)
        self.heap: list[tuple[float, int, int]] = []
        self.live: dict[int, threading.Event] = {}
        self.cond = threading.Condition()
        self.counter = itertools.count()

    def add(self, deadline: float, thread_id: int, fired: threading.Event) -> int:
        token = next(self.counter)
        with self.cond:
            self.live[token] = fired
            heapq.heappush(self.heap, (deadline, token, thread_id))
            if self.heap[0][1] == token:
                self.cond.notify()
        return token

    def remove(self, token: int) -> None:
        with self.cond:
            self.live.pop(token, None)

    def run(self) -> None:
        while True:
            with self.cond:
                while self.heap and self.heap[0][1] not in self.live:
                    heapq.heappop(self.heap)
                if not self.heap:
                    self.cond.wait()
                    continue
                deadline, token, thread_id = self.heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self.cond.wait(wait)
                    continue
                heapq.heappop(self.heap)
                fired = self.live.pop(token)
                fired.set()
                raise_thread_exception(thread_id, _Expired)


_watchdog: _Watchdog | None = None
_start_lock = threading.Lock()


def _dog() -> _Watchdog:
    global _watchdog
    if _watchdog is None or not _watchdog.is_alive():
        with _start_lock:
            if _watchdog is None or not _watchdog.is_alive():
                _watchdog = _Watchdog()
                _watchdog.start()
    return _watchdog


@contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    if not seconds:
        yield
        return
    dog = _dog()
    fired = threading.Event()
    token = dog.add(time.monotonic() + seconds, threading.get_ident(), fired)
    expired = False
    try:
        yield
    except _Expired:
        expired = True
        raise StepTimeout(f"{what} took longer than its time limit of {seconds:g}s") from None
    finally:
        dog.remove(token)
        if fired.is_set() and not expired:  # fired as the block ended: drop the pending exception
            _clear_pending(threading.get_ident())


def _clear_pending(thread_id: int) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)

