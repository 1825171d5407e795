"""The commands' JSON outputs and exit codes, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROBOTS = """\
robots:
  greet:
    manual_minutes: 1
    inputs: {who: {default: world}}
    steps:
      - log: "Hello {{ inputs.who }}"
  batch:
    manual_minutes: 6
    exception_minutes: 3
    items: "{{ range(10) | list }}"
    steps:
      - if: "{{ item in [3, 7] }}"
        fail: "item {{ item }} has no PO number"
"""


def retake(root, *args, env=None):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("RETAKE_BROKER_URL", None)
    full_env.pop("RETAKE_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "orchestrator", *args, "--project", str(root)],
                          capture_output=True, text=True, env=full_env, timeout=120)


@pytest.fixture
def project(make_project):
    return make_project(ROBOTS)


def test_run_json_prints_the_run_record(project):
    done = retake(project, "run", "greet", "--input", "who=Ops", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert set(record) >= {"run_id", "robot", "status", "items", "duration_s", "error"}
    assert record["robot"] == "greet" and record["status"] == "succeeded" and record["error"] is None
    assert record["items"] == {"total": 1, "succeeded": 1, "failed": 0, "cancelled": 0}
    assert record["inputs"] == {"who": "Ops"}
    assert record["started_at"].endswith("Z")


def test_a_partial_run_exits_1_and_bad_input_exits_2(project):
    done = retake(project, "run", "batch", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["items"] == {"total": 10, "succeeded": 8, "failed": 2, "cancelled": 0}
    bad = retake(project, "run", "greet", "--input", "whom=x")
    assert bad.returncode == 2 and "did you mean 'who'" in bad.stderr
    missing = retake(project, "run", "gret")
    assert missing.returncode == 2 and "did you mean 'greet'" in missing.stderr


def test_runs_and_runs_show_in_json(project):
    run_id = json.loads(retake(project, "run", "batch", "--json").stdout)["run_id"]
    retake(project, "run", "greet")
    listed = json.loads(retake(project, "runs", "--json").stdout)
    assert [r["robot"] for r in listed] == ["greet", "batch"]
    only = json.loads(retake(project, "runs", "--robot", "batch", "--status", "partial", "--json").stdout)
    assert [r["run_id"] for r in only] == [run_id]
    shown = json.loads(retake(project, "runs", "show", run_id, "--json").stdout)
    assert shown["run_id"] == run_id and len(shown["items_detail"]) == 10
    failed = [it for it in shown["items_detail"] if it["status"] == "failed"]
    assert [(it["key"], it["error"]["kind"], it["error"]["step"]) for it in failed] == [
        ("3", "business", "fail"), ("7", "business", "fail")]
    assert failed[0]["error"]["message"] == "item 3 has no PO number"
    assert retake(project, "runs", "show", "nope").returncode == 1


def test_report_json_gives_the_first_savings_figures(project):
    retake(project, "run", "batch")
    retake(project, "run", "greet")
    report = json.loads(retake(project, "report", "--json").stdout)
    by_robot = {r["robot"]: r for r in report["robots"]}
    batch = by_robot["batch"]
    assert (batch["runs"], batch["items_succeeded"], batch["items_failed"]) == (1, 8, 2)
    # 8 x 6 min - 2 x 3 min = 42 min = 0.7 h; x 60,000 KRW/h = 42,000 KRW
    assert batch["manual_hours_saved"] == pytest.approx(0.7)
    assert batch["value_saved"] == pytest.approx(42_000)
    assert batch["net_value"] == pytest.approx(42_000 - batch["robot_hours"] * 600, abs=0.01)
    total = report["total"]
    assert total["runs"] == 2 and total["items_succeeded"] == 9
    assert total["value_saved"] == pytest.approx(43_000)
    assert report["currency"] == "KRW"


def test_secrets_are_masked_in_logs_and_the_ledger(make_project):
    root = make_project("""\
        robots:
          login:
            secrets: [ERP_PASSWORD]
            steps:
              - log: "typing {{ secrets.ERP_PASSWORD }} into the form"
              - fail: "login refused for password {{ secrets.ERP_PASSWORD }}"
        """)
    secret = "hunter2-very-secret"
    done = retake(root, "run", "login", "--json", env={"ERP_PASSWORD": secret, "RETAKE_LOG_LEVEL": "DEBUG"})
    assert done.returncode == 1
    assert secret not in done.stdout + done.stderr
    assert "typing *** into the form" in done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    log = (root / ".retake" / "runs" / run_id / "log.jsonl").read_text()
    assert "typing *** into the form" in log and secret not in log
    shown = retake(root, "runs", "show", run_id, "--json").stdout
    assert secret not in shown and "login refused for password ***" in shown
    db = (root / ".retake" / "retake.db").read_bytes()
    assert secret.encode() not in db


def test_a_missing_secret_fails_the_run_with_what_to_do(make_project):
    root = make_project("robots:\n  login:\n    secrets: [NOT_SET_ANYWHERE]\n    steps: [{log: hi}]\n")
    done = retake(root, "run", "login", "--json")
    assert done.returncode == 1
    assert "NOT_SET_ANYWHERE" in json.loads(done.stdout)["error"]


def test_a_missing_secret_is_reported_in_the_file_of_its_robot(make_project):
    root = make_project("include: [robots/*.yaml]\n", files={"robots/intake.yaml": """\
        robots:
          intake:
            secrets: [HOME, PDF_PASSWORD_NOT_SET]
            steps: [{log: hi}]
        """})
    done = retake(root, "run", "intake", "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"].startswith(
        "robots/intake.yaml:3:21: secret(s) PDF_PASSWORD_NOT_SET of robot 'intake' are not set")


def test_runs_show_with_the_start_of_several_ids_says_it_is_ambiguous(project):
    ids = [json.loads(retake(project, "run", "greet", "--json").stdout)["run_id"] for _ in range(2)]
    common = os.path.commonprefix(ids)
    done = retake(project, "runs", "show", common)
    assert done.returncode == 1
    assert f"{common!r} is ambiguous: it starts the ids of 2 runs: " in done.stderr
    assert all(f"{run_id} (greet)" in done.stderr for run_id in ids)
    assert "no run 'zzz' in the ledger" in retake(project, "runs", "show", "zzz").stderr


def test_runs_piped_shows_whole_ids_and_local_times_in_80_columns(project):
    run_id = json.loads(retake(project, "run", "batch", "--json").stdout)["run_id"]
    done = retake(project, "runs", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in done.stdout
    assert "(times in Asia/Seoul)" in done.stdout
    row = next(line for line in lines if run_id in line)
    assert row.split()[1:4] == ["batch", "partial", "8/10"]


def test_actions_lists_every_action(project):
    listed = json.loads(retake(project, "actions", "--json").stdout)
    names = {a["action"] for a in listed}
    assert {"log", "set", "sleep", "fail", "files.list", "files.move", "files.copy", "files.write"} <= names


def test_init_makes_a_project_that_validates_runs_and_schedules(tmp_path):
    def cli(*args):
        env = {k: v for k, v in os.environ.items() if k not in ("RETAKE_BROKER_URL", "RETAKE_DATABASE_URL")}
        return subprocess.run([sys.executable, "-m", "orchestrator", *args], capture_output=True, text=True,
                              env=env, timeout=120, cwd=tmp_path / "ops" if (tmp_path / "ops").is_dir() else tmp_path)

    made = cli("init", "ops", "--timezone", "Asia/Seoul", "--country", "KR", "--currency", "KRW")
    assert made.returncode == 0, made.stderr
    assert "created  robots/check_orders.yaml" in made.stdout
    assert "hourly_cost: 50000 " in (tmp_path / "ops" / "robots.yaml").read_text()  # won, not 40 won an hour
    assert cli("validate").returncode == 0
    ran = cli("run", "check_orders", "--json")
    record = json.loads(ran.stdout)
    assert (ran.returncode, record["status"], record["items"]["succeeded"], record["items"]["failed"]) == (1, "partial", 2, 1)
    assert " check_orders " in cli("runs").stdout  # a pipe is 80 columns: the robot's name stays whole
    assert json.loads(cli("report", "--json").stdout)["total"]["value_saved"] > 0  # a first run saves money
    written = (tmp_path / "ops" / "out" / f"accepted-{record['run_id']}.csv").read_text(encoding="utf-8")
    assert written.splitlines()[1:] == ["A-1001,Hanbit Trading,Paper A4,10", "A-1002,Globex,Toner,2"]
    upcoming = json.loads(cli("schedules", "--next", "3", "--from", "2026-09-24T00:00", "--json").stdout)
    assert upcoming[0]["next"][0]["at"] == "2026-09-28T09:00:00+09:00"  # Korea's business calendar:
    assert [s["reason"] for s in upcoming[0]["skipped"]] == ["holiday: The day preceding Chuseok",
                                                             "holiday: Chuseok"]
    again = cli("init", ".")
    assert again.returncode == 2 and "exists already" in again.stderr


def test_runs_show_and_report_print_error_text_in_square_brackets_as_written(make_project):
    root = make_project("""
