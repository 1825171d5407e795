"""Real `retake worker` processes for the fleet tests: started with isolated queues, stopped afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class Fleet:
    """Workers and CLI calls sharing one broker, one queue prefix, one PostgreSQL ledger, one project."""

    def __init__(self, *, broker_url: str, database_url: str, project: Path):
        self.project = project
        self.prefix = f"t{uuid.uuid4().hex[:8]}-"
        self.env = {**os.environ, "RETAKE_BROKER_URL": broker_url, "RETAKE_DATABASE_URL": database_url,
                    "RETAKE_QUEUE_PREFIX": self.prefix, "RETAKE_LOG_LEVEL": "INFO", "RETAKE_STOP_TIMEOUT": "5",
                    "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.env.pop("RETAKE_PROJECT", None)
        self.supervisors: list[subprocess.Popen] = []
        self.broker_url = broker_url
        self.database_url = database_url

    def retake(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "orchestrator", *args, "--project", str(self.project)],
                              env=self.env, capture_output=True, text=True, timeout=timeout, cwd=self.project)

    def submit(self, robot: str, *inputs: str) -> str:
        args = ["run", robot, "--detach"]
        for pair in inputs:
            args += ["--input", pair]
        done = self.retake(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def start_worker(self, *, processes: int = 1, threads: int = 1, queues: str | None = None) -> subprocess.Popen:
        args = [sys.executable, "-m", "orchestrator", "worker", "--processes", str(processes), "--threads",
                str(threads), "--project", str(self.project)]
        if queues:
            args += ["--queues", queues]
        log = open(self.project / f"supervisor-{len(self.supervisors)}.log", "w")
        proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.project)
        self.supervisors.append(proc)
        return proc

    def ledger(self) -> Any:
        from orchestrator.ledger import Ledger, engine_for
        from orchestrator.ledger.db import normalize

        return Ledger(engine_for(normalize(self.database_url)))

    def wait_workers(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        ledger = self.ledger()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = [w for w in ledger.workers_seen(60) if w["status"] == "running"]
            if len(alive) >= count:
                return alive
            time.sleep(0.2)
        raise AssertionError(f"{count} worker(s) did not report within {timeout}s: {self.logs()}")

    def wait_run(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        from orchestrator.submit import wait_for

        try:
            return wait_for(self.ledger(), run_id, timeout=timeout, poll=0.1)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    def wait_until(self, predicate: Any, timeout: float = 30, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"{what} not met within {timeout}s\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.project.glob("supervisor-*.log")))

    def run_log_lines(self, run_id: str) -> list[dict[str, Any]]:
        path = self.project / ".retake" / "runs" / run_id / "log.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        for proc in self.supervisors:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.supervisors:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._clean_broker()

    def _clean_broker(self) -> None:
        try:
            if self.broker_url.startswith("redis"):
                import redis

                client = redis.Redis.from_url(self.broker_url)
                keys = list(client.scan_iter(f"*{self.prefix}*"))
                if keys:
                    client.delete(*keys)
            else:
                import pika

                connection = pika.BlockingConnection(pika.URLParameters(self.broker_url))
                channel = connection.channel()
                for robot_queue in ("default", "erp", "other"):
                    for suffix in ("", ".DQ", ".XQ"):
                        channel.queue_delete(f"{self.prefix}{robot_queue}{suffix}")
                connection.close()
        except Exception:  # noqa: BLE001 - cleaning is best effort
            pass


def item_done_counts(lines: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        record = line.get("record", {})
        if record.get("message") == "item done":
            key = record["extra"]["item"]
            counts[key] = counts.get(key, 0) + 1
    return counts
