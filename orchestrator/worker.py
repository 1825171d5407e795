"""One worker process: Dramatiq's own Worker on the configured broker, plus a heartbeat.

Started by the supervisor (`retake worker`) as `python -m orchestrator.worker`. The heartbeat thread
records the process in the ledger's `workers` table (what `retake status` shows and what tells other
workers that this one's running items are not orphans) and, on Redis, keeps the broker's heartbeat
fresh while every thread is busy on a long item, so its messages are never taken for a dead worker's.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from loguru import logger

HEARTBEAT_S = 2.0
STOP_TIMEOUT_S = float(os.environ.get("RETAKE_STOP_TIMEOUT", "30"))


def project_queues(project: str | None) -> list[str]:
    """The queues of the project's robots (the default queue included), or ["default"] without a project."""
    from orchestrator.broker import DEFAULT_QUEUE
    from orchestrator.loader import load_project

    try:
        loaded = load_project(project)
    except Exception:  # noqa: BLE001 - no project here: serve the default queue
        return [DEFAULT_QUEUE]
    return sorted({DEFAULT_QUEUE, *(robot.queue for robot in loaded.spec.robots.values())})


def _ledger(project: str | None, stop: threading.Event | None = None) -> Any:
    """The ledger the fleet reports to: RETAKE_DATABASE_URL, else the project's SQLite ledger. With `stop`
    (a worker starting), while it cannot be reached this waits, and the worker takes no work: a run started
    now could record nothing, its start would use up its retries and be lost. Without, one try (None)."""
    from orchestrator.errors import ConfigError
    from orchestrator.ledger import Ledger, database_url, engine_for
    from orchestrator.loader import find_root

    try:
        url = database_url(None if os.environ.get("RETAKE_DATABASE_URL") else find_root(project))
    except (ConfigError, ValueError) as exc:  # no project here: each message names its own project
        logger.warning(f"no ledger to report this worker to ({exc}); `retake status` will not list it")
        return None
    delay, said = 1.0, 0.0
    while stop is None or not stop.is_set():
        try:
            return Ledger(engine_for(url))
        except Exception as exc:  # noqa: BLE001 - psycopg, sqlite3: each driver has its own errors
            if stop is None:
                logger.warning(f"the ledger ({_shown(url)}) cannot be reached: {exc}")
                return None
            if time.monotonic() - said > 30:
                said = time.monotonic()
                text = str(getattr(exc, "orig", None) or exc).strip()
                reason = text.splitlines()[0] if text else type(exc).__name__
                logger.error(f"the ledger ({_shown(url)}) cannot be reached: {reason}; this worker takes no "
                             "work until it answers (start the database or check RETAKE_DATABASE_URL)")
            stop.wait(delay)
            delay = min(delay * 2, 10.0)
    return None


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class Heartbeat(threading.Thread):
    def __init__(self, *, ledger: Any, broker: Any, queues: list[str], threads: int):
        super().__init__(name="retake-heartbeat", daemon=True)
        from orchestrator.broker import broker_kind, queue_name
        from orchestrator.chunks import worker_name

        self.ledger, self.broker, self.queues, self.threads = ledger, broker, queues, threads
        self.full_names = [queue_name(q) for q in queues]
        self.kind = broker_kind(broker)
        self.name_ = worker_name()
        self.stopping = threading.Event()
        self.started = time.time()

    def beat_broker(self) -> None:
        if self.kind == "redis":
            for name in self.full_names:  # any broker call refreshes the heartbeat and may run maintenance
                self.broker.do_qsize(name)

    def beat(self, status: str = "running") -> None:
        import datetime as dt
        import socket

        from orchestrator import chunks

        if self.ledger is not None:
            self.ledger.heartbeat(self.name_, host=socket.gethostname(), pid=os.getpid(), queues=self.queues,
                                  threads=self.threads, broker=self.kind, items_done=chunks.items_done,
                                  started_at=dt.datetime.fromtimestamp(self.started, dt.timezone.utc),
                                  status=status)

    def run(self) -> None:
        # The broker's heartbeat has its own thread: a slow ledger must never make this worker look dead.
        threading.Thread(target=self._loop, args=(self.beat_broker,), name="retake-broker-heartbeat",
                         daemon=True).start()
        self._loop(self.beat)

    def _loop(self, beat: Any) -> None:
        while not self.stopping.wait(HEARTBEAT_S):
            try:
                beat()
            except Exception as exc:  # noqa: BLE001 - the ledger or broker may be down for a while
                logger.warning(f"heartbeat failed: {exc}")


def serve(*, threads: int, queues: list[str] | None, project: str | None) -> int:
    from orchestrator import logs

    if project:
        os.environ["RETAKE_PROJECT"] = str(Path(project).resolve())
    logs.configure()
    from dramatiq import Worker

    import orchestrator.queue  # noqa: F401 - declares the actors on the configured broker
    from orchestrator import projects
    from orchestrator.broker import broker_kind, current_broker, queue_name

    broker = current_broker()
    names = queues or project_queues(project)
    for name in names:
        broker.declare_queue(queue_name(name))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ledger = _ledger(project, stop)
    if stop.is_set():
        return 0
    worker = Worker(broker, worker_threads=threads, queues={queue_name(n) for n in names}, worker_timeout=500)
    worker.queue_prefetch = threads  # chunks are big: hoarding them would keep other workers idle
    heartbeat = Heartbeat(ledger=ledger, broker=broker, queues=names, threads=threads)
    worker.start()
    try:
        heartbeat.beat()
    except Exception as exc:  # noqa: BLE001
        logger.warning(f"first heartbeat failed: {exc}")
    heartbeat.start()
    logger.info(f"worker {heartbeat.name_} on {broker_kind(broker)} serving {', '.join(names)} "
                f"with {threads} thread(s)")
    stop.wait()
    logger.info(f"worker {heartbeat.name_} stopping (waiting up to {STOP_TIMEOUT_S:g}s for running items)")
    heartbeat.stopping.set()
    from orchestrator.chunks import STOPPING

    STOPPING.set()
    worker.stop(timeout=int(STOP_TIMEOUT_S * 1000))
    projects.close_all()
    if heartbeat.ledger is not None:
        try:
            heartbeat.ledger.worker_stopped(heartbeat.name_)
        except Exception:  # noqa: BLE001
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.worker")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--queues", default="")
    parser.add_argument("--project", default=None)
    parser.add_argument("--parent", type=int, default=None, help="stop when this process (the supervisor) is gone")
    args = parser.parse_args(argv)
    queues = [q for q in (s.strip() for s in args.queues.split(",")) if q] or None
    if args.parent is not None:
        follow_parent(args.parent)
    return serve(threads=args.threads, queues=queues, project=args.project)


def follow_parent(parent: int, every_s: float = 1.0) -> None:
    """Stop this worker cleanly (as on SIGTERM: the item at hand finishes, the rest goes back to the queue)
    once its supervisor is gone, even killed with SIGKILL, which it cannot pass on: an orphan worker would
    go on taking work that nobody watches or restarts."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        logger.warning(f"supervisor {parent} is gone: this worker stops")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="retake-parent-watch", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