robots:
  brackets:
    manual_minutes: 1
    steps:
      - fail: 'no element [id="total"] in [b]row[/b]'
""")
    done = retake(root, "run", "brackets", "--json")
    run_id = json.loads(done.stdout)["run_id"]
    shown = retake(root, "runs", "show", run_id, env={"COLUMNS": "250"}).stdout
    assert 'no element [id="total"] in [b]row[/b]' in shown
    report = retake(root, "report", env={"COLUMNS": "250"}).stdout
    assert 'no element [id="total"] in [b]row[/b]' in report


def test_a_detached_run_with_the_broker_down_fails_in_one_line_and_is_recorded_failed(make_project):
    root = make_project("""
robots:
  hello:
    steps: [{log: hi}]
""")
    env = {**os.environ, "RETAKE_BROKER_URL": "redis://:secretpw@127.0.0.1:6390/7"}
    env.pop("RETAKE_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "run", "hello", "--detach", "--project", str(root)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "not queued: the broker at redis://:***@127.0.0.1:6390/7 cannot be reached" in done.stderr
    assert "secretpw" not in done.stderr
    runs = json.loads(retake(root, "runs", "--json").stdout)
    assert [r["status"] for r in runs] == ["failed"]


def test_an_unreachable_ledger_is_one_line_naming_it_without_its_password(make_project):
    root = make_project("robots:\n  hello:\n    steps: [{log: hi}]\n")
    env = {**os.environ, "RETAKE_DATABASE_URL": "postgresql://postgres:secretpw@127.0.0.1:5499/nowhere"}
    env.pop("RETAKE_BROKER_URL", None)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "runs", "--project", str(root)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "secretpw" not in done.stderr
    assert "the ledger cannot be reached (postgresql://postgres:***@127.0.0.1:5499/nowhere)" in done.stderr


def test_runs_status_report_and_cancel_still_work_while_a_robot_file_is_broken(make_project):
    root = make_project("""
