"""Savings from the ledger, with aggregate queries (no row is loaded into memory).

manual hours saved = (succeeded items x manual_minutes - failed items x exception_minutes) / 60
value saved        = manual hours saved x economics.hourly_cost
robot cost         = robot hours x economics.robot_hourly_cost   (robot hours: time spent working items)
net value          = value saved - robot cost
manual_minutes and exception_minutes are those of the robot when each run was queued (kept on the run).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from orchestrator.ledger.tables import runs
from orchestrator.spec import Economics


def savings(engine: Any, economics: Economics, *, robot: str | None = None) -> dict[str, Any]:
    saved_minutes = func.sum(runs.c.items_succeeded * runs.c.manual_minutes
                             - runs.c.items_failed * runs.c.exception_minutes)
    query = (select(runs.c.robot, func.count().label("runs"),
                    func.sum(runs.c.items_succeeded).label("succeeded"),
                    func.sum(runs.c.items_failed).label("failed"),
                    func.sum(runs.c.robot_seconds).label("robot_seconds"),
                    saved_minutes.label("saved_minutes"))
             .group_by(runs.c.robot).order_by(runs.c.robot))
    if robot:
        query = query.where(runs.c.robot == robot)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    per_robot = [_figures(row.robot, row.runs, row.succeeded, row.failed, row.robot_seconds, row.saved_minutes,
                          economics) for row in rows]
    total = _figures(None, sum(r.runs for r in rows), sum(r.succeeded or 0 for r in rows),
                     sum(r.failed or 0 for r in rows), sum(r.robot_seconds or 0 for r in rows),
                     sum(r.saved_minutes or 0 for r in rows), economics)
    return {"currency": economics.currency, "robots": per_robot, "total": total}


def _figures(robot: str | None, runs_: int, succeeded: int | None, failed: int | None, robot_seconds: float | None,
             saved_minutes: float | None, economics: Economics) -> dict[str, Any]:
    robot_hours = (robot_seconds or 0) / 3600
    hours_saved = (saved_minutes or 0) / 60
    value = hours_saved * economics.hourly_cost
    cost = robot_hours * economics.robot_hourly_cost
    out = {"robot": robot} if robot is not None else {}
    out.update(runs=runs_, items_succeeded=int(succeeded or 0), items_failed=int(failed or 0),
               robot_seconds=round(robot_seconds or 0, 3), robot_hours=round(robot_hours, 4),
               manual_hours_saved=round(hours_saved, 4), value_saved=round(value, 2), robot_cost=round(cost, 2),
               net_value=round(value - cost, 2))
    return out
