"""The savings report against a ledger written by hand, its figures computed here independently (Fraction)."""

from __future__ import annotations

import datetime as dt
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import insert

from orchestrator.ledger.tables import items, runs

UTC = dt.UTC
HEAD = """\
version: 1
project: savings-test
timezone: Asia/Seoul
economics: {currency: KRW, hourly_cost: 41234, robot_hourly_cost: 777, fte_hours_per_year: 1800}
"""
ROBOTS = """\
robots:
  invoices:
    manual_minutes: 7.3
    exception_minutes: 12
    steps: [{log: hi}]
  sorter:
    manual_minutes: 1.5
    steps: [{log: hi}]
  idle:
    steps: [{log: hi}]
"""

# (run id, robot, queued at (UTC), manual, exception, [(status, seconds, kind, step, message)])
OK = "succeeded"
LEDGER = [
    ("r-oct", "invoices", dt.datetime(2026, 10, 31, 14, 0, tzinfo=UTC), 7.3, 12,  # Oct 31 23:00 in Seoul
     [(OK, 100.0, None, None, None)]),
    ("r-a", "invoices", dt.datetime(2026, 11, 2, 1, 0, tzinfo=UTC), 7.3, 12,
     [(OK, 10.5, None, None, None), (OK, 20.25, None, None, None), (OK, 30.0, None, None, None),
      ("failed", 5.0, "business", "check", "amount missing on INV-7"),
      ("failed", 44.4, "application", "login", "page did not load")]),
    ("r-b", "invoices", dt.datetime(2026, 11, 3, 16, 0, tzinfo=UTC), 8, 12,  # Nov 4 01:00 in Seoul
     [(OK, 12.1, None, None, None), (OK, 13.3, None, None, None), ("cancelled", None, None, None, None)]),
    ("r-c", "sorter", dt.datetime(2026, 11, 10, 3, 0, tzinfo=UTC), 1.5, 0,
     [*[(OK, 2.2, None, None, None)] * 10, ("failed", 7.7, "timeout", "move", "step 'move' took longer than 5s")]),
    ("r-d", "invoices", dt.datetime(2026, 11, 12, 5, 0, tzinfo=UTC), 7.3, 12,
     [("failed", 3.0, "business", "check", "amount missing on INV-9")]),
    ("r-dec", "sorter", dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 1.5, 0, [(OK, 1.0, None, None, None)]),
]


def write_ledger(engine, rows=LEDGER) -> None:  # noqa: ANN001
    """Runs and items as the ledger keeps them: counters on the run, robot_seconds = sum of item durations."""
    with engine.begin() as conn:
        for run_id, robot, queued, manual, exception, its in rows:
            done = [i for i in its if i[1] is not None]
            conn.execute(insert(runs).values(
                id=run_id, project="savings-test", robot=robot, status="partial" if any(
                    i[0] == "failed" for i in its) else "succeeded", trigger="manual", inputs={}, queue="default",
                manual_minutes=manual, exception_minutes=exception, items_total=len(its),
                items_succeeded=sum(i[0] == OK for i in its), items_failed=sum(i[0] == "failed" for i in its),
                items_cancelled=sum(i[0] == "cancelled" for i in its),
                robot_seconds=sum(i[1] for i in done), queued_at=queued, started_at=queued,
                finished_at=queued + dt.timedelta(minutes=5), duration_s=300.0))
            conn.execute(insert(items), [
                {"run_id": run_id, "idx": n, "key": f"{run_id}-{n}", "status": status, "attempts": 1,
                 "duration_s": seconds, "error_kind": kind, "error_step": step, "error_message": message}
                for n, (status, seconds, kind, step, message) in enumerate(its)])


def half_up(value: Fraction, digits: int = 0) -> Fraction:
    scaled = value * 10 ** digits
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole, 10 ** digits)


def expected(rows, *, hourly: str = "41234", robot_hourly: str = "777", digits: int = 0) -> dict:  # noqa: ANN001
    ok = sum(1 for r in rows for i in r[5] if i[0] == OK)
    failed = [i for r in rows for i in r[5] if i[0] == "failed"]
    saved_min = sum(Fraction(str(r[3])) * sum(i[0] == OK for i in r[5])
                    - Fraction(str(r[4])) * sum(i[0] == "failed" for i in r[5]) for r in rows)
    seconds = sum(Fraction(str(i[1])) for r in rows for i in r[5] if i[1] is not None)
    value = half_up(saved_min / 60 * Fraction(hourly), digits)
    cost = half_up(seconds / 3600 * Fraction(robot_hourly), digits)
    return {"runs": len(rows), "items_succeeded": ok, "items_failed": len(failed),
            "items_failed_business": sum(i[2] == "business" for i in failed),
            "items_cancelled": sum(1 for r in rows for i in r[5] if i[0] == "cancelled"),
            "hours": saved_min / 60, "robot_hours": seconds / 3600, "value": value, "cost": cost,
            "net": value - cost, "rate": Fraction(ok, ok + len(failed)) if ok + len(failed) else None}