robots:
  hello:
    manual_minutes: 2
    steps: [{log: hi}]
""")
    run_id = json.loads(retake(root, "run", "hello", "--json").stdout)["run_id"]
    text = (root / "robots.yaml").read_text()
    (root / "robots.yaml").write_text(text.replace("manual_minutes: 2", "manual_minutes: many"))
    assert retake(root, "run", "hello").returncode == 2  # nothing runs
    listed = retake(root, "runs", "--json")
    assert listed.returncode == 0 and [r["run_id"] for r in json.loads(listed.stdout)] == [run_id]
    assert "the project's files have 1 problem" in listed.stderr
    assert retake(root, "runs", "show", run_id, "--json").returncode == 0
    assert retake(root, "status").returncode == 0
    report = json.loads(retake(root, "report", "--json").stdout)
    assert [r["runs"] for r in report["robots"]] == [1]
    assert "nothing to cancel" in retake(root, "cancel", run_id).stderr  # (it had ended)


def test_rerun_reread_takes_the_corrected_rows_of_the_source(make_project) -> None:
    """A plain rerun repeats the recorded data; `--reread` takes the source as it reads now, by key."""
    root = make_project("""
robots:
  post:
    manual_minutes: 2
    items: "{{ read_table('orders.csv') }}"
    item_key: "{{ item.id }}"
    steps:
      - if: "{{ item.amount < 0 }}"
        fail: "order {{ item.id }}: negative amount {{ item.amount }}"
      - set: {posted: "{{ item.amount }}"}
""")
    (root / "orders.csv").write_text("id,amount\nA1,10\nA2,-5\nA3,7\n", encoding="utf-8")
    first = json.loads(retake(root, "run", "post", "--json").stdout)
    assert (first["items"]["succeeded"], first["items"]["failed"]) == (2, 1)
    (root / "orders.csv").write_text("id,amount\nA1,10\nA2,5\nA3,7\nA4,-1\n", encoding="utf-8")  # A2 corrected
    plain = retake(root, "rerun", first["run_id"], "--json")
    assert plain.returncode == 1 and json.loads(plain.stdout)["items"]["failed"] == 1  # the recorded -5 again
    fresh = retake(root, "rerun", first["run_id"], "--reread", "--json")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    record = json.loads(fresh.stdout)
    assert (record["items"]["total"], record["items"]["succeeded"]) == (1, 1)  # A2 only: A4 did not fail
    shown = json.loads(retake(root, "runs", "show", record["run_id"], "--json").stdout)
    assert [(i["key"], i["output"]) for i in shown["items_detail"]] == [("A2", {"posted": 5})]
    (root / "orders.csv").unlink()
    missing = retake(root, "rerun", first["run_id"], "--reread")
    assert missing.returncode == 2 and "cannot read the items of run" in missing.stderr + missing.stdout


def test_an_interrupted_run_is_cancelled_not_left_running(make_project) -> None:
    """SIGTERM to `retake run` (embedded: the run is worked in that process) cancels the run; before, it
    stayed `running` for ever with its items held."""
    import signal
    import time

    root = make_project("""
robots:
  sleeper:
    items: [a, b, c]
    steps: [{sleep: 1s}]
""")
    env = {k: v for k, v in os.environ.items() if k not in ("RETAKE_BROKER_URL", "RETAKE_DATABASE_URL")}
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", "sleeper", "--project", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = json.loads(retake(root, "runs", "--json").stdout or "[]")
        if listed and listed[0]["status"] == "running":
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "cancelled: `retake run` was interrupted" in err, err
    run = json.loads(retake(root, "runs", "--json").stdout)[0]
    assert run["status"] == "cancelled", run
    assert "--cancelled" in err
