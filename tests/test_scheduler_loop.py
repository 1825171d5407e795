"""The scheduler with a fake clock and the real ledger: a Korean week, DST, misfires, overlap, restarts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from orchestrator import projects
from orchestrator.loader import load_project
from orchestrator.scheduling.claims import Claims
from orchestrator.scheduling.clock import FakeClock
from orchestrator.scheduling.scheduler import Scheduler
from orchestrator.states import RunStatus
from orchestrator.submit import embedded_worker, wait_for

SEOUL = ZoneInfo("Asia/Seoul")
NY = ZoneInfo("America/New_York")

ROBOT = """
robots:
  intake:
    inputs:
      day: {default: none}
      count: {type: integer, default: 0}
    steps:
      - log: "intake {{ inputs.day }}"
schedules:
"""


def scheduler_for(make_project, schedules: str, start: dt.datetime, **options) -> tuple[Scheduler, FakeClock]:
    root = make_project(ROBOT + schedules)
    clock = FakeClock(start)
    return Scheduler(load_project(root), clock=clock, **options), clock


def run_until(sched: Scheduler, clock: FakeClock, end: dt.datetime, step: dt.timedelta, *,
              finish: bool = False) -> list:
    """Tick every `step` until `end`; with `finish`, wait for each fired run (embedded worker) to end."""
    done = []
    while clock.now() < end:
        clock.advance(step)
        fired = sched.tick()
        if finish:
            ledger = projects.ledger_for(sched.loaded)
            for f in fired:
                if f.run_id:
                    wait_for(ledger, f.run_id, poll=0.01, timeout=30)
        done += fired
    return done


def runs_of(sched: Scheduler) -> list[dict]:
    return projects.ledger_for(sched.loaded).list_runs(limit=1000)


def test_a_week_in_seoul_fires_on_business_days_and_says_why_it_skipped_chuseok_and_the_weekend(
        embedded, make_project):
    sched, clock = scheduler_for(make_project, """
  morning:
    robot: intake
    cron: "0 9 * * *"
    calendar: {holidays: KR, skip_weekends: true}
    inputs: {day: "{{ date }}"}
""", dt.datetime(2026, 9, 21, 0, 0, tzinfo=SEOUL))
    import orchestrator.queue  # noqa: F401 - the actors the in-process worker consumes

    embedded_worker(1)
    done = run_until(sched, clock, dt.datetime(2026, 9, 28, 0, 0, tzinfo=SEOUL), dt.timedelta(minutes=10),
                     finish=True)
    by_day = {f.slot.astimezone(SEOUL).date().isoformat(): (f.status, f.reason) for f in done}
    assert by_day == {
        "2026-09-21": ("fired", None), "2026-09-22": ("fired", None), "2026-09-23": ("fired", None),
        "2026-09-24": ("skipped", "holiday: The day preceding Chuseok"),
        "2026-09-25": ("skipped", "holiday: Chuseok"),
        "2026-09-26": ("skipped", "holiday: The second day of Chuseok; weekend"),
        "2026-09-27": ("skipped", "weekend"),
    }
    runs = runs_of(sched)
    assert sorted(r["inputs"]["day"] for r in runs) == ["2026-09-21", "2026-09-22", "2026-09-23"]
    assert {(r["trigger"], r["status"]) for r in runs} == {("schedule", "succeeded")}
    history = Claims(projects.ledger_for(sched.loaded).engine, project="test-project", scheduler="-").history()
    assert len(history) == 7
    fired = {h["run_id"] for h in history if h["status"] == "fired"}
    assert fired == {r["id"] for r in runs}
    assert all(h["slot"].astimezone(SEOUL).hour == 9 for h in history)


@pytest.mark.parametrize("start, expected", [
    (dt.datetime(2026, 3, 7, 12, tzinfo=NY), ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
    (dt.datetime(2026, 10, 31, 12, tzinfo=NY), ["2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"]),
], ids=["spring-forward", "fall-back"])
def test_a_job_at_0230_on_dst_change_days_in_new_york_runs_once_each_day(embedded, make_project, start, expected):
    sched, clock = scheduler_for(make_project, """
  nightly:
    robot: intake
    cron: "30 2 * * *"
    timezone: America/New_York
    overlap: queue
