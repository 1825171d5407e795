"""Alerts a robot declares (failure, success rate under a threshold, a run past its SLA) and the daily digest.

```yaml
robots:
  invoices:
    sla: 30m
    alerts:
      on_failure: true            # a run that ends failed (and partial, unless on_partial: false)
      success_rate_below: 0.9     # over the robot's last `window` finished runs
      window: 20
      webhook: ${SLACK_WEBHOOK}   # POSTed as JSON {"text": ...}; ${NAME} reads the environment
      email: [ops@example.com]    # through RETAKE_SMTP_HOST/PORT/USER/PASSWORD/FROM
```
Each alert is sent once: it is recorded in `alerts_sent` (unique per kind and subject) before it leaves.
Only this module's model is imported by `spec.py`; httpx, smtplib and the ledger load when alerts go out.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Alerts(BaseModel):
    """The `alerts:` mapping of a robot."""

    model_config = ConfigDict(extra="forbid")

    on_failure: bool = Field(True, description="Alert when a run ends failed.")
    on_partial: bool = Field(True, description="Also when a run ends partial (some items failed).")
    success_rate_below: float | None = Field(None, gt=0, le=1, description="0.9 or '90%'.")
    window: int = Field(20, ge=1, le=10_000, description="Finished runs the success rate is taken over.")
    repeat: float = Field(21600, ge=0, description="Seconds (or 6h...) before a low rate is reported again.")
    sla: bool = Field(True, description="Alert when a run lasts longer than the robot's `sla`.")
    webhook: str | None = Field(None, description="URL (http/https) that receives a JSON POST.")
    email: list[str] = Field(default_factory=list, description="Recipients of alert e-mails.")
    digest: bool = Field(True, description="Include this robot's channels in the daily digest.")

    @field_validator("success_rate_below", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip()[:-1]) / 100
        return value

    @field_validator("repeat", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        from orchestrator.durations import parse_duration

        return parse_duration(value)

    @field_validator("email", mode="before")
    @classmethod
    def _one_address(cls, value: Any) -> Any:
        addresses = [value] if isinstance(value, str) else value
        for address in addresses or []:
            if not isinstance(address, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return addresses

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _ENV.fullmatch(value) and not value.startswith(("http://", "https://")):
            raise ValueError("webhook must be an http:// or https:// URL, or ${ENV_VAR} naming one")
        return value

    def channels(self) -> list[tuple[str, str]]:
        out = [("webhook", self.webhook)] if self.webhook else []
        return out + [("email", address) for address in self.email]


def on_run_finished(loaded: Any, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Send the alerts a finished run calls for; returns what was sent (kind, text, channels, error)."""
    robot = loaded.spec.robots.get(run["robot"])
    rules: Alerts | None = getattr(robot, "alerts", None) if robot else None
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
        events.append(("sla", run["id"], f"[retake] {name}: run {run['id']} took {_span(duration)}, "
                                         f"longer than its SLA of {_span(robot.sla)}"))
    if rules.success_rate_below is not None:
        rate, finished = recent_success_rate(ledger.engine, name, rules.window)
        if rate is not None and rate < rules.success_rate_below:
            import time

            slot = int(time.time() // rules.repeat) if rules.repeat else run["id"]
            events.append(("success_rate", f"{name}:{slot}",
                           f"[retake] {name}: success rate {rate * 100:.1f}% over the last {finished} item(s) "
                           f"of {rules.window} run(s), under {rules.success_rate_below * 100:.0f}%"))
    sent = []
    for kind, subject, text in events:
        text += _link(run["id"])
        outcome = deliver(ledger.engine, rules.channels(), robot=name, kind=kind, subject=subject, text=text,
                          payload={"event": kind, "robot": name, "run_id": run["id"], "status": status})
        if outcome is not None:
            sent.append(outcome)
    return sent


# The fleet's end-of-run hook (orchestrator.events) calls `run_finished(loaded, run)` of this module.
run_finished = on_run_finished


def recent_success_rate(engine: Any, robot: str, window: int) -> tuple[float | None, int]:
    """Items succeeded / finished over the robot's last `window` finished runs."""
    from sqlalchemy import func, select

    from orchestrator.ledger.tables import runs

    recent = (select(runs.c.items_succeeded, runs.c.items_failed)
              .where(runs.c.robot == robot, runs.c.finished_at.is_not(None))
              .order_by(runs.c.finished_at.desc()).limit(window).subquery())
    with engine.connect() as conn:
        ok, failed = conn.execute(select(func.sum(recent.c.items_succeeded), func.sum(recent.c.items_failed))).one()
    finished = int(ok or 0) + int(failed or 0)
    return ((ok or 0) / finished if finished else None), finished


def deliver(engine: Any, channels: list[tuple[str, str]], *, robot: str, kind: str, subject: str, text: str,
            payload: dict[str, Any]) -> dict[str, Any] | None:
    """Record then send one alert; None when it was already sent (a hook called twice sends once)."""
    from sqlalchemy import insert, update
    from sqlalchemy.exc import IntegrityError

    from orchestrator.ledger.store import utcnow
    from orchestrator.web.tables import alerts_sent

    try:
        with engine.begin() as conn:
            alert_id = conn.execute(insert(alerts_sent).values(
                robot=robot, kind=kind, subject=subject[:200], run_id=payload.get("run_id"),
                channels=", ".join(f"{k}:{_redact(v)}" for k, v in channels), ok=True, sent_at=utcnow())
            ).inserted_primary_key[0]
    except IntegrityError:
        return None
    errors = []
    for channel, target in channels:
        try:
            if channel == "webhook":
                post_webhook(target, {"text": text, **payload})
            else:
                send_email(target, subject=text.splitlines()[0][:150], body=text)
        except Exception as exc:  # noqa: BLE001 - one broken channel must not stop the others
            errors.append(f"{channel}: {exc}")
    if errors:
        with engine.begin() as conn:
            conn.execute(update(alerts_sent).where(alerts_sent.c.id == alert_id).values(
                ok=False, error="; ".join(errors)[:2000]))
        from loguru import logger

        logger.warning(f"alert {kind} for {robot} not delivered: {'; '.join(errors)}")
    return {"kind": kind, "subject": subject, "text": text, "channels": [c for c, _ in channels],
            "errors": errors}


def expand(value: str) -> str:
    """${NAME} -> the environment's NAME (webhook URLs often hold a secret)."""
    def sub(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise RuntimeError(f"environment variable {match.group(1)} is not set")
        return os.environ[match.group(1)]

    return _ENV.sub(sub, value)


def post_webhook(url: str, body: dict[str, Any]) -> None:
    import httpx

    response = httpx.post(expand(url), json=body, timeout=10)
    response.raise_for_status()


def send_email(to: str, *, subject: str, body: str) -> None:
    import smtplib
    import socket
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = os.environ.get("RETAKE_SMTP_FROM", f"retake@{socket.gethostname()}")
    message["To"], message["Subject"] = to, subject
    message.set_content(body)
    host, port = os.environ.get("RETAKE_SMTP_HOST", "localhost"), int(os.environ.get("RETAKE_SMTP_PORT", "25"))
    kind = smtplib.SMTP_SSL if os.environ.get("RETAKE_SMTP_SSL") == "1" else smtplib.SMTP
    with kind(host, port, timeout=15) as smtp:
        if os.environ.get("RETAKE_SMTP_STARTTLS") == "1":
            smtp.starttls()
        if os.environ.get("RETAKE_SMTP_USER"):
            smtp.login(os.environ["RETAKE_SMTP_USER"], os.environ.get("RETAKE_SMTP_PASSWORD", ""))
        smtp.send_message(message)


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
                     f"{reason['count']} item(s) ({(reason.get('example') or '')[:100]})")
    return "\n".join(lines) + _link(None), data


def send_digest(loaded: Any, text: str, data: dict[str, Any]) -> int:
    """Send the digest once per channel of robots with `digest: true`; returns how many were sent."""
    import hashlib

    from orchestrator import projects

    channels = sorted({(kind, _expanded(target)) for robot in loaded.spec.robots.values()
                       if robot.alerts and robot.alerts.digest for kind, target in robot.alerts.channels()})
    engine, sent = projects.ledger_for(loaded).engine, 0
    for channel in channels:
        target_id = hashlib.sha256(channel[1].encode()).hexdigest()[:16]
        outcome = deliver(engine, [channel], robot="*", kind="digest",
                          subject=f"{_day(data)}:{channel[0]}:{target_id}", text=text,
                          payload={"event": "digest", "day": _day(data), "total": data["total"]})
        sent += bool(outcome and not outcome["errors"])
    return sent


def _expanded(target: str) -> str:
    try:
        return expand(target)
    except RuntimeError:
        return target


def _digest_line(name: str, figures: dict[str, Any], currency: str) -> str:
    rate = figures["success_rate"]
    return (f"- {name}: {figures['runs']} run(s), {figures['items_succeeded']} item(s) ok, "
            f"{figures['items_failed']} failed, success {'-' if rate is None else f'{rate * 100:.1f}%'}, "
            f"{figures['manual_hours_saved']:.1f} h saved, {figures['value_saved']:,} {currency} saved, "
            f"net {figures['net_value']:,} {currency}")


def _failure_text(ledger: Any, run: dict[str, Any]) -> str:
    text = (f"[retake] {run['robot']}: run {run['id']} {run['status']}: {run['items_failed']} of "
            f"{run['items_total']} item(s) failed")
    if run.get("error"):
        text += f"; {run['error']}"
    from sqlalchemy import select

    from orchestrator.ledger.tables import items

    query = (select(items.c.key, items.c.error_kind, items.c.error_step, items.c.error_message)
             .where(items.c.run_id == run["id"], items.c.status == "failed").order_by(items.c.idx).limit(3))
    with ledger.engine.connect() as conn:
        for item in conn.execute(query):
            text += (f"\n  - item {item.key}: {item.error_kind} at step {item.error_step or '-'}: "
                     f"{(item.error_message or '')[:200]}")
    return text


def _link(run_id: str | None) -> str:
    base = os.environ.get("RETAKE_DASHBOARD_URL")
    if not base:
        return ""
    return f"\n{base.rstrip('/')}/runs/{run_id}" if run_id else f"\n{base.rstrip('/')}/"


def _span(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _day(data: dict[str, Any]) -> str:
    return str(data["period"]["since"])


def _redact(target: str) -> str:
    """Webhook URLs are secrets: keep only the scheme and host in the ledger."""
    match = re.match(r"(https?://[^/]+)", target)
    return match.group(1) + "/..." if match else target
