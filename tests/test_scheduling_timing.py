"""Slots of cron and interval schedules, through DST changes, and business calendars."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from orchestrator.scheduling.calendar import BusinessCalendar, holiday_problem
from orchestrator.scheduling.plan import decide
from orchestrator.scheduling.timing import Timing, cron_problem
from orchestrator.spec import Calendar

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SEOUL = ZoneInfo("Asia/Seoul")
UTC = dt.UTC


def local_slots(timing: Timing, start: dt.datetime, end: dt.datetime) -> list[str]:
    return [s.astimezone(timing.tz).isoformat() for s in timing.between(start, end)]


def test_a_fixed_time_inside_the_spring_forward_gap_runs_once_at_the_end_of_the_gap():
    timing = Timing(tz=NY, cron="30 2 * * *")
    slots = local_slots(timing, dt.datetime(2026, 3, 7, 12, tzinfo=NY), dt.datetime(2026, 3, 9, 12, tzinfo=NY))
    assert slots == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]


def test_a_fixed_time_in_the_repeated_fall_back_hour_runs_once_at_its_first_occurrence():
    timing = Timing(tz=NY, cron="30 1 * * *")
    slots = local_slots(timing, dt.datetime(2026, 10, 31, 12, tzinfo=NY), dt.datetime(2026, 11, 2, 12, tzinfo=NY))
    assert slots == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]


def test_hourly_jobs_follow_real_time_through_both_changes_in_berlin():
    timing = Timing(tz=BERLIN, cron="0 * * * *")
    spring = local_slots(timing, dt.datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN),
                         dt.datetime(2026, 3, 29, 4, 30, tzinfo=BERLIN))
    assert spring == ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"]
    fall = timing.between(dt.datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN),
                          dt.datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN))
    assert [s.astimezone(BERLIN).strftime("%H:%M%z") for s in fall] == ["02:00+0200", "02:00+0100", "03:00+0100"]
    assert all(b - a == dt.timedelta(hours=1) for a, b in itertools.pairwise(fall))


def test_every_counts_real_time_from_local_midnight():
    timing = Timing(tz=SEOUL, every=15 * 60)
    slots = local_slots(timing, dt.datetime(2026, 9, 21, 8, 50, tzinfo=SEOUL),
                        dt.datetime(2026, 9, 21, 9, 31, tzinfo=SEOUL))
    assert slots == ["2026-09-21T09:00:00+09:00", "2026-09-21T09:15:00+09:00", "2026-09-21T09:30:00+09:00"]
    daily = Timing(tz=SEOUL, every=86400).next_after(dt.datetime(2026, 9, 21, 1, tzinfo=SEOUL))
    assert daily.astimezone(SEOUL).isoformat() == "2026-09-22T00:00:00+09:00"


def test_weekday_names_and_aliases_are_understood():
    timing = Timing(tz=SEOUL, cron="0 9 * * MON-FRI")
    week = local_slots(timing, dt.datetime(2026, 9, 19, tzinfo=SEOUL), dt.datetime(2026, 9, 26, tzinfo=SEOUL))
    assert [s[:10] for s in week] == ["2026-09-21", "2026-09-22", "2026-09-23", "2026-09-24", "2026-09-25"]
    assert Timing(tz=SEOUL, cron="@daily").cron == "0 0 * * *"


@pytest.mark.parametrize("expr, words", [
    ("0 9 * *", "4 field(s)"), ("0 0 9 * * MON", "6 field(s)"), ("61 * * * *", "not valid"),
    ("0 9 * * FUNDAY", "not valid"), ("0 0 31 2 *", "never fires")])
def test_bad_cron_expressions_are_explained(expr, words):
    assert words in (cron_problem(expr) or "")


def test_good_cron_expressions_pass():
    for expr in ("0 9 * * MON-FRI", "*/15 8-18 * * 1-5", "@hourly", "0 0 1 JAN *"):
        assert cron_problem(expr) is None


def test_the_korean_calendar_names_chuseok_weekends_and_closed_dates():
    cal = BusinessCalendar(Calendar(holidays="KR", skip_weekends=True, closed=["2026-09-22"]))
    assert cal.closed_reason(dt.date(2026, 9, 21)) is None
    assert cal.closed_reason(dt.date(2026, 9, 22)) == "closed date"
    assert cal.closed_reason(dt.date(2026, 9, 25)) == "holiday: Chuseok"
    assert cal.closed_reason(dt.date(2026, 9, 27)) == "weekend"
    korean = BusinessCalendar(Calendar(holidays="KR", language="ko"))
    assert korean.closed_reason(dt.date(2026, 9, 25)) == "holiday: 추석"


def test_holiday_options_are_checked():
    assert holiday_problem("KR", None, None) is None
    assert holiday_problem("XKRX", None, None) is None
    assert holiday_problem("ZZ", None, None)[0] == "holidays"
    assert holiday_problem("US", "XX", None)[0] == "subdivision"
    assert holiday_problem("US", "CA", None) is None
    assert holiday_problem("KR", None, "tlh")[0] == "language"


def _hourly_outage(misfire: str, grace: float) -> dict[str, str]:
    timing = Timing(tz=SEOUL, cron="0 * * * *")
    last = dt.datetime(2026, 9, 21, 9, tzinfo=SEOUL)
    now = dt.datetime(2026, 9, 21, 12, 30, tzinfo=SEOUL)
    decisions = decide(timing.between(last, now), now, tz=SEOUL, calendar=BusinessCalendar(None),
                       misfire=misfire, grace=grace)
    return {d.slot.astimezone(SEOUL).strftime("%H:%M"): d.action for d in decisions}


@pytest.mark.parametrize("misfire, grace, expected", [
    ("skip", 3600, {"10:00": "missed", "11:00": "missed", "12:00": "missed"}),
    ("once", 3600, {"10:00": "missed", "11:00": "missed", "12:00": "fire"}),
    ("all", 3600, {"10:00": "missed", "11:00": "missed", "12:00": "fire"}),
    ("once", 4 * 3600, {"10:00": "missed", "11:00": "missed", "12:00": "fire"}),
    ("all", 4 * 3600, {"10:00": "fire", "11:00": "fire", "12:00": "fire"}),
    ("all", 600, {"10:00": "missed", "11:00": "missed", "12:00": "missed"}),
])
def test_misfire_policies_after_a_three_hour_outage(misfire, grace, expected):
    assert _hourly_outage(misfire, grace) == expected
