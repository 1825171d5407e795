"""The SMTP server alerts and the `email.send` action use: RETAKE_SMTP_* variables, or given values.

RETAKE_SMTP_HOST (localhost), RETAKE_SMTP_PORT (25, or 465 with SSL), RETAKE_SMTP_USER,
RETAKE_SMTP_PASSWORD, RETAKE_SMTP_FROM (retake@this-host), RETAKE_SMTP_STARTTLS=1, RETAKE_SMTP_SSL=1.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str
    sender: str
    starttls: bool
    ssl: bool
    timeout: float = 30


def smtp_settings(**given: Any) -> SmtpSettings:
    """Settings from the environment; a value given (not None) wins over its variable."""
    env = os.environ

    def pick(name: str, var: str, default: Any = None) -> Any:
        return given[name] if given.get(name) is not None else env.get(var, default)

    ssl = bool(given["ssl"]) if given.get("ssl") is not None else env.get("RETAKE_SMTP_SSL") == "1"
    starttls = (bool(given["starttls"]) if given.get("starttls") is not None
                else env.get("RETAKE_SMTP_STARTTLS") == "1")
    return SmtpSettings(host=pick("host", "RETAKE_SMTP_HOST", "localhost"),
                        port=int(pick("port", "RETAKE_SMTP_PORT", 465 if ssl else 25)),
                        username=pick("username", "RETAKE_SMTP_USER") or None,
                        password=pick("password", "RETAKE_SMTP_PASSWORD", ""),
                        sender=pick("sender", "RETAKE_SMTP_FROM", f"retake@{socket.gethostname()}"),
                        starttls=starttls, ssl=ssl, timeout=float(given.get("timeout") or 30))


@contextmanager
def smtp_connection(settings: SmtpSettings) -> Iterator[Any]:
    """A logged-in `smtplib.SMTP` (TLS as asked), closed on leaving."""
    import smtplib

    kind = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    with kind(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls and not settings.ssl:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        yield smtp
