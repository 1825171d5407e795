"""`retake schedules`, `retake scheduler` and schedule validation, run as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

ROBOTS = """\
robots:
  greet:
    inputs: {who: {default: world}}
    steps:
      - log: "Hello {{ inputs.who }}"
"""


def retake(root, *args, **options):
    env = {**os.environ}
    env.pop("RETAKE_BROKER_URL", None)
    env.pop("RETAKE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "orchestrator", *args, "--project", str(root)],
                          capture_output=True, text=True, env=env, timeout=120, check=False, **options)


def test_schedules_lists_next_firings_and_why_chuseok_and_weekends_are_skipped(make_project):
    root = make_project(ROBOTS, files={"schedules/morning.yaml": """\
        schedules:
          morning:
            robot: greet
            cron: "0 9 * * MON-FRI"
            calendar: {holidays: KR, closed: ["2026-09-29"]}
          quarter:
            robot: greet
            every: 15m
            timezone: Europe/Berlin
            calendar: {skip_weekends: true}
          inbox:
            robot: greet
            on: {files: "inbox/*.pdf"}
        """}, head=_head_with_include())
    done = retake(root, "schedules", "--next", "4", "--from", "2026-09-23T00:00", "--json")
    assert done.returncode == 0, done.stderr
    records = {r["schedule"]: r for r in json.loads(done.stdout)}
    morning = records["morning"]
    assert [n["at"] for n in morning["next"]] == ["2026-09-23T09:00:00+09:00", "2026-09-28T09:00:00+09:00",
                                                  "2026-09-30T09:00:00+09:00", "2026-10-01T09:00:00+09:00"]
    assert [(s["date"], s["reason"]) for s in morning["skipped"]] == [
        ("2026-09-24", "holiday: The day preceding Chuseok"), ("2026-09-25", "holiday: Chuseok"),
        ("2026-09-29", "closed date")]
    quarter = records["quarter"]
    assert quarter["timezone"] == "Europe/Berlin" and quarter["when"] == "every 15m"
    assert quarter["next"][0]["at"] == "2026-09-22T17:00:00+02:00"  # 00:00 in Seoul is 17:00 in Berlin
    assert records["inbox"]["when"] == "on new files inbox/*.pdf" and records["inbox"]["overlap"] == "queue"
    text = retake(root, "schedules", "--next", "2", "--from", "2026-09-26T07:00")  # Saturday 00:00 in Berlin
    assert text.returncode == 0, text.stderr
    assert "skip  Sat 2026-09-26 (96 slots): weekend" in text.stdout
    assert "skip  Sun 2026-09-27 (96 slots): weekend" in text.stdout
    assert "next  Mon 2026-09-28 00:00 +02:00" in text.stdout
    assert "next  Mon 2026-09-28 09:00 +09:00" in text.stdout
    assert "skip  Tue 2026-09-29: closed date" in text.stdout


def _head_with_include() -> str:
    from tests.conftest import MANIFEST_HEAD

    return MANIFEST_HEAD + 'include: ["schedules/*.yaml"]\n'


def test_schedule_mistakes_are_reported_with_file_line_and_column(make_project):
    root = make_project(ROBOTS, files={"schedules/bad.yaml": """\
        schedules:
          a:
            robot: greet
            cron: "0 9 * * MON-FRX"
            timezone: Asia/Seul
            calendar: {holidays: XY}
            inputs: {whom: ops}
          b:
            robot: gret
            every: 1h
          c:
            robot: greet
            on: {files: "in/*.pdf", poll: soon}
          d:
            robot: greet
        """}, head=_head_with_include())
    done = retake(root, "validate")
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    expected = [
        "schedules/bad.yaml:4:11: cron '0 9 * * MON-FRX' is not valid",
        "schedules/bad.yaml:5:15: unknown time zone 'Asia/Seul'",
        "schedules/bad.yaml:6:26: unknown holiday country or market 'XY'",
        "schedules/bad.yaml:7:14: robot 'greet' has no input 'whom' (did you mean 'who'?)",
        "schedules/bad.yaml:9:12: schedule 'b' names unknown robot 'gret' (did you mean 'greet'?)",
        "schedules/bad.yaml:13:35: poll: 'soon' is not a duration",
        "schedules/bad.yaml:14:3: schedule 'd' says neither when nor on what to run",
    ]
    for prefix in expected:
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)


def test_the_scheduler_runs_due_schedules_in_process_and_stops_cleanly_on_sigterm(make_project):
    root = make_project(ROBOTS + """