def in_november(robot: str | None = None) -> list:
    return [r for r in LEDGER if r[0] not in ("r-oct", "r-dec") and (robot is None or r[1] == robot)]


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_project(request, make_project, monkeypatch, embedded):  # noqa: ANN001
    """A project whose ledger (SQLite, or a fresh PostgreSQL database) holds LEDGER."""
    if request.param == "postgresql":
        monkeypatch.setenv("RETAKE_DATABASE_URL", request.getfixturevalue("postgres_url"))
    root = make_project(ROBOTS, head=HEAD)
    from orchestrator import projects
    from orchestrator.loader import load_project

    loaded = load_project(root)
    write_ledger(projects.ledger_for(loaded).engine)
    return loaded


def check_line(line: dict, want: dict) -> None:
    for key in ("runs", "items_succeeded", "items_failed", "items_failed_business", "items_cancelled"):
        assert line[key] == want[key], key
    assert line["items_failed_application"] == want["items_failed"] - want["items_failed_business"]
    assert line["value_saved"] == want["value"] and isinstance(line["value_saved"], int)
    assert line["robot_cost"] == want["cost"]
    assert line["net_value"] == want["net"]
    assert line["manual_hours_saved"] == pytest.approx(float(want["hours"]), abs=1e-6)
    assert line["robot_hours"] == pytest.approx(float(want["robot_hours"]), abs=1e-6)
    assert line["fte_equivalent"] == pytest.approx(float(want["hours"] / 1800), abs=1e-6)
    if want["rate"] is None:
        assert line["success_rate"] is None
    else:
        assert line["success_rate"] == pytest.approx(float(want["rate"]), abs=1e-6)


def test_figures_per_robot_and_total_match_a_hand_computed_ledger_to_the_won(ledger_project) -> None:
    from orchestrator.savings import project_report

    report = project_report(ledger_project, since="2026-11-01", until="2026-11-30", by="day")
    lines = {line["robot"]: line for line in report["robots"]}
    assert set(lines) == {"invoices", "sorter", "idle"}
    check_line(lines["invoices"], expected(in_november("invoices")))
    check_line(lines["sorter"], expected(in_november("sorter")))
    check_line(report["total"], expected(in_november()))
    assert lines["idle"]["runs"] == 0 and lines["idle"]["value_saved"] == 0
    assert report["currency"] == "KRW" and report["currency_minor_units"] == 0
    # the period is 30 local days: FTE annualized = hours x 365 / 30 / 1800
    assert report["total"]["fte_annualized"] == pytest.approx(
        float(expected(in_november())["hours"] * 365 / 30 / 1800), abs=1e-6)


def test_days_are_local_days_of_the_project_time_zone(ledger_project) -> None:
    from orchestrator.savings import project_report

    report = project_report(ledger_project, since="2026-11-01", until="2026-11-12", by="day")
    buckets = {p["period"]: p for p in report["periods"]}
    # every day of the period, the empty ones as zero (charts without holes), from its first day to its last
    assert report["periods"][0]["period"] == "2026-11-01" and report["periods"][-1]["period"] == "2026-11-12"
    assert len(report["periods"]) == 12 and buckets["2026-11-01"]["total"]["runs"] == 0
    assert buckets["2026-11-04"]["total"]["items_succeeded"] == 2  # 16:00 UTC on Nov 3 is Nov 4 in Seoul
    assert buckets["2026-11-03"]["total"]["runs"] == 0
    check_line(buckets["2026-11-02"]["total"], expected([r for r in LEDGER if r[0] == "r-a"]))
    assert buckets["2026-11-12"]["total"]["success_rate"] == 0.0


