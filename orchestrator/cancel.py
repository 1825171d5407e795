"""Stopping a run from outside: `retake cancel`, and the run's own time limit.

A `RunGuard` is checked by the runner at every step boundary and before every attempt. It reads the
run's status from the ledger at most every `poll_s` seconds (cheap on a hot path of thousands of
items), and knows the run's deadline (started_at + the robot's `timeout`, or `defaults.timeout`), so
a step is also cut at the deadline.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from orchestrator.errors import Cancelled, RunTimeout
from orchestrator.states import RunStatus

if TYPE_CHECKING:
    from orchestrator.ledger import Ledger
    from orchestrator.loader import LoadedProject

POLL_S = 0.5


def run_limit(loaded: LoadedProject, robot_name: str) -> float | None:
    """The run's time limit in seconds: the robot's `timeout`, else the project's `defaults.timeout`."""
    robot = loaded.spec.robots[robot_name]
    limit = robot.timeout if robot.timeout is not None else loaded.spec.defaults.timeout
    return limit or None


class RunGuard:
    def __init__(self, ledger: Ledger | None, run_id: str, *, started_at: dt.datetime | None,
                 limit_s: float | None, poll_s: float = POLL_S):
        self.ledger = ledger
        self.run_id = run_id
        self.limit_s = limit_s
        self.poll_s = poll_s
        self.deadline: float | None = None
        if limit_s and started_at is not None:
            start = started_at if started_at.tzinfo else started_at.replace(tzinfo=dt.timezone.utc)
            self.deadline = start.timestamp() + limit_s
        self._polled = 0.0
        self.status: str | None = None

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def timeout_error(self) -> RunTimeout:
        return RunTimeout(f"the run took longer than its time limit of {self.limit_s:g}s and was stopped")

    def check(self) -> None:
        """Raise Cancelled or RunTimeout when the run must stop; otherwise return at once."""
        if self.expired():
            raise self.timeout_error()
        if self.ledger is None:
            return
        now = time.monotonic()
        if now - self._polled >= self.poll_s:
            self._polled = now
            self.status = self.ledger.run_status(self.run_id)
        if self.status == RunStatus.CANCELLED.value:
            raise Cancelled("the run was cancelled")
        if self.status is not None and RunStatus(self.status).finished:
            raise Cancelled(f"the run already ended ({self.status})")

    def step_limit(self, step_timeout: float | None) -> tuple[float | None, bool]:
        """The time a step may take: its own limit, cut to what is left of the run's (then True)."""
        left = self.remaining()
        if left is None or (step_timeout and step_timeout <= left):
            return step_timeout, False
        return max(left, 0.001), True


def stop(ledger: Ledger, run_id: str, *, reason: str = "cancelled") -> dict[str, Any] | None:
    """Cancel a queued or running run; returns the closed run, None when it had already ended."""
    if ledger.cancel_run(run_id, reason) is None:
        return None
    return ledger.get_run(run_id)
