"""`retake worker`: N worker processes, each running Dramatiq's Worker, restarted when one dies.

A killed child (OOM, SIGKILL, a crash in a native library) is replaced after a short backoff; the
ledger is told at once that it is gone, so its running items can be taken over and its concurrency
slots freed without waiting for leases. SIGTERM or SIGINT stops the children cleanly (they finish or
hand back their messages) and then the supervisor; a supervisor killed outright (SIGKILL) is noticed by
its children within a second, and they stop as cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from loguru import logger

RESTART_BACKOFF_S = (0.5, 1, 2, 5, 10, 30)
HEALTHY_AFTER_S = 30.0


@dataclass
class Child:
    slot: int
    process: subprocess.Popen | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    history: list[int] = field(default_factory=list)


class Supervisor:
    def __init__(self, *, processes: int, threads: int, queues: list[str] | None, project: str | None):
        self.processes, self.threads, self.queues, self.project = processes, threads, queues, project
        self.children = [Child(slot=i) for i in range(processes)]
        self.stopping = threading.Event()

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "orchestrator.worker", "--threads", str(self.threads), "--parent", str(os.getpid())]
        if self.queues:
            cmd += ["--queues", ",".join(self.queues)]
        if self.project:
            cmd += ["--project", self.project]
        return cmd

    def spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(self.command(), env=os.environ.copy())
        child.started = time.monotonic()
        child.history.append(child.process.pid)
        logger.info(f"worker process {child.process.pid} started (slot {child.slot})")

    def run(self) -> int:
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        for child in self.children:
            self.spawn(child)
        while not self.stopping.wait(0.2):
            for child in self.children:
                self._watch(child)
        return self.shutdown()

    def _watch(self, child: Child) -> None:
        now = time.monotonic()
        if child.process is None:
            if now >= child.restart_at:
                self.spawn(child)
            return
        code = child.process.poll()
        if code is None:
            if child.failures and now - child.started > HEALTHY_AFTER_S:
                child.failures = 0
            return
        pid = child.process.pid
        child.process = None
        self._forget(pid)
        delay = RESTART_BACKOFF_S[min(child.failures, len(RESTART_BACKOFF_S) - 1)]
        child.failures += 1
        child.restart_at = now + delay
        logger.warning(f"worker process {pid} exited with {code}; restarting in {delay:g}s")

    def _forget(self, pid: int) -> None:
        """Tell the ledger a child is gone: its items may be taken over, its slots are free."""
        from orchestrator.worker import _ledger

        ledger = _ledger(self.project)
        if ledger is not None:
            try:
                ledger.worker_stopped(f"{socket.gethostname()}:{pid}")
            except Exception as exc:  # noqa: BLE001
                logger.warning(f"could not record the end of worker {pid}: {exc}")

    def shutdown(self) -> int:
        from orchestrator.worker import STOP_TIMEOUT_S

        running = [c.process for c in self.children if c.process is not None]
        logger.info(f"stopping {len(running)} worker process(es)")
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S + 5
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning(f"worker process {process.pid} did not stop in time: killing it")
                process.kill()
                process.wait()
                self._forget(process.pid)
        return 0


def run_supervisor(*, processes: int, threads: int, queues: list[str] | None, project: str | None) -> int:
    return Supervisor(processes=processes, threads=threads, queues=queues, project=project).run()
