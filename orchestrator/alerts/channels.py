"""Sending an alert: recorded once in `alerts_sent`, then posted to a webhook and/or mailed."""

from __future__ import annotations

import re
from typing import Any

from orchestrator.alerts.rules import expand


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
                channels=", ".join(f"{k}:{redact(v)}" for k, v in channels), ok=True, sent_at=utcnow())
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


def post_webhook(url: str, body: dict[str, Any]) -> None:
    import httpx

    response = httpx.post(expand(url), json=body, timeout=10)
    response.raise_for_status()


def send_email(to: str, *, subject: str, body: str) -> None:
    from email.message import EmailMessage

    from orchestrator.smtp import smtp_connection, smtp_settings

    settings = smtp_settings(timeout=15)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message.set_content(body)
    with smtp_connection(settings) as smtp:
        smtp.send_message(message)


def expanded(target: str) -> str:
    try:
        return expand(target)
    except RuntimeError:
        return target


def redact(target: str) -> str:
    """Webhook URLs are secrets: keep only the scheme and host in the ledger."""
    match = re.match(r"(https?://[^/]+)", target)
    return match.group(1) + "/..." if match else target