schedules:
  often:
    robot: greet
    every: 1s
    timezone: Asia/Seoul
    overlap: queue
    inputs: {who: "{{ slot }}"}
""")
    env = {**os.environ}
    env.pop("RETAKE_BROKER_URL", None)
    env.pop("RETAKE_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "scheduler", "--project", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(3.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping" in err and "stopped" in err
    from orchestrator.ledger import Ledger, engine_for

    runs = Ledger(engine_for(f"sqlite:///{root / '.retake' / 'retake.db'}")).list_runs(limit=50)
    assert len(runs) >= 2
    assert {r["status"] for r in runs} == {"succeeded"} and {r["trigger"] for r in runs} == {"schedule"}
    history = json.loads(retake(root, "schedules", "--history", "50", "--json").stdout)[0]["history"]
    assert {h["run_id"] for h in history if h["status"] == "fired"} == {r["id"] for r in runs}
    assert all(h["slot"].endswith("+09:00") for h in history)  # in the schedule's zone, as its next firings
    past = [line for line in retake(root, "schedules", "--history", "2").stdout.splitlines() if "past" in line]
    assert len(past) == 2 and all(" +09:00 " in line for line in past) and " fired run " in past[0], past


def test_with_a_broker_the_scheduler_queues_runs_for_workers(make_project, redis_url):
    import redis

    url = redis_url.rsplit("/", 1)[0] + "/9"      # a Redis db of its own, emptied before and after
    client = redis.Redis.from_url(url)
    client.flushdb()
    root = make_project(ROBOTS + """
schedules:
  often:
    robot: greet
    every: 2s
""")
    env = {**os.environ, "RETAKE_BROKER_URL": url}
    env.pop("RETAKE_DATABASE_URL", None)
    try:
        done = subprocess.run([sys.executable, "-m", "orchestrator", "scheduler", "--once", "--project", str(root)],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        [line] = done.stdout.splitlines()
        schedule, _, status, run_id, _ = line.split("\t")
        assert (schedule, status) == ("often", "fired")
        queued = [k for k in client.keys("dramatiq:*") if client.type(k) == b"list"]
        assert sum(client.llen(k) for k in queued) == 1, queued
        from orchestrator.ledger import Ledger, engine_for

        run = Ledger(engine_for(f"sqlite:///{root / '.retake' / 'retake.db'}")).get_run(run_id)
        assert run["status"] == "queued" and run["trigger"] == "schedule"
    finally:
        client.flushdb()


def test_scheduler_once_exits_1_when_a_run_it_fired_failed_for_a_timer_s_on_failure(make_project):
    root = make_project(ROBOTS + """
  broken:
    steps:
      - fail: no data today
schedules:
  good:
    robot: greet
    every: 2s
  bad:
    robot: broken
    every: 2s
""")
    done = retake(root, "scheduler", "--once")
    lines = sorted(line.split("\t")[0] for line in done.stdout.splitlines())
    assert lines == ["bad", "good"] and done.returncode == 1, (done.stdout, done.stderr)
    (root / "robots.yaml").write_text((root / "robots.yaml").read_text().replace("      - fail: no data today",
                                                                               "      - log: fine today"))
    time.sleep(2.1)
    again = retake(root, "scheduler", "--once")
    fired = [line for line in again.stdout.splitlines() if "\tfired\t" in line]
    assert len(fired) == 2 and again.returncode == 0, (again.stdout, again.stderr)