""", start)
    done = run_until(sched, clock, start + dt.timedelta(days=2), dt.timedelta(minutes=5))
    assert [f.slot.astimezone(NY).isoformat() for f in done] == expected
    assert all(f.status == "fired" for f in done)


def test_a_repeated_hour_fires_a_fixed_0130_job_once(embedded, make_project):
    sched, clock = scheduler_for(make_project, """
  nightly:
    robot: intake
    cron: "30 1 * * *"
    timezone: America/New_York
""", dt.datetime(2026, 11, 1, 0, 0, tzinfo=NY))
    done = run_until(sched, clock, dt.datetime(2026, 11, 1, 12, 0, tzinfo=NY), dt.timedelta(minutes=5))
    assert [f.slot.astimezone(NY).isoformat() for f in done] == ["2026-11-01T01:30:00-04:00"]


@pytest.mark.parametrize("misfire, grace, fired_hours, missed_hours", [
    ("skip", "1h", [], [10, 11, 12]),
    ("once", "1h", [12], [10, 11]),
    ("all", "1h", [12], [10, 11]),
    ("once", "4h", [12], [10, 11]),
    ("all", "4h", [10, 11, 12], []),
])
def test_after_a_three_hour_outage_a_restarted_scheduler_applies_the_misfire_policy(
        embedded, make_project, misfire, grace, fired_hours, missed_hours):
    schedules = f"""
  hourly:
    robot: intake
    cron: "0 * * * *"
    misfire: {misfire}
    grace: {grace}
    {"" if misfire == "all" else "overlap: queue"}
"""  # (`misfire: all` queues its slots without being told: overlap's default)
    sched, clock = scheduler_for(make_project, schedules, dt.datetime(2026, 9, 21, 8, 30, tzinfo=SEOUL))
    first = run_until(sched, clock, dt.datetime(2026, 9, 21, 9, 0, 30, tzinfo=SEOUL), dt.timedelta(seconds=30))
    assert [(f.slot.astimezone(SEOUL).hour, f.status) for f in first] == [(9, "fired")]
    # the scheduler is down from 09:01 to 12:30, then starts again (a new process: state from the ledger)
    clock.set(dt.datetime(2026, 9, 21, 12, 30, tzinfo=SEOUL))
    restarted = Scheduler(sched.loaded, clock=clock)
    done = restarted.tick()
    assert [f.slot.astimezone(SEOUL).hour for f in done if f.status == "fired"] == fired_hours
    assert [f.slot.astimezone(SEOUL).hour for f in done if f.status == "missed"] == missed_hours
    assert len(runs_of(restarted)) == 1 + len(fired_hours)
    assert restarted.tick() == []


def _overlap(make_project, policy: str) -> tuple[Scheduler, FakeClock, list]:
    sched, clock = scheduler_for(make_project, f"""
  every_hour:
    robot: intake
    every: 1h
    overlap: {policy}
""", dt.datetime(2026, 9, 21, 8, 59, tzinfo=SEOUL))
    first = run_until(sched, clock, dt.datetime(2026, 9, 21, 9, 0, 10, tzinfo=SEOUL), dt.timedelta(seconds=10))
    second = run_until(sched, clock, dt.datetime(2026, 9, 21, 10, 0, 10, tzinfo=SEOUL), dt.timedelta(minutes=1))
    return sched, clock, first + second


def test_overlap_skip_records_a_skipped_firing_while_the_previous_run_is_open(embedded, make_project):
    sched, clock, done = _overlap(make_project, "skip")
    assert [f.status for f in done] == ["fired", "skipped"]
    assert done[1].reason == f"overlap: run {done[0].run_id} still open"
    ledger = projects.ledger_for(sched.loaded)
    ledger.fail_run(done[0].run_id, "finished for the test", RunStatus.FAILED)
    later = run_until(sched, clock, dt.datetime(2026, 9, 21, 11, 0, 10, tzinfo=SEOUL), dt.timedelta(minutes=1))
    assert [f.status for f in later] == ["fired"]


def test_overlap_queue_fires_while_the_previous_run_is_open(embedded, make_project):
    sched, _, done = _overlap(make_project, "queue")
    assert [f.status for f in done] == ["fired", "fired"]
    assert [r["status"] for r in runs_of(sched)] == ["queued", "queued"]


def test_overlap_cancel_previous_cancels_the_open_run_and_fires(embedded, make_project):
    from orchestrator import events

    heard: list[dict] = []
    listener = events.subscribe(lambda _loaded, run: heard.append(run))
    try:
        sched, _, done = _overlap(make_project, "cancel_previous")
    finally:
        events.unsubscribe(listener)
    assert [f.status for f in done] == ["fired", "fired"]
    assert [(r["id"], r["status"]) for r in heard] == [(done[0].run_id, "cancelled")]  # alerts hear of it
    ledger = projects.ledger_for(sched.loaded)
    old, new = ledger.get_run(done[0].run_id), ledger.get_run(done[1].run_id)
    assert old["status"] == "cancelled" and "cancel_previous" in old["error"]
    assert new["status"] == "queued"


def test_a_run_that_cannot_start_is_recorded_as_a_failed_firing(embedded, make_project):
    sched, clock = scheduler_for(make_project, """
  broken:
    robot: intake
    every: 1h
    inputs: {count: "{{ date }}"}
