"""A time limit on a block of Python code running in any thread.

Like Dramatiq's TimeLimit middleware, it raises an exception inside the thread when the limit passes;
blocking C calls are interrupted when they return to Python, so connectors also pass their own timeouts
to the libraries they drive (Playwright's `timeout=`). A library that must not be interrupted in the
middle of a call (Playwright's sync API waits in a C call with no end, and an exception raised into it
leaves it stuck) registers `interrupt_with(callback)` around its calls: an expired limit then calls
`callback` (Playwright: stop the thread's driver, which fails the call at once) and the block's error
becomes the time-limit error. One watchdog thread per process serves every
limit (a heap of deadlines), so a limit costs microseconds, not a thread per step.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dramatiq.middleware.threading import raise_thread_exception

from orchestrator.errors import ResourceLost, ResourceTimeout, StepTimeout


class _Expired(StepTimeout):
    pass


class _Watchdog(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="retake-time-limits", daemon=True)
        self.heap: list[tuple[float, int, int]] = []
        self.live: dict[int, threading.Event] = {}
        self.cond = threading.Condition()
        self.counter = itertools.count()
        self.wake_at = float("inf")  # when the watchdog, asleep, looks next

    def add(self, deadline: float, thread_id: int, fired: threading.Event) -> int:
        token = next(self.counter)
        with self.cond:
            self.live[token] = fired
            heapq.heappush(self.heap, (deadline, token, thread_id))
            if deadline < self.wake_at:  # only a limit due before it looks next wakes it (not one per call)
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
                    self.wake_at = float("inf")
                    self.cond.wait()
                    continue
                deadline, token, thread_id = self.heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self.wake_at = deadline
                    self.cond.wait(wait)
                    self.wake_at = float("-inf")  # awake: every add may notify until it sleeps again
                    continue
                heapq.heappop(self.heap)
                fired = self.live.pop(token)
                interrupt = _interrupters.get(thread_id)
                fired.interrupting = interrupt is not None  # type: ignore[attr-defined]  # read by time_limit
                fired.set()
                if interrupt is None or not _called(interrupt):
                    raise_thread_exception(thread_id, _Expired)


_interrupters: dict[int, Callable[[], bool]] = {}


def _called(interrupt: Callable[[], bool]) -> bool:
    try:
        return bool(interrupt())
    except Exception:  # noqa: BLE001 - then the limit is enforced the usual way
        return False


@contextmanager
def interrupt_with(callback: Callable[[], bool]) -> Iterator[None]:
    """Inside the block, an expired time limit calls `callback` (from the watchdog thread; it returns True
    when it made the blocked call fail) instead of raising an exception into this thread."""
    me = threading.get_ident()
    previous = _interrupters.get(me)
    _interrupters[me] = callback
    try:
        yield
    finally:
        if previous is None:
            _interrupters.pop(me, None)
        else:
            _interrupters[me] = previous


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
    except Exception as exc:
        if not fired.is_set() or isinstance(exc, StepTimeout):
            raise
        expired = True  # the limit passed and the call was made to fail by its interrupter
        message = f"{what} took longer than its time limit of {seconds:g}s"
        if isinstance(exc, ResourceLost) or getattr(fired, "interrupting", False):
            raise ResourceTimeout(f"{message}; what it waited on was stopped, the item starts again from its "
                                  "first step") from None
        raise StepTimeout(message) from None
    finally:
        dog.remove(token)
        if fired.is_set() and not expired:  # fired as the block ended: drop the pending exception
            _clear_pending(threading.get_ident())


def _clear_pending(thread_id: int) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)

