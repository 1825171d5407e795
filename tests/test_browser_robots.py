"""Browser robots run end to end on the embedded default: sessions, recovery, evidence and secrets."""

from __future__ import annotations

import os
import signal
import zipfile
from pathlib import Path

import pytest
from robot_support import ERP_SIGN_IN

from orchestrator import projects
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded

pytestmark = pytest.mark.browser

ENTER = """
robots:
  enter:
    manual_minutes: 5
    secrets: [ERP_USER, ERP_PASSWORD]
    inputs:
      erp_url: {{default: "{url}"}}
      invoices: {{type: list, default: []}}
    items: "{{{{ inputs.invoices }}}}"
    item_key: "{{{{ item.no }}}}"
    browser: {{base_url: "{{{{ inputs.erp_url }}}}"{options}}}
    steps:""" + ERP_SIGN_IN + """
{extra}
      - browser.fill_form:
          fields:
            Vendor: "{{{{ item.vendor }}}}"
            Invoice number: "{{{{ item.no }}}}"
            Invoice date: 2026-05-01
            Currency: KRW
            Amount: "{{{{ item.amount }}}}"
            Category: Goods
          submit: {{role: button, name: Save invoice}}
      - id: answer
        browser.text: [{{test_id: confirmation-number}}, {{test_id: form-error}}]
      - if: "{{{{ not steps.answer.startswith('ERP-') }}}}"
        fail: "the ERP refused {{{{ item.no }}}}: {{{{ steps.answer }}}}"
"""


def _project(make_project, erp, *, options: str = "", extra: str = "", head: str | None = None,
             robot: str = ""):
    body = ENTER.format(url=erp.url, options=options, extra=extra)
    body = body.replace("    manual_minutes: 5\n", f"    manual_minutes: 5\n{robot}")
    root = make_project(body) if head is None else make_project(body, head=head)
    return load_project(root)


def _invoices(prefix: str, count: int) -> list[dict]:
    return [{"no": f"{prefix}-{i}", "vendor": f"Vendor {i}", "amount": 1000 + i} for i in range(count)]


def test_a_run_logs_in_once_and_again_after_the_session_expires(embedded, make_project, erp, secrets_env):
    loaded = _project(make_project, erp)
    erp.state.config.expire_every = 2
    logins = erp.state.logins
    try:
        run = run_embedded(loaded, "enter", {"invoices": _invoices("EXP", 5)})
    finally:
        erp.state.config.expire_every = 0
    assert (run["status"], run["items_succeeded"]) == ("succeeded", 5)
    assert erp.state.logins - logins == 3  # the first item, then after the 2nd and the 4th save
    assert [r["invoice_no"] for r in erp.state.invoices[-5:]] == [f"EXP-{i}" for i in range(5)]


def test_a_failed_item_leaves_evidence_in_the_ledger_and_the_batch_goes_on(embedded, make_project, erp,
                                                                           secrets_env):
    loaded = _project(make_project, erp)
    items = _invoices("EVI", 3)
    items[1]["no"] = "EVI-0"  # a duplicate: the ERP refuses it
    run = run_embedded(loaded, "enter", {"invoices": items})
    assert (run["status"], run["items_succeeded"], run["items_failed"]) == ("partial", 2, 1)
    ledger = projects.ledger_for(loaded)
    failed = [i for i in ledger.run_items(run["id"]) if i["status"] == "failed"]
    assert "was already entered" in failed[0]["error_message"]
    artifacts = ledger.artifacts_for(run["id"])
    assert {a["kind"] for a in artifacts} == {"screenshot", "html", "trace"}
    assert {a["item_id"] for a in artifacts} == {failed[0]["id"]}
    for artifact in artifacts:
        assert (loaded.root / artifact["path"]).stat().st_size > 100
    html = next(loaded.root / a["path"] for a in artifacts if a["kind"] == "html").read_text(encoding="utf-8")
    assert "was already entered" in html
    traces = list((loaded.root / ".retake").rglob("trace.zip"))
    assert len(traces) == 1  # traces of items that passed are not kept


def test_secret_values_appear_in_no_trace_log_or_ledger(embedded, make_project, erp, secrets_env):
    head = ("version: 1\nproject: t\nsettings: {keep_traces: always}\n"
            "defaults:\n  retry: {attempts: 1, backoff: 0s}\n")
    loaded = _project(make_project, erp, head=head, extra="""
      - browser.fill: {locator: {label: Notes}, value: "typed {{ secrets.ERP_PASSWORD }} here"}
      - browser.screenshot: {full_page: true}
      - log: "the password is {{ secrets.ERP_PASSWORD }}"
""".replace("      - browser.fill", "      - browser.goto: /invoices/new\n      - browser.fill"))
    items = _invoices("SEC", 2)
    items[1]["no"] = "SEC-0"
    erp.state.expire_sessions()
    run = run_embedded(loaded, "enter", {"invoices": items})
    assert run["items_failed"] == 1
    files = [p for p in (loaded.root / ".retake").rglob("*") if p.is_file()]
    traces = [p for p in files if p.name == "trace.zip"]
    assert len(traces) == 2  # `always`: one per item
    for trace in traces:
        with zipfile.ZipFile(trace) as z:
            blob = b"".join(z.read(n) for n in z.namelist())
        assert b"Sign in" in blob or b"Save invoice" in blob
        assert b"demo-password" not in blob and b"demo%2Dpassword" not in blob
    for path in files:
        if path.suffix in (".jsonl", ".html", ".db", ".sqlite", ".json"):
            assert b"demo-password" not in path.read_bytes(), path
    log = next(p for p in files if p.name == "log.jsonl").read_text(encoding="utf-8")
    assert "the password is ***" in log