""", dt.datetime(2026, 9, 21, 8, 59, tzinfo=SEOUL))
    done = run_until(sched, clock, dt.datetime(2026, 9, 21, 9, 1, tzinfo=SEOUL), dt.timedelta(minutes=1))
    assert [f.status for f in done] == ["failed"]
    assert "input 'count' should be a integer" in done[0].reason


def test_a_second_scheduler_on_the_same_ledger_fires_nothing_twice(embedded, make_project):
    sched, clock = scheduler_for(make_project, """
  often:
    robot: intake
    every: 5m
    overlap: queue
""", dt.datetime(2026, 9, 21, 8, 59, tzinfo=SEOUL), name="a")
    other = Scheduler(sched.loaded, clock=clock, name="b")
    done = []
    while clock.now() < dt.datetime(2026, 9, 21, 10, 0, 30, tzinfo=SEOUL):
        clock.advance(minutes=1)
        done += sched.tick() + other.tick()
    assert len(done) == 13 and len({f.slot for f in done}) == 13
    assert len(runs_of(sched)) == 13


def test_a_slot_whose_scheduler_died_before_queuing_its_run_is_taken_over_and_runs_once(embedded, make_project):
    """A scheduler that stopped between claiming a slot and queuing its run (before or after making the
    run) leaves a claim; two live schedulers sweep, one takes it over: the run is made or queued again,
    with the id written in the claim, once. With `misfire: skip` the late slot is recorded missed."""
    sched, clock = scheduler_for(make_project, """
  before_run:
    robot: intake
    every: 1h
  after_run:
    robot: intake
    every: 1h
  strict:
    robot: intake
    every: 1h
    misfire: skip
""", dt.datetime(2026, 9, 21, 8, 59, 30, tzinfo=SEOUL), name="a")
    other = Scheduler(sched.loaded, clock=clock, name="b")
    ledger = projects.ledger_for(sched.loaded)
    dead = Claims(ledger.engine, project=sched.loaded.spec.project, scheduler="dead")
    nine = dt.datetime(2026, 9, 21, 9, 0, tzinfo=SEOUL)
    ids = {name: f"dead{name[:6]}0000000000" for name in ("before_run", "after_run", "strict")}
    for name, run_id in ids.items():
        assert dead.claim(name, nine, now=nine.astimezone(dt.UTC), run_id=run_id) is not None
    ledger.create_run(robot="intake", project=sched.loaded.spec.project, inputs={"day": "none", "count": 0},
                      manual_minutes=0, exception_minutes=0, trigger="schedule", run_id=ids["after_run"])
    done = []
    while clock.now() < dt.datetime(2026, 9, 21, 9, 6, tzinfo=SEOUL):
        clock.advance(minutes=1)
        done += sched.tick() + other.tick()
    history = {h["schedule"]: h for h in dead.history() if h["slot"] == nine.astimezone(dt.UTC)}
    embedded_worker(1)
    assert [f.slot for f in done].count(nine) == 3  # each slot handled once, by one of the two
    for name in ("before_run", "after_run"):
        assert history[name]["status"] == "fired" and history[name]["run_id"] == ids[name]
        assert history[name]["scheduler"] in ("a", "b")
        assert wait_for(ledger, ids[name], poll=0.01, timeout=30)["status"] == RunStatus.SUCCEEDED
    assert "run queued again" in history["after_run"]["reason"]
    assert history["strict"]["status"] == "missed" and "stopped before queuing" in history["strict"]["reason"]
    assert ledger.get_run(ids["strict"]) is None
    assert len(runs_of(sched)) == 2


def test_slots_while_a_schedule_was_disabled_are_not_caught_up_when_it_is_enabled_again(embedded, make_project):
    root = make_project(ROBOT + """
  often:
    robot: intake
    every: 1h
    overlap: queue
    misfire: all
    grace: 1d
