"""Throughput of the whole path (queue -> worker -> ledger) against plain Dramatiq, on the same broker.

For each broker (Redis, RabbitMQ), in this one process with one Dramatiq Worker of --threads threads:
  plain   --items no-op Dramatiq messages, sent then consumed;
  retake  a no-op robot with --items items: submitted, fanned out in chunks, worked, every item recorded
          in the PostgreSQL ledger (a fresh database), the run closed.
Prints both rates and their ratio (goal: retake >= 0.5x plain), and checks every item is recorded once.

    PYTHONPATH=. python bench/throughput.py [--items 10000] [--threads 8] [--brokers redis,rabbitmq]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REDIS_URL = os.environ.get("RETAKE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
AMQP_URL = os.environ.get("RETAKE_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PG_SERVER = os.environ.get("RETAKE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")

ROBOT = """version: 1
project: bench
robots:
  noop:
    items: "{{ range(inputs.n) | list }}"
    inputs: {n: {default: 10000, type: integer}}
    chunk_size: {chunk}
    steps:
      - set: {done: true}
"""


def _fresh_database() -> tuple[str, str]:
    import psycopg

    name = f"retake_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"{PG_SERVER}/{name}"


def _drop_database(name: str) -> None:
    import psycopg

    from orchestrator.ledger.db import dispose_all

    dispose_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_broker(url: str, *, items: int, threads: int, project: Path) -> tuple[float, float]:
    import dramatiq
    from dramatiq import Worker

    from orchestrator import projects
    from orchestrator.broker import queue_name, setup_broker
    from orchestrator.loader import load_project
    from orchestrator.submit import submit, wait_for

    os.environ["RETAKE_QUEUE_PREFIX"] = f"bench{uuid.uuid4().hex[:6]}-"
    os.environ["RETAKE_BROKER_URL"] = url
    broker = setup_broker(url, force=True)
    import orchestrator.queue  # noqa: F401 - the actors, now on this broker

    done = [0]
    lock = threading.Lock()
    finished = threading.Event()

    @dramatiq.actor(queue_name=queue_name("plain"), max_retries=0, actor_name=f"noop_{uuid.uuid4().hex[:6]}")
    def noop(n: int) -> None:
        with lock:
            done[0] += 1
            if done[0] == items:
                finished.set()

    broker.declare_queue(queue_name("default"))
    worker = Worker(broker, worker_threads=threads, queues={queue_name("plain"), queue_name("default")},
                    worker_timeout=100)
    worker.start()
    try:
        started = time.perf_counter()
        for n in range(items):
            noop.send(n)
        if not finished.wait(300):
            raise RuntimeError(f"plain Dramatiq: only {done[0]} of {items} messages in 300s")
        plain = items / (time.perf_counter() - started)

        loaded = load_project(project)
        ledger = projects.ledger_for(loaded)
        started = time.perf_counter()
        run_id = submit(loaded, "noop", {"n": items})
        run = wait_for(ledger, run_id, poll=0.02, timeout=600)
        ours = items / (time.perf_counter() - started)
        rows = ledger.run_items(run_id)
        assert run["status"] == "succeeded", run
        assert run["items_succeeded"] == items == len(rows), run
        assert all(r["status"] == "succeeded" and r["attempts"] == 1 for r in rows)
    finally:
        worker.stop()
        _purge(broker, [queue_name("plain"), queue_name("default")])
    return plain, ours


def _purge(broker, names: list[str]) -> None:  # noqa: ANN001
    for name in names:
        try:
            if type(broker).__name__ == "RabbitmqBroker":
                channel = broker.channel
                for suffix in ("", ".DQ", ".XQ"):
                    channel.queue_delete(name + suffix)
            else:
                broker.flush(name)
        except Exception:  # noqa: BLE001
            pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--brokers", default="redis,rabbitmq")
    parser.add_argument("--chunk-size", type=int, default=100, help="The robot's chunk_size (items per message).")
    args = parser.parse_args()
    os.environ.setdefault("RETAKE_LOG_LEVEL", "WARNING")
    from orchestrator import logs

    logs.configure("WARNING")
    db_name, db_url = _fresh_database()
    os.environ["RETAKE_DATABASE_URL"] = db_url
    project = Path(tempfile.mkdtemp(prefix="retake-bench-"))
    (project / "robots.yaml").write_text(ROBOT.replace("{chunk}", str(args.chunk_size)), encoding="utf-8")
    print(f"{args.items} no-op items in chunks of {args.chunk_size}, 1 process x {args.threads} threads, "
          "PostgreSQL ledger")
    print(f"{'broker':<10} {'plain dramatiq msg/s':>21} {'retake items/s':>15} {'ratio':>7}")
    worst = None
    try:
        for kind in args.brokers.split(","):
            url = {"redis": REDIS_URL, "rabbitmq": AMQP_URL}[kind.strip()]
            plain, ours = bench_broker(url, items=args.items, threads=args.threads, project=project)
            ratio = ours / plain
            worst = ratio if worst is None else min(worst, ratio)
            print(f"{kind:<10} {plain:>21,.0f} {ours:>15,.0f} {ratio:>6.2f}x", flush=True)
    finally:
        _drop_database(db_name)
    print(f"goal >= 0.50x: {'met' if worst is not None and worst >= 0.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
