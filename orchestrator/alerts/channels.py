"""Sending an alert: recorded once in `alerts_sent`, then posted to a webhook and/or mailed."""

from __future__ import annotations

import os
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
    import smtplib
    import socket
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = os.environ.get("RETAKE_SMTP_FROM", f"retake@{socket.gethostname()}")
    message["To"], message["Subject"] = to, subject
    message.set_content(body)
    host = os.environ.get("RETAKE_SMTP_HOST", "localhost")
    port = int(os.environ.get("RETAKE_SMTP_PORT", "25"))
    kind = smtplib.SMTP_SSL if os.environ.get("RETAKE_SMTP_SSL") == "1" else smtplib.SMTP
    with kind(host, port, timeout=15) as smtp:
        if os.environ.get("RETAKE_SMTP_STARTTLS") == "1":
            smtp.starttls()
        if os.environ.get("RETAKE_SMTP_USER"):
            smtp.login(os.environ["RETAKE_SMTP_USER"], os.environ.get("RETAKE_SMTP_PASSWORD", ""))
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