""")
    clock = FakeClock(dt.datetime(2026, 9, 21, 8, 59, tzinfo=SEOUL))
    sched = Scheduler(root, clock=clock)
    assert [f.status for f in run_until(sched, clock, clock.now() + dt.timedelta(minutes=2),
                                        dt.timedelta(minutes=1))] == ["fired"]
    manifest = root / "robots.yaml"
    manifest.write_text(manifest.read_text().replace("grace: 1d", "grace: 1d\n    enabled: false"))
    assert run_until(sched, clock, clock.now() + dt.timedelta(hours=3), dt.timedelta(minutes=1)) == []
    manifest.write_text(manifest.read_text().replace("    enabled: false\n", ""))
    done = run_until(sched, clock, clock.now() + dt.timedelta(minutes=61), dt.timedelta(minutes=1))
    assert [(f.slot.astimezone(SEOUL).hour, f.status) for f in done] == [(13, "fired")]


def test_a_new_schedule_fires_its_latest_on_time_slot_only_once_at_start(embedded, make_project):
    sched, clock = scheduler_for(make_project, """
  fast:
    robot: intake
    every: 1s
    misfire: skip
    overlap: queue
""", dt.datetime(2026, 9, 21, 9, 0, 30, 500000, tzinfo=SEOUL))
    done = sched.tick()
    assert [(f.slot.astimezone(SEOUL).strftime("%H:%M:%S"), f.status) for f in done] == [("09:00:30", "fired")]
    clock.advance(2)
    assert [f.slot.astimezone(SEOUL).strftime("%H:%M:%S") for f in sched.tick()] == ["09:00:31", "09:00:32"]


def test_broken_project_files_are_logged_once_per_change_not_on_every_tick(embedded, make_project):
    from loguru import logger

    root = make_project(ROBOT + "  hourly: {robot: intake, every: 1h}\n")
    sched = Scheduler(root, clock=FakeClock(dt.datetime(2026, 9, 21, 8, 0, tzinfo=SEOUL)))
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(m.record["message"]), level="ERROR")
    try:
        sched.tick()
        good = (root / "robots.yaml").read_text()
        (root / "robots.yaml").write_text(good.replace("robots:", "robots:\n  broken: {manual_minutes: many}", 1))
        for _ in range(3):
            sched.tick()
        (root / "robots.yaml").write_text(good)
        sched.tick()
        (root / "robots.yaml").write_text(good.replace("robots:", "robots:\n  broken: {manual_minutes: lots}", 1))
        sched.tick()
    finally:
        logger.remove(sink)
    assert [line.count("keeping the schedules loaded before") for line in lines] == [1, 1]


def test_month_end_close_runs_on_the_last_business_day_only(embedded, make_project):
    """`0 18 L * *` would fall on a Saturday in January 2026 and be skipped: `business_day: last` with a
    daily cron runs on Friday the 30th instead, and on the last business day of every month."""
    from orchestrator.scheduling.preview import upcoming

    sched, clock = scheduler_for(make_project, """
  month_end:
    robot: intake
    cron: "0 18 * * *"
    calendar: {holidays: KR, skip_weekends: true, business_day: last}
""", dt.datetime(2026, 1, 27, 12, tzinfo=SEOUL))
    done = run_until(sched, clock, dt.datetime(2026, 2, 2, 12, tzinfo=SEOUL), dt.timedelta(hours=1))
    assert [(f.slot.astimezone(SEOUL).date().isoformat(), f.status) for f in done] == [
        ("2026-01-27", "skipped"), ("2026-01-28", "skipped"), ("2026-01-29", "skipped"), ("2026-01-30", "fired"),
        ("2026-01-31", "skipped"), ("2026-02-01", "skipped")]
    assert done[0].reason == "not the last business day of the month" and done[4].reason == "weekend"
    schedule = sched.loaded.spec.schedules["month_end"]
    ahead = upcoming(sched.loaded, "month_end", schedule, start=dt.datetime(2026, 2, 1, tzinfo=SEOUL), count=3)
    assert [n["at"][:10] for n in ahead["next"]] == ["2026-02-27", "2026-03-31", "2026-04-30"]  # Feb 28: Sat
    skipped = {s["date"]: s["reason"] for s in ahead["skipped"]}  # closed days, not the days merely not chosen
    assert skipped["2026-02-28"] == "weekend" and not any(r.startswith("not the") for r in skipped.values())
