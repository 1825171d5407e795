"""Small helpers the ledger's stores share: clock, run ids, rows as dicts, final statuses."""

from __future__ import annotations

import datetime as dt
import secrets as _random
from typing import Any

from orchestrator.states import RunStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_run_id() -> str:
    return utcnow().strftime("%Y%m%d-%H%M%S-") + _random.token_hex(4)  # 4 billion a second: no clash at a fleet's pace


def as_dict(row: Any) -> dict[str, Any] | None:
    return dict(row._mapping) if row is not None else None


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def final_status(total: int, succeeded: int, failed: int, cancelled: int) -> RunStatus:
    if cancelled and not succeeded and not failed:
        return RunStatus.CANCELLED
    if failed == 0 and cancelled == 0:
        return RunStatus.SUCCEEDED
    if succeeded == 0:
        return RunStatus.FAILED
    return RunStatus.PARTIAL
