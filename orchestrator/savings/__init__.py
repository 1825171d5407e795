"""Savings from the ledger: per robot and in total, over any period, by day, week or month.

`build_report` runs a handful of aggregate queries (see `queries`) and derives every figure with the
formulas in `figures.FORMULAS`; the same dictionary is printed by `retake report --format json`, served by
`GET /api/report` and rendered as a table, CSV, XLSX or a one-file HTML report (`formats`, `html`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from orchestrator.ledger.db import reading
from orchestrator.savings.figures import FORMULAS, figures, minor_units
from orchestrator.savings.period import GRAINS, Period, PeriodError, bucket_label, labels_between, make_period
from orchestrator.savings.queries import Sums, ensure_indexes, failure_reasons, first_run_at, run_sums
from orchestrator.spec import Economics

TOP_FAILURES = 10

__all__ = ["FORMULAS", "GRAINS", "Period", "PeriodError", "build_report", "make_period", "savings"]


def build_report(engine: Engine, economics: Economics, *, period: Period | None = None, robot: str | None = None,
                 by: str | None = "day", project: str | None = None, failures: int = TOP_FAILURES,
                 robots: list[str] | None = None) -> dict[str, Any]:
    """The full report as plain JSON-ready data. `robots` lists robots to show even without runs."""
    period = period or Period(start=None, end=None, timezone="UTC")
    if by is not None and by not in GRAINS:
        raise PeriodError(f"--by {by!r}: use one of {', '.join(GRAINS)}")
    ensure_indexes(engine)
    with reading(engine) as conn:
        cells = run_sums(conn, period, robot=robot, grain=by)
        reasons = failure_reasons(conn, period, robot=robot, examples=failures)
        first = first_run_at(conn, period, robot=robot) if period.start is None and cells else None
    days = period.days(first) if cells or period.start else None

    per_robot: dict[str, Sums] = {name: Sums() for name in (robots or []) if not robot or name == robot}
    per_bucket: dict[str, dict[str, Sums]] = {}
    total = Sums()
    for (name, label), sums in sorted(cells.items()):
        per_robot.setdefault(name, Sums()).add(sums)
        per_bucket.setdefault(label, {})[name] = sums
        total.add(sums)

    robot_lines = []
    for name in sorted(per_robot):
        line = {"robot": name, **figures(per_robot[name], economics, days=days)}
        line["top_failures"] = [r for r in reasons if r["robot"] == name][:5]
        robot_lines.append(line)
    report: dict[str, Any] = {
        "project": project,
        "currency": economics.currency,
        "currency_minor_units": minor_units(economics.currency),
        "economics": economics.model_dump(),
        "period": {**period.describe(), "by": by, "days": round(days, 3) if days else None},
        "robots": robot_lines,
        "total": figures(total, economics, days=days),
        "failures": reasons[:failures],
        "formulas": FORMULAS,
    }
    if by is not None:
        report["periods"] = _series(per_bucket, by, economics, period)
    return report


def _series(per_bucket: dict[str, dict[str, Sums]], grain: str, economics: Economics,
            period: Period) -> list[dict[str, Any]]:
    """Every bucket of the period, empty ones as zeros (charts without holes): from the period's first day
    (or the first run) to its last day (or today, or the last run)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(period.timezone)
    labels = sorted(per_bucket)
    if period.start is not None:
        labels.insert(0, bucket_label(period.start, grain, zone))
    end = period.end - dt.timedelta(microseconds=1) if period.end else dt.datetime.now(dt.UTC)
    if period.start is not None or labels:
        labels.append(bucket_label(end, grain, zone))
    if not labels:
        return []
    out = []
    for label in labels_between(min(labels), max(labels), grain):
        cells = per_bucket.get(label, {})
        total = Sums()
        for sums in cells.values():
            total.add(sums)
        out.append({"period": label, "total": figures(total, economics),
                    "robots": [{"robot": name, **figures(sums, economics)} for name, sums in sorted(cells.items())]})
    return out


def savings(engine: Engine, economics: Economics, *, robot: str | None = None) -> dict[str, Any]:
    """All-time figures per robot and in total (the first savings figure of the foundation)."""
    return build_report(engine, economics, robot=robot, by=None)


def project_report(loaded: Any, *, since: str | None = None, until: str | None = None, robot: str | None = None,
                   by: str | None = "day") -> dict[str, Any]:
    """The report of a loaded project, exactly as `retake report --format json` prints it."""
    from orchestrator import projects

    period = make_period(since, until, loaded.spec.timezone)
    return build_report(projects.ledger_for(loaded).engine, loaded.spec.economics, period=period, robot=robot,
                        by=by, project=loaded.spec.project, robots=list(loaded.spec.robots))
