"""What to do with the slots that came due since the scheduler last looked: calendar and misfire policy.

A slot found within `late_after` (default 60 s) of its time is on time. A later one is a misfire:
- `skip`: misfired slots do not run;
- `once`: of the slots due now and the misfired ones still within `grace`, only the latest runs;
- `all`:  every misfired slot still within `grace` runs, oldest first.
Slots later than `grace` never run. Slots on closed days (calendar) are skipped, whatever the policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from orchestrator.durations import format_duration
from orchestrator.scheduling.calendar import BusinessCalendar
from orchestrator.scheduling.claims import FiringStatus


@dataclass(frozen=True)
class Decision:
    slot: dt.datetime
    action: str            # "fire", or a FiringStatus to record (skipped, missed)
    reason: str | None = None


def decide(slots: list[dt.datetime], now: dt.datetime, *, tz: ZoneInfo, calendar: BusinessCalendar,
           misfire: str, grace: float, late_after: float = 60.0) -> list[Decision]:
    out: list[Decision] = []
    candidates: list[dt.datetime] = []
    for slot in slots:
        closed = calendar.closed_reason(slot.astimezone(tz).date()) if calendar else None
        if closed:
            out.append(Decision(slot, FiringStatus.SKIPPED, closed))
        else:
            candidates.append(slot)
    late = {s for s in candidates if (now - s).total_seconds() > late_after}
    expired = {s for s in late if (now - s).total_seconds() > max(grace, late_after)}
    runnable = [s for s in candidates if s not in expired and (s not in late or misfire != "skip")]
    keep = set(runnable[-1:]) if misfire == "once" else set(runnable)
    for slot in candidates:
        lateness = format_duration((now - slot).total_seconds())
        if slot in keep:
            out.append(Decision(slot, "fire", f"late by {lateness} (misfire: {misfire})" if slot in late else None))
        elif slot in expired:
            out.append(Decision(slot, FiringStatus.MISSED, f"{lateness} late, past grace "
                                f"{format_duration(grace)}: the scheduler was not running"))
        elif misfire == "skip":
            out.append(Decision(slot, FiringStatus.MISSED, f"{lateness} late (misfire: skip)"))
        else:
            out.append(Decision(slot, FiringStatus.MISSED, "coalesced into the latest slot (misfire: once)"))
    return sorted(out, key=lambda d: d.slot)
