"""The fleet in the ledger: worker heartbeats, and the slots behind `concurrency:` and `pools:`.

A slot is one row per (pool, number); holding it is a conditional UPDATE that succeeds only when the
row is free or its lease ran out, which PostgreSQL and SQLite both do atomically. Leases are renewed by
the holder's heartbeat, so the slots of a machine that vanished come back after `lease` seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator.ledger.db import reading
from orchestrator.ledger.rows import utcnow
from orchestrator.ledger.tables import slots, workers

STALE_AFTER_S = 20.0


class FleetStore:
    engine: Engine
    _slot_rows: set[tuple[str, int]]

    def heartbeat(self, name: str, *, host: str, pid: int, queues: list[str], threads: int, broker: str,
                  items_done: int = 0, started_at: dt.datetime | None = None, status: str = "running") -> None:
        now = utcnow()
        values = dict(host=host, pid=pid, queues=queues, threads=threads, broker=broker, status=status,
                      last_seen=now, items_done=items_done)
        with self.engine.begin() as conn:
            if conn.execute(update(workers).where(workers.c.name == name).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(insert(workers).values(name=name, started_at=started_at or now, **values))
            except IntegrityError:
                conn.execute(update(workers).where(workers.c.name == name).values(**values))

    def worker_stopped(self, name: str) -> None:
        """A worker that ended (cleanly or not): not alive any more, its slots free at once."""
        with self.engine.begin() as conn:
            conn.execute(update(workers).where(workers.c.name == name).values(status="stopped", last_seen=utcnow()))
            conn.execute(update(slots).where(slots.c.holder.like(f"{name}/%")).values(holder=None, lease_until=None))

    def workers_seen(self, within_s: float = 120.0) -> list[dict[str, Any]]:
        since = utcnow() - dt.timedelta(seconds=within_s)
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(workers).where(workers.c.last_seen >= since).order_by(workers.c.name))]

    def alive_workers(self, stale_after_s: float = STALE_AFTER_S) -> set[str]:
        since = utcnow() - dt.timedelta(seconds=stale_after_s)
        with reading(self.engine) as conn:
            return set(conn.execute(select(workers.c.name).where(and_(
                workers.c.last_seen >= since, workers.c.status == "running"))).scalars())

    def forget_workers(self, older_than_s: float = 7 * 86400) -> None:
        since = utcnow() - dt.timedelta(seconds=older_than_s)
        with self.engine.begin() as conn:
            conn.execute(delete(workers).where(workers.c.last_seen < since))

    # slots ------------------------------------------------------------------
    def acquire_slot(self, pool: str, capacity: int, holder: str, *, run_id: str | None = None,
                     lease_s: float = 60.0) -> int | None:
        """Take a free slot of `pool` (numbers 0..capacity-1) for `holder`; None when all are held."""
        self._ensure_slots(pool, capacity)
        now = utcnow()
        numbers = list(range(capacity))
        random.shuffle(numbers)
        with self.engine.begin() as conn:
            for number in numbers:
                taken = conn.execute(update(slots).where(and_(
                    slots.c.pool == pool, slots.c.slot == number,
                    or_(slots.c.holder.is_(None), slots.c.lease_until < now))).values(
                    holder=holder, run_id=run_id, lease_until=now + dt.timedelta(seconds=lease_s))).rowcount
                if taken:
                    return number
        return None

    def release_slot(self, pool: str, number: int, holder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(slots).where(and_(slots.c.pool == pool, slots.c.slot == number,
                                                  slots.c.holder == holder)).values(holder=None, lease_until=None))

    def renew_slots(self, holder_prefix: str, lease_s: float = 60.0) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(slots).where(slots.c.holder.like(f"{holder_prefix}%")).values(
                lease_until=utcnow() + dt.timedelta(seconds=lease_s)))

    def slots_held(self, pool: str | None = None) -> list[dict[str, Any]]:
        query = select(slots).where(slots.c.holder.is_not(None)).order_by(slots.c.pool, slots.c.slot)
        if pool:
            query = query.where(slots.c.pool == pool)
        with reading(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def _ensure_slots(self, pool: str, capacity: int) -> None:
        if all((pool, n) in self._slot_rows for n in range(capacity)):
            return
        with reading(self.engine) as conn:
            have = set(conn.execute(select(slots.c.slot).where(slots.c.pool == pool)).scalars())
        for number in range(capacity):
            if number not in have:
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(slots).values(pool=pool, slot=number))
                except IntegrityError:
                    pass
            self._slot_rows.add((pool, number))
