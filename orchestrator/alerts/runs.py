"""Alerts about runs: at their end (failed or partial, past their SLA, the robot's success rate too low) and
while they run (past their SLA already: `check_overdue`, which `retake serve` calls every 30 seconds)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from orchestrator.alerts.channels import deliver
from orchestrator.ledger.db import reading


def on_run_finished(loaded: Any, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Send the alerts a finished run calls for; returns what was sent (kind, text, channels, error)."""
    robot = loaded.spec.robots.get(run["robot"])
    rules = getattr(robot, "alerts", None) if robot else None
    if rules is None:
        return []
    from orchestrator import projects

    ledger = projects.ledger_for(loaded)
    if "id" not in run:  # a public run record (run_id, items: {...}) rather than a ledger row
        run = ledger.get_run(run["run_id"]) or {}
        if not run:
            return []
    events: list[tuple[str, str, str]] = []
    status, name = run["status"], run["robot"]
    if rules.on_failure and (status == "failed" or (status == "partial" and rules.on_partial)):
        events.append(("failure", run["id"], _failure_text(ledger, run)))
    duration = run.get("duration_s")
    if rules.sla and robot.sla and duration is not None and duration > robot.sla:
        events.append(("sla", run["id"], sla_text(name, run["id"], duration, robot.sla)))
    if rules.success_rate_below is not None:
        rate, finished = recent_success_rate(ledger.engine, name, rules.window)
        if rate is not None and rate < rules.success_rate_below:
            import time

            slot = int(time.time() // rules.repeat) if rules.repeat else run["id"]
            events.append(("success_rate", f"{name}:{slot}",
                           f"[retake] {name}: success rate {rate * 100:.1f}% over the last {finished} "
                           f"item(s) of {rules.window} run(s), under {rules.success_rate_below * 100:.0f}%"))
    sent = []
    for kind, subject, text in events:
        text += link(run["id"])
        outcome = deliver(ledger.engine, rules.channels(), robot=name, kind=kind, subject=subject, text=text,
                          payload={"event": kind, "robot": name, "run_id": run["id"], "status": status})
        if outcome is not None:
            sent.append(outcome)
    return sent



def recent_success_rate(engine: Any, robot: str, window: int) -> tuple[float | None, int]:
    """Items succeeded / finished over the robot's last `window` finished runs."""
    from sqlalchemy import func, select

    from orchestrator.ledger.tables import runs

    recent = (select(runs.c.items_succeeded, runs.c.items_failed)
              .where(runs.c.robot == robot, runs.c.finished_at.is_not(None))
              .order_by(runs.c.finished_at.desc()).limit(window).subquery())
    with reading(engine) as conn:
        ok, failed = conn.execute(select(func.sum(recent.c.items_succeeded),
                                         func.sum(recent.c.items_failed))).one()
    finished = int(ok or 0) + int(failed or 0)
    return ((ok or 0) / finished if finished else None), finished


def _failure_text(ledger: Any, run: dict[str, Any]) -> str:
    text = (f"[retake] {run['robot']}: run {run['id']} {run['status']}: {run['items_failed']} of "
            f"{run['items_total']} item(s) failed")
    if run.get("error"):
        text += f"; {run['error']}"
    from sqlalchemy import select

    from orchestrator.ledger.tables import items

    query = (select(items.c.key, items.c.error_kind, items.c.error_step, items.c.error_message)
             .where(items.c.run_id == run["id"], items.c.status == "failed").order_by(items.c.idx).limit(3))
    with reading(ledger.engine) as conn:
        for item in conn.execute(query):
            text += (f"\n  - item {item.key}: {item.error_kind} at step {item.error_step or '-'}: "
                     f"{(item.error_message or '')[:200]}")
    return text


def link(run_id: str | None) -> str:
    base = os.environ.get("RETAKE_DASHBOARD_URL")
    if not base:
        return ""
    return f"\n{base.rstrip('/')}/runs/{run_id}" if run_id else f"\n{base.rstrip('/')}/"


def check_overdue(loaded: Any) -> list[dict[str, Any]]:
    """Alert on running runs already past their robot's SLA (once per run, like the end-of-run SLA alert)."""
    from sqlalchemy import select

    from orchestrator import projects
    from orchestrator.ledger.tables import runs

    watched = {name: robot for name, robot in loaded.spec.robots.items()
               if robot.sla and robot.alerts is not None and robot.alerts.sla}
    if not watched:
        return []
    engine = projects.ledger_for(loaded).engine
    with reading(engine) as conn:
        rows = conn.execute(select(runs.c.id, runs.c.robot, runs.c.started_at, runs.c.status).where(
            runs.c.status == "running", runs.c.robot.in_(list(watched)))).all()
    now, sent = dt.datetime.now(dt.UTC), []
    for row in rows:
        started = row.started_at if row.started_at.tzinfo else row.started_at.replace(tzinfo=dt.UTC)
        elapsed, robot = (now - started).total_seconds(), watched[row.robot]
        if elapsed <= robot.sla:
            continue
        text = sla_text(row.robot, row.id, elapsed, robot.sla, running=True) + link(row.id)
        outcome = deliver(engine, robot.alerts.channels(), robot=row.robot, kind="sla", subject=row.id,
                          text=text, payload={"event": "sla", "robot": row.robot, "run_id": row.id,
                                              "status": row.status})
        if outcome is not None:
            sent.append(outcome)
    return sent


def sla_text(robot: str, run_id: str, seconds: float, sla: float, *, running: bool = False) -> str:
    verb = "has been running for" if running else "took"
    return f"[retake] {robot}: run {run_id} {verb} {_span(seconds)}, longer than its SLA of {_span(sla)}"


def _span(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