def test_weeks_start_on_monday_and_months_group_whole_months(ledger_project) -> None:
    from orchestrator.savings import project_report

    weeks = project_report(ledger_project, since="2026-10-01", until="2026-12-31", by="week")
    labels = [p["period"] for p in weeks["periods"]]
    assert labels[0] == "2026-09-28" and "2026-11-02" in labels and labels[-1] == "2026-12-28"  # Mondays
    first = {p["period"]: p["total"] for p in weeks["periods"]}
    check_line(first["2026-11-02"], expected([r for r in LEDGER if r[0] in ("r-a", "r-b")]))
    months = project_report(ledger_project, since="2026-10-01", until="2026-12-31", by="month")
    assert [p["period"] for p in months["periods"]] == ["2026-10", "2026-11", "2026-12"]
    check_line(months["periods"][1]["total"], expected(in_november()))
    check_line(months["total"], expected(LEDGER))


def test_failure_reasons_are_grouped_by_kind_and_step_with_an_example(ledger_project) -> None:
    from orchestrator.savings import project_report

    report = project_report(ledger_project, since="2026-11-01", until="2026-11-30")
    reasons = [(r["robot"], r["error_kind"], r["step"], r["count"]) for r in report["failures"]]
    assert reasons[0] == ("invoices", "business", "check", 2)
    assert set(reasons[1:]) == {("invoices", "application", "login", 1), ("sorter", "timeout", "move", 1)}
    assert report["failures"][0]["example"] == "amount missing on INV-9"  # the latest one
    sorter = next(line for line in report["robots"] if line["robot"] == "sorter")
    assert sorter["top_failures"][0]["step"] == "move" and sorter["items_failed_application"] == 1


def test_a_robot_filter_and_an_open_period(ledger_project) -> None:
    from orchestrator.savings import project_report

    report = project_report(ledger_project, robot="sorter", by=None)
    assert [line["robot"] for line in report["robots"]] == ["sorter"]
    check_line(report["total"], expected([r for r in LEDGER if r[1] == "sorter"]))
    assert "periods" not in report


def test_money_in_a_currency_with_cents_is_rounded_to_the_cent(ledger_project) -> None:
    from orchestrator import projects
    from orchestrator.savings import build_report
    from orchestrator.spec import Economics

    economics = Economics(currency="USD", hourly_cost=37.37, robot_hourly_cost=1.23)
    report = build_report(projects.ledger_for(ledger_project).engine, economics, by=None)
    want = expected(LEDGER, hourly="37.37", robot_hourly="1.23", digits=2)
    assert Fraction(str(report["total"]["value_saved"])) == want["value"]
    assert Fraction(str(report["total"]["robot_cost"])) == want["cost"]
    assert Fraction(str(report["total"]["net_value"])) == want["net"]
    assert report["currency_minor_units"] == 2


def test_an_empty_ledger_reports_zeros() -> None:
    from sqlalchemy import create_engine

    from orchestrator.ledger.schema import ensure_schema
    from orchestrator.savings import build_report
    from orchestrator.spec import Economics

    engine = create_engine("sqlite://")
    ensure_schema(engine)
    report = build_report(engine, Economics(), by="day")
    assert report["robots"] == [] and report["periods"] == [] and report["total"]["runs"] == 0
    assert report["total"]["success_rate"] is None and report["total"]["value_saved"] == 0.0


def test_dates_in_every_accepted_form() -> None:
    from zoneinfo import ZoneInfo

    from orchestrator.savings.period import PeriodError, make_period, parse_when

    seoul = ZoneInfo("Asia/Seoul")
    today = dt.date(2026, 11, 29)
    assert parse_when("yesterday", seoul, today=today) == dt.date(2026, 11, 28)
    assert parse_when("7d", seoul, today=today) == dt.date(2026, 11, 23)  # 7 days with today, as the dashboard's
    assert parse_when("2026-11-01T09:30", seoul).utcoffset() == dt.timedelta(hours=9)
    period = make_period("2026-11-01", "2026-11-30", "Asia/Seoul")
    assert period.start == dt.datetime(2026, 10, 31, 15, tzinfo=UTC)
    assert period.end == dt.datetime(2026, 11, 30, 15, tzinfo=UTC)
    with pytest.raises(PeriodError, match="YYYY-MM-DD"):
        make_period("last tuesday", None, "UTC")
    with pytest.raises(PeriodError, match="before"):
        make_period("2026-11-02", "2026-11-01", "UTC")


# --- the command --------------------------------------------------------------------------------------------

def cli(root: Path, *args: str):  # noqa: ANN201
    from typer.testing import CliRunner

    from orchestrator.cli import _register, app

    _register()
    return CliRunner().invoke(app, [*args, "--project", str(root)])


