"""The daily digest: one day's figures per robot, sent once a day to each alert channel."""

from __future__ import annotations

from typing import Any

from orchestrator.alerts.channels import deliver, expanded
from orchestrator.alerts.runs import link
from orchestrator.savings.formats import clipped


def build_digest(loaded: Any, *, day: str | None = None) -> tuple[str, dict[str, Any]]:
    """One day's figures per robot as text (and the report data behind it)."""
    from zoneinfo import ZoneInfo

    from orchestrator import projects
    from orchestrator.savings import build_report, make_period
    from orchestrator.savings.period import parse_when

    when = parse_when(day or "yesterday", ZoneInfo(loaded.spec.timezone))
    when = when.date() if hasattr(when, "date") else when
    data = build_report(projects.ledger_for(loaded).engine, loaded.spec.economics,
                        period=make_period(when.isoformat(), when.isoformat(), loaded.spec.timezone), by=None,
                        project=loaded.spec.project, robots=list(loaded.spec.robots), failures=5)
    currency, total = data["currency"], data["total"]
    lines = [f"[retake] {loaded.spec.project}: daily digest for {when.isoformat()} ({loaded.spec.timezone})"]
    for line in data["robots"]:
        lines.append(_digest_line(line["robot"], line, currency))
    lines.append(_digest_line("total", total, currency))
    for reason in data["failures"]:
        lines.append(f"  failing: {reason['robot']} / {reason['error_kind']} / {reason['step'] or '-'}: "
                     f"{reason['count']} item(s) ({clipped(reason.get('example'), 100)})")
    return "\n".join(lines) + link(None), data


def send_digest(loaded: Any, text: str, data: dict[str, Any]) -> int:
    """Send the digest once per channel of robots with `digest: true`; returns how many were sent."""
    import hashlib

    from orchestrator import projects

    channels = sorted({(kind, expanded(target)) for robot in loaded.spec.robots.values()
                       if robot.alerts and robot.alerts.digest for kind, target in robot.alerts.channels()})
    engine, sent = projects.ledger_for(loaded).engine, 0
    for channel in channels:
        target_id = hashlib.sha256(channel[1].encode()).hexdigest()[:16]
        outcome = deliver(engine, [channel], robot="*", kind="digest",
                          subject=f"{_day(data)}:{channel[0]}:{target_id}", text=text,
                          payload={"event": "digest", "day": _day(data), "total": data["total"]})
        sent += bool(outcome and not outcome["errors"])
    return sent


def _digest_line(name: str, figures: dict[str, Any], currency: str) -> str:
    rate = figures["success_rate"]
    runs_failed = f" ({figures['runs_failed']} failed)" if figures.get("runs_failed") else ""
    return (f"- {name}: {figures['runs']} run(s){runs_failed}, {figures['items_succeeded']} item(s) ok, "
            f"{figures['items_failed']} failed, success {'-' if rate is None else f'{rate * 100:.1f}%'}, "
            f"{figures['manual_hours_saved']:.2f} h saved, {figures['value_saved']:,.2f} {currency} saved, "
            f"net {figures['net_value']:,.2f} {currency}")



def _day(data: dict[str, Any]) -> str:
    return str(data["period"]["since"])
