"""When a schedule's slots fall: cron expressions or fixed intervals, in a time zone, through DST changes.

Cron is read on the wall clock of the schedule's zone, with the rules of Vixie cron / cronie:
- a job at a fixed time (minute and hour fields both fixed, e.g. `30 2 * * *`) runs once a day even when
  the clock jumps: on the spring-forward day a time inside the gap (02:30) runs at the first instant
  after the gap (03:00 local); on the fall-back day a repeated time (01:30) runs once, at its first
  occurrence;
- a job with `*` in its minute or hour field (`*/15 * * * *`, `0 * * * *`) follows real time: the
  skipped hour has no slots, the repeated hour has them twice.
`every:` counts real time (seconds) from 2000-01-01 00:00 in the schedule's zone, so `every: 15m` falls on
:00/:15/:30/:45 and `every: 1h` on the hour; it ignores DST (use cron for wall-clock times).
Every slot is an aware UTC datetime; a slot is its identity in the ledger.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Iterator
from zoneinfo import ZoneInfo

UTC = dt.UTC
_MARGIN = dt.timedelta(hours=3)  # more than any DST shift: slots are yielded in order past this watermark
ALIASES = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def cron_problem(expr: str) -> str | None:
    """Why `expr` is not a usable five-field cron expression, or None."""
    from croniter import croniter

    text = ALIASES.get(expr.strip().lower(), expr.strip())
    fields = text.split()
    if len(fields) != 5:
        return (f"cron {expr!r} has {len(fields)} field(s); write five: minute hour day-of-month month "
                "day-of-week, e.g. \"0 9 * * MON-FRI\" (or @daily, @hourly...)")
    if not croniter.is_valid(text):
        return (f"cron {expr!r} is not valid: minute 0-59, hour 0-23, day 1-31, month 1-12 or JAN-DEC, "
                "weekday 0-7 or SUN-SAT, with * , - /")
    try:
        croniter(text, dt.datetime(2000, 1, 1)).get_next(dt.datetime)
    except Exception as exc:  # noqa: BLE001 - croniter's date errors have no common base
        return f"cron {expr!r} never fires: {exc}"
    return None


def interval_text(seconds: float) -> str:
    """15m, 1h30m, 1d, 2s: an interval the way it is written in YAML."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest, parts = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


class Timing:
    """The slots of one cron expression or interval in one zone."""

    def __init__(self, *, tz: ZoneInfo, cron: str | None = None, every: float | None = None):
        if (cron is None) == (every is None):
            raise ValueError("a timing needs exactly one of cron or every")
        self.tz = tz
        self.every = every
        self.cron = ALIASES.get(cron.strip().lower(), cron.strip()) if cron else None
        fields = self.cron.split() if self.cron else []
        self.follows_real_time = bool(fields) and (fields[0].startswith("*") or fields[1].startswith("*"))

    def describe(self) -> str:
        if self.every is not None:
            return f"every {interval_text(self.every)}"
        return f"cron {self.cron}"

    def iter_after(self, after: dt.datetime) -> Iterator[dt.datetime]:
        """Slots strictly after `after`, in order, forever."""
        after = after.astimezone(UTC)
        if self.every is not None:
            yield from self._every_after(after)
        else:
            yield from self._cron_after(after)

    def between(self, after: dt.datetime, until: dt.datetime, *, limit: int = 100_000) -> list[dt.datetime]:
        """Slots in (after, until], at most the last `limit` of them."""
        out: list[dt.datetime] = []
        for slot in self.iter_after(after):
            if slot > until:
                break
            out.append(slot)
            if len(out) > limit:
                del out[: len(out) - limit]
        return out

    def next_after(self, after: dt.datetime) -> dt.datetime:
        return next(self.iter_after(after))

    # intervals ------------------------------------------------------------------
    def _every_after(self, after: dt.datetime) -> Iterator[dt.datetime]:
        assert self.every is not None
        anchor = dt.datetime(2000, 1, 1, tzinfo=self.tz).astimezone(UTC)
        step = dt.timedelta(seconds=self.every)
        k = math.floor((after - anchor) / step) + 1
        while True:
            slot = anchor + k * step
            if slot > after:
                yield slot
            k += 1

    # cron -------------------------------------------------------------------------
    def _cron_after(self, after: dt.datetime) -> Iterator[dt.datetime]:
        from croniter import croniter

        start = after.astimezone(self.tz).replace(tzinfo=None) - _MARGIN
        it = croniter(self.cron, start)
        heap: list[dt.datetime] = []
        last: dt.datetime | None = None
        while True:
            naive = it.get_next(dt.datetime)
            for instant in self._instants(naive):
                heapq.heappush(heap, instant)
            watermark = naive.replace(tzinfo=self.tz, fold=0).astimezone(UTC) - _MARGIN
            while heap and heap[0] <= watermark:
                slot = heapq.heappop(heap)
                if slot > after and slot != last:
                    last = slot
                    yield slot

    def _instants(self, naive: dt.datetime) -> list[dt.datetime]:
        """The real instants a wall-clock time stands for in this zone (0, 1 or 2 of them)."""
        first = naive.replace(tzinfo=self.tz, fold=0).astimezone(UTC)
        second = naive.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        if first == second:
            return [first]
        exists = first.astimezone(self.tz).replace(tzinfo=None) == naive
        if exists:  # the repeated hour of a fall-back day
            return [first, second] if self.follows_real_time else [first]
        if self.follows_real_time:  # inside a spring-forward gap
            return []
        return [self._gap_end(second, first)]

    def _gap_end(self, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        """The first instant after a spring-forward gap: the transition, found by bisection."""
        after_offset = high.astimezone(self.tz).utcoffset()
        while (high - low) > dt.timedelta(seconds=1):
            mid = low + (high - low) / 2
            if mid.astimezone(self.tz).utcoffset() == after_offset:
                high = mid
            else:
                low = mid
        return high.replace(microsecond=0)


def local(slot: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return slot.astimezone(tz)