@pytest.fixture
def sqlite_project(make_project, embedded) -> Path:  # noqa: ANN001
    from orchestrator import projects
    from orchestrator.loader import load_project

    root = make_project(ROBOTS, head=HEAD)
    write_ledger(projects.ledger_for(load_project(root)).engine)
    return root


def test_report_json_keeps_the_first_figures_and_json_is_an_alias(sqlite_project: Path) -> None:
    alias = cli(sqlite_project, "report", "--json", "--since", "2026-11-01", "--until", "2026-11-30")
    assert alias.exit_code == 0, alias.output
    data = json.loads(alias.stdout)
    full = json.loads(cli(sqlite_project, "report", "--format", "json", "--since", "2026-11-01",
                          "--until", "2026-11-30").stdout)
    assert data == full
    for line in [*data["robots"], data["total"]]:
        for key in ("runs", "items_succeeded", "items_failed", "robot_hours", "manual_hours_saved", "value_saved",
                    "net_value"):
            assert key in line
    assert data["total"]["value_saved"] == expected(in_november())["value"]
    assert "manual_minutes" in data["formulas"]["manual_hours_saved"]


def test_report_as_csv_xlsx_and_table(sqlite_project: Path, tmp_path: Path) -> None:
    import csv
    import io

    result = cli(sqlite_project, "report", "--format", "csv", "--since", "2026-11-01", "--until", "2026-11-30",
                 "--by", "month")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    total = rows[-1]
    assert (total["period"], total["robot"]) == ("all", "TOTAL")
    assert int(total["value_saved"]) == expected(in_november())["value"]
    assert [(r["period"], r["robot"]) for r in rows[:3]] == [("2026-11", "invoices"), ("2026-11", "sorter"),
                                                            ("2026-11", "TOTAL")]
    written = tmp_path / "r.csv"
    assert cli(sqlite_project, "report", "--format", "csv", "--output", str(written)).exit_code == 0
    assert written.read_bytes().startswith(b"\xef\xbb\xbfrobot,runs,")  # Excel needs the BOM for UTF-8
    book = tmp_path / "r.xlsx"
    assert cli(sqlite_project, "report", "--format", "xlsx", "--output", str(book)).exit_code == 0
    from openpyxl import load_workbook

    sheets = load_workbook(book)
    assert sheets.sheetnames == ["Summary", "By period", "Failures", "Formulas"]
    summary = list(sheets["Summary"].values)
    assert summary[-1][0] == "TOTAL" and summary[-1][summary[0].index("value saved")] == expected(LEDGER)["value"]
    table = cli(sqlite_project, "report", "--since", "2026-11-01", "--until", "2026-11-30")
    assert table.exit_code == 0 and "invoices" in table.stdout and "TOTAL" in table.stdout
    assert f"{int(expected(in_november())['value']):,}" in table.stdout


