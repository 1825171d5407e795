"""Two schedulers on one PostgreSQL database: 1,000 slots, each fired exactly once."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select

from orchestrator import projects
from orchestrator.ledger.tables import runs
from orchestrator.loader import load_project
from orchestrator.scheduling.clock import FakeClock
from orchestrator.scheduling.scheduler import Scheduler
from orchestrator.scheduling.tables import firings

pytestmark = pytest.mark.services

SLOTS = 1000
START = dt.datetime(2026, 9, 21, 0, 0, 30, tzinfo=dt.UTC)


def test_two_schedulers_on_postgresql_fire_1000_slots_none_twice_none_missed(
        embedded, make_project, postgres_url, monkeypatch):
    monkeypatch.setenv("RETAKE_DATABASE_URL", postgres_url)
    root = make_project("""
robots:
  tick:
    inputs:
      at: {}
    steps:
      - log: "{{ inputs.at }}"
schedules:
  every_minute:
    robot: tick
    every: 1m
    overlap: queue
    inputs: {at: "{{ slot }}"}
""")
    loaded = load_project(root)
    barrier = threading.Barrier(2)
    fired: dict[str, list] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def scheduler(name: str) -> None:
        clock = FakeClock(START)
        sched = Scheduler(loaded, clock=clock, name=name)
        try:
            for _ in range(SLOTS):
                clock.advance(minutes=1)
                barrier.wait(timeout=30)          # both go for the same slot at the same moment
                fired[name] += sched.tick()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
            barrier.abort()

    started = time.perf_counter()
    threads = [threading.Thread(target=scheduler, args=(n,)) for n in fired]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.perf_counter() - started
    assert not errors, errors
    everything = fired["a"] + fired["b"]
    assert len(everything) == SLOTS
    assert len({f.slot for f in everything}) == SLOTS
    assert {f.status for f in everything} == {"fired"}
    expected = {START.replace(second=0) + dt.timedelta(minutes=i) for i in range(1, SLOTS + 1)}
    assert {f.slot for f in everything} == expected
    engine = projects.ledger_for(loaded).engine
    with engine.connect() as conn:
        rows = conn.execute(select(firings.c.scheduler, func.count()).group_by(firings.c.scheduler)).all()
        run_count = conn.execute(select(func.count()).select_from(runs).where(runs.c.trigger == "schedule")).scalar()
        distinct_slots = conn.execute(select(func.count(firings.c.slot.distinct()))).scalar()
    assert sum(count for _, count in rows) == SLOTS and distinct_slots == SLOTS
    assert run_count == SLOTS
    print(f"\n{SLOTS} slots in {elapsed:.1f}s; per scheduler: {dict(rows)}")
