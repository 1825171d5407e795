"""Benchmark: the savings report over a ledger of 1,000,000 items, on SQLite and on PostgreSQL (goal < 1 s).

    PYTHONPATH=. .venv/bin/python bench/report.py [--items 1000000] [--only sqlite|postgresql]

The ledger is written with bulk inserts (executemany on SQLite, COPY on PostgreSQL): 10 robots, runs of
100 items spread over the last 365 days, 3% business and 2% application failures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROBOTS = 10
ITEMS_PER_RUN = 100
STEPS = ["read", "check", "login", "submit", "move"]


def project_dir(folder: Path) -> Path:
    body = ["version: 1", "project: bench", "timezone: Asia/Seoul",
            "economics: {currency: KRW, hourly_cost: 42000, robot_hourly_cost: 1500}", "robots:"]
    for n in range(ROBOTS):
        body += [f"  robot{n}:", f"    manual_minutes: {2 + n % 5}", "    exception_minutes: 3",
                 "    steps: [{log: hi}]"]
    (folder / "robots.yaml").write_text("\n".join(body) + "\n", encoding="utf-8")
    return folder


def generate(total_items: int, seed: int = 7):  # noqa: ANN201
    """(runs, items) rows: runs as tuples matching RUN_COLUMNS, items as tuples matching ITEM_COLUMNS."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    runs, items = [], []
    item_id = 0
    for r in range(total_items // ITEMS_PER_RUN):
        robot = f"robot{r % ROBOTS}"
        queued = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        ok = failed = 0
        seconds = 0.0
        run_id = f"bench-{r:07d}"
        for i in range(ITEMS_PER_RUN):
            item_id += 1
            roll = rng.random()
            duration = round(rng.uniform(0.5, 6.0), 3)
            seconds += duration
            if roll < 0.03:
                status, kind, step, message = "failed", "business", rng.choice(STEPS[:2]), "amount missing"
            elif roll < 0.05:
                status, kind, step, message = "failed", rng.choice(["application", "timeout"]), \
                    rng.choice(STEPS[2:]), "page did not load"
            else:
                status, kind, step, message = "succeeded", None, None, None
            ok += status == "succeeded"
            failed += status == "failed"
            items.append((item_id, run_id, i, f"{run_id}-{i}", status, 1, queued, queued, duration, kind, message,
                          step))
        runs.append((run_id, "bench", robot, "partial" if failed else "succeeded", "schedule", "{}", "default",
                     2 + (r % ROBOTS) % 5, 3.0, ITEMS_PER_RUN, ok, failed, 0, round(seconds, 3), queued, queued,
                     queued + dt.timedelta(seconds=seconds), seconds))
    return runs, items


RUN_COLUMNS = ("id", "project", "robot", "status", "trigger", "inputs", "queue", "manual_minutes",
               "exception_minutes", "items_total", "items_succeeded", "items_failed", "items_cancelled",
               "robot_seconds", "queued_at", "started_at", "finished_at", "duration_s")
ITEM_COLUMNS = ("id", "run_id", "idx", "key", "status", "attempts", "started_at", "finished_at", "duration_s",
                "error_kind", "error_message", "error_step")


def load_sqlite(engine, runs, items) -> None:  # noqa: ANN001
    def stamp(value):  # noqa: ANN001, ANN202 - SQLAlchemy's SQLite storage format
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, dt.datetime) else value

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.executemany(f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
                           [tuple(stamp(v) for v in row) for row in runs])
        cursor.executemany(f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(ITEM_COLUMNS))})", [tuple(stamp(v) for v in row) for row in items])
        raw.commit()
        cursor.execute("ANALYZE")
    finally:
        raw.close()


def load_postgresql(engine, runs, items) -> None:  # noqa: ANN001
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in (("runs", RUN_COLUMNS, runs), ("items", ITEM_COLUMNS, items)):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.execute("SELECT setval('items_id_seq', (SELECT max(id) FROM items))")
        raw.commit()
    finally:
        raw.close()
    # the steady state of a live ledger, where autovacuum has run (index-only scans need the visibility map)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def measure(engine, economics, timezone: str, label: str, repeat: int = 5) -> None:  # noqa: ANN001
    from orchestrator.savings import build_report, make_period

    cases = [("all time, by day", None, "day", None), ("all time, by month", None, "month", None),
             ("last 30 days, by day", "30d", "day", None), ("one robot, all time, by week", None, "week", "robot3")]
    for name, since, by, robot in cases:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = build_report(engine, economics, period=make_period(since, None, timezone), by=by, robot=robot)
            times.append(time.perf_counter() - started)
        total = report["total"]
        print(f"{label:10s} {name:30s} median {statistics.median(times) * 1000:7.1f} ms  "
              f"first {times[0] * 1000:7.1f} ms  (items {total['items_succeeded'] + total['items_failed']:,}, "
              f"value saved {total['value_saved']:,} KRW)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    from sqlalchemy import create_engine

    from orchestrator.ledger.schema import ensure_schema
    from orchestrator.loader import load_project

    started = time.perf_counter()
    runs, items = generate(args.items)
    print(f"generated {len(runs):,} runs and {len(items):,} items in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        loaded = load_project(project_dir(Path(folder)))
        economics, timezone = loaded.spec.economics, loaded.spec.timezone
        if args.only in (None, "sqlite"):
            engine = create_engine(f"sqlite:///{folder}/bench.db")
            ensure_schema(engine)
            started = time.perf_counter()
            load_sqlite(engine, runs, items)
            print(f"sqlite     loaded in {time.perf_counter() - started:.1f} s")
            measure(engine, economics, timezone, "sqlite")
            engine.dispose()
        if args.only in (None, "postgresql"):
            import psycopg

            name = "retake_bench_report"
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
                ensure_schema(engine)
                started = time.perf_counter()
                load_postgresql(engine, runs, items)
                print(f"postgresql loaded in {time.perf_counter() - started:.1f} s")
                measure(engine, economics, timezone, "postgresql")
                engine.dispose()
            finally:
                with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
