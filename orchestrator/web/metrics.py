"""Prometheus metrics read from the ledger at each scrape (so every worker's runs count, wherever it ran)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case, func, select

from orchestrator.ledger.db import reading
from orchestrator.ledger.tables import runs

OPEN = ("queued", "running")


class LedgerCollector(Collector):
    def __init__(self, engine: Any):
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        by_status = select(runs.c.robot, runs.c.status, func.count()).group_by(runs.c.robot, runs.c.status)
        finished = case((runs.c.finished_at.is_not(None), 1), else_=0)
        pending = runs.c.items_total - runs.c.items_succeeded - runs.c.items_failed - runs.c.items_cancelled
        per_robot = select(
            runs.c.robot, func.sum(runs.c.items_succeeded), func.sum(runs.c.items_failed),
            func.sum(runs.c.items_cancelled), func.sum(runs.c.robot_seconds),
            func.sum(finished), func.sum(case((runs.c.finished_at.is_not(None), runs.c.duration_s), else_=0)),
            func.sum(case((runs.c.status == "queued", 1), else_=0)),
            func.sum(case((runs.c.status == "running", pending), else_=0)),
            func.sum(case((runs.c.status == "running", 1), else_=0)),
            func.sum(runs.c.items_succeeded * runs.c.manual_minutes - runs.c.items_failed * runs.c.exception_minutes),
        ).group_by(runs.c.robot)
        with reading(self.engine) as conn:
            statuses = conn.execute(by_status).all()
            robots = conn.execute(per_robot).all()
        runs_total = CounterMetricFamily("retake_runs", "Runs in the ledger by robot and status.",
                                         labels=["robot", "status"])
        for robot, status, count in statuses:
            runs_total.add_metric([robot, status], count)
        items_total = CounterMetricFamily("retake_items", "Finished items by robot and status.",
                                          labels=["robot", "status"])
        item_seconds = CounterMetricFamily("retake_item_seconds", "Time spent working items (robot time).",
                                           labels=["robot"])
        durations = SummaryMetricFamily("retake_run_duration_seconds", "Duration of finished runs.",
                                        labels=["robot"])
        depth = GaugeMetricFamily("retake_queue_depth", "Work waiting: queued runs and the open items of "
                                  "running runs.", labels=["robot", "kind"])
        running = GaugeMetricFamily("retake_runs_in_progress", "Runs being worked now.", labels=["robot"])
        saved = CounterMetricFamily("retake_manual_hours_saved", "Manual hours saved (see docs/savings.md).",
                                    labels=["robot"])
        for row in robots:
            robot = row[0]
            for status, value in zip(("succeeded", "failed", "cancelled"), row[1:4]):
                items_total.add_metric([robot, status], int(value or 0))
            item_seconds.add_metric([robot], float(row[4] or 0))
            durations.add_metric([robot], count_value=int(row[5] or 0), sum_value=float(row[6] or 0))
            depth.add_metric([robot, "runs"], int(row[7] or 0))
            depth.add_metric([robot, "items"], int(row[8] or 0))
            running.add_metric([robot], int(row[9] or 0))
            saved.add_metric([robot], float(row[10] or 0) / 60)
        yield from (runs_total, items_total, item_seconds, durations, depth, running, saved)


def registry_for(engine: Any) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(engine))
    return registry
