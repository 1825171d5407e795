"""`retake schedules`: each schedule's next firings, and the dates it skips with the reason."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from orchestrator.loader import LoadedProject
from orchestrator.scheduling.calendar import BusinessCalendar
from orchestrator.scheduling.scheduler import overlap_policy
from orchestrator.scheduling.timing import Timing
from orchestrator.spec import Schedule

SEARCH_SLOTS = 200_000   # how far to look for N open slots (a schedule closed for years shows none)


def describe(loaded: LoadedProject, name: str, schedule: Schedule) -> str:
    if schedule.on is not None:
        what = ", ".join(schedule.on.patterns)
        return f"on new files {what}" + (" (batch)" if schedule.on.batch else "")
    tz = ZoneInfo(schedule.timezone or loaded.spec.timezone)
    return Timing(tz=tz, cron=schedule.cron, every=schedule.every).describe()


def upcoming(loaded: LoadedProject, name: str, schedule: Schedule, *, start: dt.datetime,
             count: int) -> dict[str, Any]:
    """The next `count` firings after `start`, and the skipped slots before the last of them.

    Skipped slots are grouped by local date: {"date", "reason", "slots", "first"}.
    """
    tz = ZoneInfo(schedule.timezone or loaded.spec.timezone)
    record: dict[str, Any] = {
        "schedule": name, "robot": schedule.robot, "enabled": schedule.enabled, "timezone": str(tz),
        "when": describe(loaded, name, schedule), "misfire": schedule.misfire, "overlap": overlap_policy(schedule),
        "calendar": schedule.calendar.model_dump(exclude_defaults=True) if schedule.calendar else None,
        "next": [], "skipped": [],
    }
    if schedule.on is not None or count <= 0:
        return record
    calendar = BusinessCalendar(schedule.calendar)
    timing = Timing(tz=tz, cron=schedule.cron, every=schedule.every)
    skipped: dict[dt.date, dict[str, Any]] = {}
    for seen, slot in enumerate(timing.iter_after(start)):
        if seen >= SEARCH_SLOTS or len(record["next"]) >= count:
            break
        local = slot.astimezone(tz)
        reason = calendar.closed_reason(local.date()) if calendar else None
        if reason and reason.startswith("not the "):
            continue  # (`business_day:` leaves out most days of a month: listing them all would hide the rest)
        if reason:
            entry = skipped.setdefault(local.date(), {"date": local.date().isoformat(), "weekday": local.strftime("%a"),
                                                      "reason": reason, "slots": 0,
                                                      "first": local.isoformat()})
            entry["slots"] += 1
        else:
            record["next"].append({"at": local.isoformat(), "utc": slot.isoformat().replace("+00:00", "Z"),
                                   "weekday": local.strftime("%a")})
    record["skipped"] = list(skipped.values())
    return record


def parse_from(text: str | None, tz: ZoneInfo) -> dt.datetime:
    """--from: an ISO date or date-time; without an offset it is read in the project's zone."""
    if not text:
        return dt.datetime.now(dt.UTC)
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC) - dt.timedelta(microseconds=1)