def test_the_html_report_is_one_offline_file_with_three_charts(sqlite_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = cli(sqlite_project, "report", "--format", "html", "--output", str(out), "--since", "2026-11-01",
                 "--until", "2026-11-30")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "Success rate" in html and "Failed items by reason" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html and "<link" not in html
    assert f"{int(expected(in_november())['value']):,}" in html
    assert "exception_minutes" in html  # the formulas are in the report itself


def test_bad_options_exit_2_with_what_to_type(sqlite_project: Path) -> None:
    bad_date = cli(sqlite_project, "report", "--since", "yesterweek")
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    assert cli(sqlite_project, "report", "--format", "pdf").exit_code == 2
    assert cli(sqlite_project, "report", "--by", "year").exit_code == 2
    assert "--output" in cli(sqlite_project, "report", "--format", "xlsx").output


def test_local_days_follow_daylight_saving_time_on_both_databases(ledger_project) -> None:
    from orchestrator import projects
    from orchestrator.savings import build_report, make_period

    engine = projects.ledger_for(ledger_project).engine
    one = [(OK, 1.0, None, None, None)]
    write_ledger(engine, [
        ("dst-1", "dst", dt.datetime(2026, 3, 28, 22, 30, tzinfo=UTC), 1, 0, one),   # 23:30 CET, Mar 28
        ("dst-2", "dst", dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC), 1, 0, one),   # 00:30 CET, Mar 29
        ("dst-3", "dst", dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC), 1, 0, one),   # 00:30 CEST, Mar 30
        ("dst-4", "dst", dt.datetime(2026, 10, 25, 22, 30, tzinfo=UTC), 1, 0, one),  # 23:30 CET, Oct 25
    ])
    report = build_report(engine, ledger_project.spec.economics, robot="dst", by="day",
                          period=make_period("2026-03-01", "2026-10-31", "Europe/Berlin"))
    runs_by_day = {p["period"]: p["total"]["runs"] for p in report["periods"] if p["total"]["runs"]}
    assert runs_by_day == {"2026-03-28": 1, "2026-03-29": 1, "2026-03-30": 1, "2026-10-25": 1}
    months = build_report(engine, ledger_project.spec.economics, robot="dst", by="month",
                          period=make_period("2026-03-01", "2026-10-31", "Europe/Berlin"))
    assert [(p["period"], p["total"]["runs"]) for p in months["periods"] if p["total"]["runs"]] == [
        ("2026-03", 3), ("2026-10", 1)]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_an_item_failed_then_taken_again_by_a_rerun_is_charged_its_exception_minutes_once(
        database, request, make_project, monkeypatch, embedded) -> None:  # noqa: ANN001
    from orchestrator.loader import load_project
    from orchestrator.savings import project_report
    from orchestrator.submit import rerun, run_embedded, wait_embedded

    if database == "postgresql":
        monkeypatch.setenv("RETAKE_DATABASE_URL", request.getfixturevalue("postgres_url"))
    root = make_project("""
robots:
  post:
    manual_minutes: 10
    exception_minutes: 6
    items: [a, b, c, d]
    steps:
      - if: "{{ ('flags/' ~ item) in files('flags') }}"
        fail: "{{ item }} is held"
""", head=HEAD)
    (root / "flags").mkdir()
    for held in "bcd":
        (root / "flags" / held).write_text("")
    loaded = load_project(root)
    first = run_embedded(loaded, "post", {})
    assert first["items_failed"] == 3
    (root / "flags" / "b").unlink()  # fixed by hand in the source: the rerun passes b; c and d fail again
    second = wait_embedded(loaded, rerun(loaded, first["id"]))
    assert (second["items_succeeded"], second["items_failed"]) == (1, 2)
    (root / "flags" / "c").unlink()
    third = wait_embedded(loaded, rerun(loaded, second["id"]))
    assert (third["items_succeeded"], third["items_failed"]) == (1, 1)
    line = project_report(loaded)["total"]
    # a, b, c done by the robot (3 x 10 min); d, still failed, handled once by a person (6 min), not three times
    assert line["manual_hours_saved"] == pytest.approx((3 * 10 - 6) / 60, abs=1e-6)
    assert (line["items_succeeded"], line["items_failed"], line["runs"]) == (3, 6, 3)  # every attempt counts
    # the same run rerun once more (its first rerun had failed for want of a secret, say): d, failed in both
    # reruns of `second`, is still charged once
    fourth = wait_embedded(loaded, rerun(loaded, second["id"]))
    assert (fourth["items_succeeded"], fourth["items_failed"]) == (1, 1)  # c passes again, d fails again
    line = project_report(loaded)["total"]
    assert line["manual_hours_saved"] == pytest.approx((4 * 10 - 6) / 60, abs=1e-6)


def test_runs_that_fail_before_they_have_items_show_in_the_table_and_the_digest(make_project, embedded) -> None:
    from orchestrator.alerts.digest import build_digest
    from orchestrator.loader import load_project
    from orchestrator.savings.formats import clipped
    from orchestrator.submit import run_embedded

    root = make_project("""
robots:
  inbox:
    manual_minutes: 5
    items: "{{ files('nope', '*.csv') }}"
    steps: [{log: hi}]
""", head=HEAD)
    loaded = load_project(root)
    assert run_embedded(loaded, "inbox", {})["status"] == "failed"  # the inbox folder does not exist
    table = cli(root, "report")
    assert table.exit_code == 0 and "runs (failed)" in table.stdout and "1 (1)" in table.stdout, table.stdout
    digest = build_digest(loaded, day="today")[0]
    assert "1 run(s) (1 failed)" in digest
    assert re.search(r"0\.00 [A-Z]{3} saved, net -?0\.00 [A-Z]{3}", digest), digest  # money with 2 decimals
    long = "no option 'Nordic Widgets AB' in the list (options: " + ", ".join(f"choice {i}" for i in range(30)) + ")"
    assert clipped(long, 80).endswith(" …") and len(clipped(long, 80)) <= 80 and "(options: choice" in clipped(long, 80)
