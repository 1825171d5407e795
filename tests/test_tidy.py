"""Work postponed until a worker has finished its message (clearing a browser context after the report)."""

from __future__ import annotations

import threading

import dramatiq
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

from orchestrator import tidy


def test_postponed_work_runs_after_the_message_and_before_the_next_one():
    broker = StubBroker()
    broker.add_middleware(tidy.Tidy())
    seen: list[str] = []
    threads: set[int] = set()

    @dramatiq.actor(broker=broker, max_retries=0)
    def report(name: str) -> None:
        tidy.later(lambda: (seen.append(f"tidy {name}"), threads.add(threading.get_ident())))
        seen.append(f"reported {name}")
        threads.add(threading.get_ident())

    @dramatiq.actor(broker=broker, max_retries=0)
    def broken() -> None:
        tidy.later(lambda: seen.append("tidy broken"))
        raise RuntimeError("the message failed")

    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        report.send("a")
        broken.send()
        report.send("b")
        broker.join(report.queue_name, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    assert seen == ["reported a", "tidy a", "tidy broken", "reported b", "tidy b"]
    assert len(threads) == 1  # in the worker thread that did the message (Playwright is bound to it)


def test_outside_a_message_the_work_is_done_at_once_and_a_failure_does_not_spread():
    seen: list[str] = []
    tidy.later(lambda: seen.append("now"))
    tidy.later(lambda: 1 / 0)  # logged, not raised
    assert seen == ["now"]
