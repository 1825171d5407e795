"""Report periods: dates as managers type them, turned into UTC bounds and local-time buckets."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

Grain = Literal["day", "week", "month"]
GRAINS: tuple[str, ...] = ("day", "week", "month")
UTC = dt.UTC


class PeriodError(ValueError):
    """A date the report cannot read; the message says which forms work."""


def parse_when(text: str, tz: ZoneInfo, *, today: dt.date | None = None) -> dt.datetime | dt.date:
    """`2026-11-01`, `2026-11-01T08:00`, `today`, `yesterday` or `7d` (the first of the last 7 days, today
    included) -> a date or a datetime."""
    value = text.strip().lower()
    today = today or dt.datetime.now(tz).date()
    if value == "today":
        return today
    if value == "yesterday":
        return today - dt.timedelta(days=1)
    match = re.fullmatch(r"(\d+)\s*([dwm])", value)
    if match:
        count, unit = int(match.group(1)), match.group(2)
        # the first of the last N days, today being one of them: `--since 7d` is the dashboard's 7 days
        return today - dt.timedelta(days=max(count * {"d": 1, "w": 7, "m": 30}[unit] - 1, 0))
    try:
        if "t" in value or " " in value or len(value) > 10:
            moment = dt.datetime.fromisoformat(text.strip())
            return moment if moment.tzinfo else moment.replace(tzinfo=tz)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PeriodError(f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM, today, yesterday "
                          "or a number of days ago such as 7d") from None


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `since`/`until` as given (until is inclusive when it is a date)."""

    start: dt.datetime | None
    end: dt.datetime | None
    timezone: str
    since: str | None = None
    until: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def days(self, first_seen: dt.datetime | None = None) -> float | None:
        """The period's length in days (from the first run when it has no start)."""
        start = self.start or first_seen
        if start is None:
            return None
        end = self.end or dt.datetime.now(UTC)
        return max((end - start).total_seconds() / 86400, 1.0)

    def previous(self) -> Period:
        """The period of the same length just before this one (for 'this period vs the last')."""
        if self.start is None:
            raise PeriodError("an open period has no previous period")
        end = self.end or dt.datetime.now(UTC)
        length = end - self.start
        return Period(start=self.start - length, end=self.start, timezone=self.timezone)

    def describe(self) -> dict[str, object]:
        return {"since": self.since, "until": self.until, "timezone": self.timezone,
                "start": _iso(self.start), "end": _iso(self.end)}


def make_period(since: str | None, until: str | None, timezone: str, *,
                today: dt.date | None = None) -> Period:
    zone = ZoneInfo(timezone)
    start = _bound(parse_when(since, zone, today=today), zone, end=False) if since else None
    end = _bound(parse_when(until, zone, today=today), zone, end=True) if until else None
    if start and end and end <= start:
        raise PeriodError(f"--until {until} is before --since {since}")
    return Period(start=start, end=end, timezone=timezone, since=since, until=until)


def last_days(days: int, timezone: str, *, now: dt.datetime | None = None) -> Period:
    """The last `days` whole local days, today included."""
    zone = ZoneInfo(timezone)
    today = (now or dt.datetime.now(UTC)).astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    return Period(start=_bound(first, zone, end=False), end=_bound(today, zone, end=True), timezone=timezone,
                  since=first.isoformat(), until=today.isoformat())


def _bound(value: dt.datetime | dt.date, zone: ZoneInfo, *, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC)
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(UTC)


def bucket_label(moment: dt.datetime, grain: str, zone: ZoneInfo) -> str:
    """The local day (YYYY-MM-DD), week (its Monday, YYYY-MM-DD) or month (YYYY-MM) of a UTC moment."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone).date()
    if grain == "day":
        return local.isoformat()
    if grain == "week":
        return (local - dt.timedelta(days=local.weekday())).isoformat()
    return local.strftime("%Y-%m")


def labels_between(first: str, last: str, grain: str) -> list[str]:
    """Every bucket label from `first` to `last`, so charts show empty days as zero."""
    if grain == "month":
        year, month = map(int, first.split("-"))
        end_year, end_month = map(int, last.split("-"))
        out = []
        while (year, month) <= (end_year, end_month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    step = dt.timedelta(days=7 if grain == "week" else 1)
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    out = []
    while day <= end and len(out) < 5000:
        out.append(day.isoformat())
        day += step
    return out


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
