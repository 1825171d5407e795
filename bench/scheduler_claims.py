"""Several scheduler processes on one PostgreSQL database racing for the same slots: throughput and proof
that each slot fired exactly once. Time is simulated (a fake clock per process), runs are really created.

    python bench/scheduler_claims.py [SLOTS] [PROCESSES...]     (default 2000 slots, 1 2 4 processes)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PROJECT = """\
version: 1
project: bench
timezone: Asia/Seoul
robots:
  tick:
    inputs: {at: {}}
    steps:
      - log: "{{ inputs.at }}"
schedules:
  every_minute:
    robot: tick
    every: 1m
    overlap: queue
    inputs: {at: "{{ slot }}"}
"""
START = dt.datetime(2026, 9, 21, 0, 0, 30, tzinfo=dt.UTC)


def _scheduler(root: str, url: str, name: str, slots: int, barrier: mp.Barrier, out: mp.Queue) -> None:
    os.environ["RETAKE_DATABASE_URL"] = url
    os.environ.pop("RETAKE_BROKER_URL", None)
    from orchestrator.loader import load_project
    from orchestrator.scheduling.clock import FakeClock
    from orchestrator.scheduling.scheduler import Scheduler

    clock = FakeClock(START)
    sched = Scheduler(load_project(root), clock=clock, name=name)
    fired = 0
    barrier.wait()
    for _ in range(slots):
        clock.advance(minutes=1)
        fired += sum(1 for f in sched.tick() if f.status == "fired")
    out.put((name, fired))


def bench(slots: int, processes: int) -> None:
    import psycopg
    from sqlalchemy import create_engine, func, select

    db = f"retake_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    url = f"{SERVER}/{db}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "robots.yaml").write_text(PROJECT)
            os.environ["RETAKE_DATABASE_URL"] = url
            from orchestrator.ledger.db import engine_for

            engine_for(url).dispose()  # schema in place before the race
            ctx = mp.get_context("spawn")
            barrier, out = ctx.Barrier(processes + 1), ctx.Queue()
            procs = [ctx.Process(target=_scheduler, args=(tmp, url, f"s{i}", slots, barrier, out))
                     for i in range(processes)]
            for p in procs:
                p.start()
            barrier.wait()
            started = time.perf_counter()
            shares = dict(out.get(timeout=600) for _ in procs)
            elapsed = time.perf_counter() - started
            for p in procs:
                p.join()
            from orchestrator.scheduling.tables import firings

            engine = create_engine(url)
            with engine.connect() as conn:
                rows = conn.execute(select(func.count(), func.count(firings.c.slot.distinct()))).one()
            engine.dispose()
        verdict = "ok" if rows == (slots, slots) and sum(shares.values()) == slots else "WRONG"
        print(f"{processes} scheduler process(es), {slots} slots: {elapsed:.1f} s, {slots / elapsed:.0f} slots/s "
              f"(claim + run created + firing settled); firings {rows[0]}, distinct slots {rows[1]}, "
              f"per scheduler {sorted(shares.values(), reverse=True)}: {verdict}")
    finally:
        from orchestrator.ledger.db import dispose_all

        dispose_all()
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for n in [int(a) for a in sys.argv[2:]] or [1, 2, 4]:
        bench(count, n)