def _browser_pids_of_worker_threads() -> list[int]:
    """The Chromium processes the worker threads' Playwright drivers launched."""
    from connectors import browser_launch

    drivers = {warm.driver_pid for warm in browser_launch._warm.values() if warm.owned and warm.driver_pid}
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) in drivers:
                pids.append(int(entry.name))
    return pids


@pytest.mark.timeout(90)
def test_a_crashed_browser_is_restarted_and_the_item_retried(embedded, make_project, erp, secrets_env):
    # slow items, slow in the browser: the crash comes while an item is using it (between two items it
    # would only be a restart, with no failed attempt to retry)
    loaded = _project(make_project, erp, extra='      - browser.evaluate: "new Promise(done => setTimeout(done, 400))"\n',
                      robot="    retry: {attempts: 3, backoff: 300ms, jitter: false}\n")
    killed: list[int] = []

    def crash_after_first_item(run: dict) -> None:
        if run["items_succeeded"] >= 1 and not killed:
            for pid in _browser_pids_of_worker_threads():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    run = run_embedded(loaded, "enter", {"invoices": _invoices("CRASH", 4)}, on_progress=crash_after_first_item)
    assert killed
    assert (run["status"], run["items_succeeded"]) == ("succeeded", 4)
    attempts = projects.ledger_for(loaded).attempts_for(run["id"])
    assert any(a["status"] == "failed" and a["error_kind"] == "application" for a in attempts)
    assert all(i["attempts"] == 1 for i in projects.ledger_for(loaded).run_items(run["id"]))  # same delivery


def test_storage_state_keeps_the_login_between_runs(embedded, make_project, erp, secrets_env):
    loaded = _project(make_project, erp, options=", storage_state: true")
    erp.state.expire_sessions()
    logins = erp.state.logins
    first = run_embedded(loaded, "enter", {"invoices": _invoices("STATE-A", 1)})
    second = run_embedded(loaded, "enter", {"invoices": _invoices("STATE-B", 1)})
    assert first["status"] == second["status"] == "succeeded"
    assert erp.state.logins - logins == 1
    assert (loaded.root / ".retake" / "browser" / "enter.json").is_file()


def test_two_worker_threads_each_get_their_own_context(embedded, make_project, erp, secrets_env):
    loaded = _project(make_project, erp, robot="    chunk_size: 1\n")
    erp.state.expire_sessions()
    logins = erp.state.logins
    first = run_embedded(loaded, "enter", {"invoices": _invoices("THREADS-A", 4)}, threads=2)
    second = run_embedded(loaded, "enter", {"invoices": _invoices("THREADS-B", 4)}, threads=2)
    assert (first["items_succeeded"], second["items_succeeded"]) == (4, 4)
    assert 2 <= erp.state.logins - logins <= 4  # one login per thread and run (a thread may get no item)


@pytest.mark.timeout(120)
def test_a_page_script_that_never_answers_times_out_and_the_next_item_has_a_working_browser(embedded, make_project):
    root = make_project("""
    robots:
      stuck:
        items: [hangs, works]
        retry: {attempts: 2, backoff: 0s}
        steps:
          - browser.goto: "data:text/html,<h1>Legacy</h1>"
          - id: answer
            browser.evaluate: "{{ 'new Promise(() => {})' if item == 'hangs' else '6 * 7' }}"
            timeout: 3s
    """)
    loaded = load_project(root)
    run = run_embedded(loaded, "stuck", {})
    items = {i["key"]: i for i in projects.ledger_for(loaded).run_items(run["id"])}
    assert (items["hangs"]["status"], items["hangs"]["error_kind"]) == ("failed", "timeout")
    assert "time limit of 3s" in items["hangs"]["error_message"]
    assert items["works"]["status"] == "succeeded" and items["works"]["output"] == 42
    attempts = [a for a in projects.ledger_for(loaded).attempts_for(run["id"]) if a["error_kind"] == "timeout"]
    assert len(attempts) == 2  # the item was tried again (from its first step) before it failed


@pytest.mark.timeout(120)
def test_a_browser_call_with_no_answer_is_stopped_by_its_own_limit_not_reported_as_the_run_s(embedded,
                                                                                                 make_project):
    # no step timeout: the step may take what is left of the run (10 min); the browser call's own limit
    # (the longer of the two browser timeouts, plus 10 s) stops it, and that is not the run's time limit
    root = make_project("""
    robots:
      stuck:
        items: [hangs, works]
        retry: {attempts: 1, backoff: 0s}
        browser: {timeout: 1s, navigation_timeout: 1s}
        steps:
          - browser.goto: "data:text/html,<h1>Legacy</h1>"
          - id: answer
            browser.evaluate: "{{ 'new Promise(() => {})' if item == 'hangs' else '6 * 7' }}"
    """)
    loaded = load_project(root)
    run = run_embedded(loaded, "stuck", {})
    assert run["status"] == "partial"
    items = {i["key"]: i for i in projects.ledger_for(loaded).run_items(run["id"])}
    assert (items["hangs"]["status"], items["hangs"]["error_kind"]) == ("failed", "timeout")
    assert "the browser call took longer than its time limit of 11s" in items["hangs"]["error_message"]
    assert items["works"]["status"] == "succeeded" and items["works"]["output"] == 42
