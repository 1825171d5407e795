"""Time for the scheduler, injected so that tests move it by hand instead of sleeping through it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

UTC = dt.UTC


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        """Wait `seconds`, or less when `stop` is set."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to (`advance`) or when the scheduler sleeps."""

    def __init__(self, start: dt.datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: dt.timedelta | float = 0.0, **units: float) -> dt.datetime:
        step = delta if isinstance(delta, dt.timedelta) else dt.timedelta(seconds=delta)
        with self._lock:
            self._now += step + dt.timedelta(**units)
            return self._now

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        self.advance(max(0.0, seconds))
