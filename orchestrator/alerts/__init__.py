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
Importing this package loads only the model (`spec.py` uses it); the rest loads when alerts go out.
"""

from __future__ import annotations

from typing import Any

from orchestrator.alerts.rules import Alerts

__all__ = ["Alerts", "build_digest", "check_overdue", "on_run_finished", "run_finished", "send_digest"]


def on_run_finished(loaded: Any, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Send the alerts a finished run calls for; returns what was sent (kind, text, channels, errors)."""
    from orchestrator.alerts.runs import on_run_finished as send

    return send(loaded, run)


# The fleet's end-of-run hook (orchestrator.events) calls `run_finished(loaded, run)` of this package.
run_finished = on_run_finished


def check_overdue(loaded: Any) -> list[dict[str, Any]]:
    """Alert on running runs already past their SLA (`retake serve` calls this every 30 seconds)."""
    from orchestrator.alerts.runs import check_overdue as check

    return check(loaded)


def build_digest(loaded: Any, *, day: str | None = None) -> tuple[str, dict[str, Any]]:
    from orchestrator.alerts.digest import build_digest as build

    return build(loaded, day=day)


def send_digest(loaded: Any, text: str, data: dict[str, Any]) -> int:
    from orchestrator.alerts.digest import send_digest as send

    return send(loaded, text, data)
