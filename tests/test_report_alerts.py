"""Alerts a robot declares, sent to a real local webhook and a real local SMTP server, and the daily digest."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROBOTS = """\
robots:
  flaky:
    manual_minutes: 3
    sla: 10ms
    items: [1, 2, 3, 4]
    alerts:
      on_failure: true
      success_rate_below: 90%%
      window: 5
      webhook: ${HOOK_URL}
      email: [ops@example.com, lead@example.com]
    steps:
      - if: "{{ item == 2 }}"
        fail: "item {{ item }} has no amount"
      - sleep: 20ms
  quiet:
    manual_minutes: 1
    alerts: {webhook: "%s", on_failure: true}
    steps: [{log: fine}]
"""


class Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


@pytest.fixture
def webhook(monkeypatch) -> str:  # noqa: ANN001
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    monkeypatch.setenv("HOOK_URL", url)
    yield url
    server.shutdown()


@pytest.fixture
def mailbox(monkeypatch) -> list:  # noqa: ANN001
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("RETAKE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RETAKE_SMTP_PORT", str(port))
    monkeypatch.setenv("RETAKE_SMTP_FROM", "robots@example.com")
    yield handler.messages
    controller.stop()


@pytest.fixture
def project(make_project, embedded, webhook, mailbox):  # noqa: ANN001
    from orchestrator.loader import load_project

    return load_project(make_project(ROBOTS % webhook))


def wait_for_events(count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(Hook.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_failed_run_alerts_once_by_webhook_and_email(project, webhook, mailbox) -> None:  # noqa: ANN001
    from orchestrator.alerts import on_run_finished, run_finished
    from orchestrator.submit import run_embedded

    assert run_finished is on_run_finished  # the name the fleet's end-of-run hook calls
    run = run_embedded(project, "flaky", {})
    assert run["status"] == "partial"
    sent = on_run_finished(project, run)  # what the end-of-run hook does; it may have done it already
    assert all(not s["errors"] for s in sent)
    wait_for_events(3)
    assert sorted(body["event"] for body in Hook.received) == ["failure", "sla", "success_rate"]
    failure = next(body for body in Hook.received if body["event"] == "failure")
    assert failure["run_id"] == run["id"] and failure["status"] == "partial"
    assert "1 of 4 item(s) failed" in failure["text"] and "item 2 has no amount" in failure["text"]
    rate = next(body for body in Hook.received if body["event"] == "success_rate")
    assert "75.0%" in rate["text"] and "under 90%" in rate["text"]
    assert "longer than its SLA" in next(b for b in Hook.received if b["event"] == "sla")["text"]
    deadline = time.monotonic() + 10
    while len(mailbox) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    recipients = sorted(r for to, _ in mailbox for r in to)
    assert recipients == sorted(["ops@example.com", "lead@example.com"] * 3)
    import email

    subjects = [" ".join(email.message_from_string(text)["Subject"].split()) for _, text in mailbox]
    assert any(s.startswith(f"[retake] flaky: run {run['id']} partial") for s in subjects), subjects
    assert on_run_finished(project, run) == []  # called again: nothing is sent twice
    assert on_run_finished(project, {"run_id": run["id"], "status": "partial", "robot": "flaky"}) == []
    time.sleep(0.1)
    assert (len(Hook.received), len(mailbox)) == (3, 6)


def test_a_successful_run_sends_nothing_and_a_broken_channel_is_recorded(project, webhook) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from orchestrator import projects
    from orchestrator.alerts import on_run_finished
    from orchestrator.submit import run_embedded
    from orchestrator.web.tables import alerts_sent

    run = run_embedded(project, "quiet", {})
    assert run["status"] == "succeeded" and on_run_finished(project, run) == []
    failed = {**run, "status": "failed", "id": "fake-failed-run"}
    sent = on_run_finished(project, {**failed, "robot": "quiet"})
    assert sent[0]["kind"] == "failure" and not sent[0]["errors"]
    Hook.received.clear()
    project.spec.robots["quiet"].alerts.webhook = "http://127.0.0.1:9/nowhere"
    sent = on_run_finished(project, {**failed, "id": "another-failed-run"})
    assert sent[0]["errors"] and "webhook" in sent[0]["errors"][0]
    with projects.ledger_for(project).engine.connect() as conn:
        row = conn.execute(select(alerts_sent).where(alerts_sent.c.subject == "another-failed-run")).one()
    assert row.ok is False and "nowhere" not in row.channels  # webhook paths are secrets: only the host is kept


def test_the_daily_digest_sums_up_one_local_day(project, webhook, mailbox) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from orchestrator.cli import _register, app
    from orchestrator.submit import run_embedded

    run_embedded(project, "flaky", {})
    run_embedded(project, "quiet", {})
    _register()
    result = CliRunner().invoke(app, ["digest", "--date", "today", "--send", "--project", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "- flaky: 1 run(s), 3 item(s) ok, 1 failed, success 75.0%" in result.stdout
    assert "- quiet: 1 run(s), 1 item(s) ok" in result.stdout
    assert "failing: flaky / business / fail: 1 item(s) (item 2 has no amount)" in result.stdout
    assert "sent to 3 channel(s)" in result.stdout  # one webhook (flaky's and quiet's are the same URL), 2 mails
    digests = [b for b in Hook.received if b["event"] == "digest"]
    assert len(digests) == 1 and digests[0]["total"]["items_succeeded"] == 4
    again = CliRunner().invoke(app, ["digest", "--date", "today", "--send", "--project", str(project.root)])
    assert "sent to 0 channel(s)" in again.stdout


@pytest.mark.parametrize(("alerts", "message"), [
    ("{success_rate_below: 1.5}", "success_rate_below"),
    ("{webhook: ftp://example.com}", "http:// or https://"),
    ("{email: [not-an-address]}", "not an e-mail address"),
    ("{on_fail: true}", "unknown key 'on_fail'"),
])
def test_bad_alerts_are_reported_with_their_line(make_project, alerts: str, message: str) -> None:  # noqa: ANN001
    from orchestrator.errors import ConfigError
    from orchestrator.loader import load_project

    root: Path = make_project(f"robots:\n  r:\n    alerts: {alerts}\n    steps: [{{log: hi}}]\n")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    problem = caught.value.problems[0]
    assert problem.file == "robots.yaml" and problem.line == 9 and message in problem.message


def test_a_run_still_going_past_its_sla_is_reported_once(project, webhook) -> None:  # noqa: ANN001
    import datetime as dt

    from orchestrator import projects
    from orchestrator.alerts import check_overdue, on_run_finished

    ledger = projects.ledger_for(project)
    run_id = ledger.create_run(robot="flaky", project="test-project", inputs={}, manual_minutes=3,
                               exception_minutes=0)
    ledger.start_run(run_id, [("1", 1)])
    time.sleep(0.05)
    assert check_overdue(project)[0]["kind"] == "sla"  # the SLA is 10 ms: it is already past
    assert "has been running for" in Hook.received[-1]["text"] and Hook.received[-1]["run_id"] == run_id
    assert check_overdue(project) == []
    finished = {**ledger.get_run(run_id), "status": "succeeded", "duration_s": 5.0,
                "finished_at": dt.datetime.now(dt.UTC)}
    assert [s["kind"] for s in on_run_finished(project, finished)] == []  # the SLA alert went out already
