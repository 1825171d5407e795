"""`concurrency: N` on a robot and named `pools:` shared by robots, held across every worker.

The limits live in the ledger's `slots` table, not in Dramatiq's rate limiters: the ledger is the one
service every worker already shares on every broker (Redis, RabbitMQ, and the embedded default, where
Dramatiq's Redis-backed limiter does not exist), a slot is taken with one conditional UPDATE, and a
slot shows who holds it (`retake status`). Slots are held per item, in a fixed order (robot, then pool)
so two limits never deadlock; a holder's lease is renewed while it works, so a vanished machine's slots
come back after LEASE_S, and at once when its supervisor sees the process die.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from loguru import logger

if TYPE_CHECKING:
    from orchestrator.cancel import RunGuard
    from orchestrator.ledger import Ledger
    from orchestrator.loader import LoadedProject

LEASE_S = 60.0
RENEW_EVERY_S = 10.0
MAX_WAIT_S = 10.0

_held: dict[str, tuple[Ledger, str, int]] = {}
_held_lock = threading.Lock()
_renewer: threading.Thread | None = None


def limits_for(loaded: LoadedProject, robot_name: str) -> list[tuple[str, int]]:
    """The (slot pool, capacity) pairs an item of this robot must hold, in acquisition order."""
    robot = loaded.spec.robots[robot_name]
    found = []
    if robot.concurrency:
        found.append((f"robot:{robot_name}", robot.concurrency))
    if robot.pool:
        found.append((f"pool:{robot.pool}", loaded.spec.pools.get(robot.pool, 1)))
    return found


@contextmanager
def hold(ledger: Ledger, limits: list[tuple[str, int]], holder: str, *, run_id: str,
         guard: RunGuard | None = None, max_wait_s: float = MAX_WAIT_S) -> Iterator[bool]:
    """Hold one slot of every limit while the block runs; yields False when they stayed busy too long."""
    taken: list[tuple[str, int]] = []
    try:
        for pool, capacity in limits:
            number = _wait_for_slot(ledger, pool, capacity, holder, run_id=run_id, guard=guard,
                                    max_wait_s=max_wait_s)
            if number is None:
                yield False
                return
            taken.append((pool, number))
            with _held_lock:
                _held[f"{pool}#{number}"] = (ledger, holder, number)
            _ensure_renewer()
        yield True
    finally:
        for pool, number in reversed(taken):
            with _held_lock:
                _held.pop(f"{pool}#{number}", None)
            try:
                ledger.release_slot(pool, number, holder)
            except Exception as exc:  # noqa: BLE001 - the lease frees it in the end
                logger.warning(f"could not release slot {pool}#{number}: {exc}")


def _wait_for_slot(ledger: Ledger, pool: str, capacity: int, holder: str, *, run_id: str,
                   guard: RunGuard | None, max_wait_s: float) -> int | None:
    give_up = time.monotonic() + max_wait_s
    pause = 0.02
    while True:
        number = ledger.acquire_slot(pool, capacity, holder, run_id=run_id, lease_s=LEASE_S)
        if number is not None:
            return number
        if guard is not None:
            guard.check()
        if time.monotonic() >= give_up:
            return None
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)


def _ensure_renewer() -> None:
    global _renewer
    if _renewer is not None and _renewer.is_alive():
        return
    _renewer = threading.Thread(target=_renew_forever, name="retake-slot-leases", daemon=True)
    _renewer.start()


def _renew_forever() -> None:
    while True:
        time.sleep(RENEW_EVERY_S)
        with _held_lock:
            held = list(_held.items())
        for key, (ledger, holder, _number) in held:
            try:
                ledger.renew_slots(holder, LEASE_S)
            except Exception as exc:  # noqa: BLE001
                logger.warning(f"could not renew slot {key}: {exc}")
