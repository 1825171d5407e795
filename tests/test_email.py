"""email.send through a real local SMTP server (aiosmtpd): recipients, subject, text and HTML, attachments,
refused recipients as business failures, an unreachable server as an application failure."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from robot_support import run

REFUSED = "nobody@example.com"
GREYLISTED = "later@example.com"


class Mailbox:
    """Keeps what arrives; refuses REFUSED as an unknown user, as a real server would."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == REFUSED:
            return "550 5.1.1 no such user here"
        if address == GREYLISTED:
            return "450 4.2.0 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(monkeypatch) -> Mailbox:
    from aiosmtpd.controller import Controller

    handler = Mailbox()
    port = handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("RETAKE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RETAKE_SMTP_PORT", str(port))
    monkeypatch.setenv("RETAKE_SMTP_FROM", "robots@example.com")
    yield handler
    controller.stop()



def test_a_message_arrives_with_its_recipients_subject_body_and_attachments(make_project, embedded, mailbox) -> None:
    root = make_project("""\
        robots:
          notify:
            items: [{number: INV-7, vendor: ACME, email: ap@acme.example}]
            steps:
              - id: sent
                email.send:
                  to: "{{ item.email }}"
                  cc: "boss@example.com, audit@example.com"
                  bcc: [archive@example.com]
                  subject: "Invoice {{ item.number }} paid"
                  from: "Accounts Payable <ap-robot@example.com>"
                  body: "Dear {{ item.vendor }},\\nyour invoice {{ item.number }} is paid."
                  html: "<p>Invoice <b>{{ item.number }}</b> is paid.</p>"
                  attachments: ["out/{{ item.number }}.pdf", data/견적서.csv]
        """, files={"out/INV-7.pdf": "%PDF-1.4 receipt", "data/견적서.csv": "품목,금액\n종이,1000\n"})
    record, items, _, _ = run(root, "notify")
    assert record["status"] == "succeeded", items[0]["error_message"]
    assert len(mailbox.messages) == 1
    sender, recipients, message = mailbox.messages[0]
    assert sender == "ap-robot@example.com"
    assert message["From"] == "Accounts Payable <ap-robot@example.com>"
    assert message["Message-ID"].endswith("@example.com>")
    assert recipients == ["ap@acme.example", "boss@example.com", "audit@example.com", "archive@example.com"]
    assert message["To"] == "ap@acme.example"
    assert message["Cc"] == "boss@example.com, audit@example.com"
    assert message["Bcc"] is None  # bcc receives it without being shown
    assert message["Subject"] == "Invoice INV-7 paid"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.strip() == "Dear ACME,\nyour invoice INV-7 is paid."
    assert "<b>INV-7</b>" in message.get_body(("html",)).get_content()
    attached = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
    assert attached == {"INV-7.pdf": b"%PDF-1.4 receipt", "견적서.csv": "품목,금액\n종이,1000\n".encode()}
    assert message.get_content_type() == "multipart/mixed"
    out = items[0]["output"]
    assert out["message_id"] == message["Message-ID"]
    assert out["attachments"] == ["out/INV-7.pdf", "data/견적서.csv"]


def test_a_refused_recipient_is_a_business_failure_and_a_try_later_is_retried(
        make_project, embedded, mailbox) -> None:
    root = make_project(f"""\
        robots:
          bounce:
            items: [all, some, later]
            steps:
              - email.send:
                  to: "{{{{ {{'all': '{REFUSED}', 'some': ['ok@example.com', '{REFUSED}'], 'later': '{GREYLISTED}'}}[item] }}}}"
                  subject: "For {{{{ item }}}}"
        """)
    record, items, ledger, _ = run(root, "bounce")
    by_key = {i["key"]: i for i in items}
    assert by_key["all"]["error_kind"] == "business"
    assert by_key["all"]["error_message"] == (f"email.send: SMTP server 127.0.0.1:{mailbox.port} refused every "
                                              f"recipient: {REFUSED} (550 5.1.1 no such user here)")
    assert by_key["some"]["error_kind"] == "business"
    assert by_key["some"]["error_message"].startswith("email.send: sent to ok@example.com, but SMTP server")
    assert by_key["later"]["error_kind"] == "application"
    assert "450 4.2.0 greylisted" in by_key["later"]["error_message"]
    assert len(ledger.attempts_for(record["id"])) == 1 + 1 + 3
    assert [(m[1], m[2]["Subject"]) for m in mailbox.messages] == [(["ok@example.com"], "For some")]


def test_a_server_that_cannot_be_reached_is_an_application_failure(make_project, embedded, monkeypatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "pw-1a2b3c4d5e")
    root = make_project(f"""\
        robots:
          offline:
            secrets: [SMTP_PASSWORD]
            steps:
              - email.send:
                  to: a@example.com
                  subject: hi
                  smtp: {{host: 127.0.0.1, port: {free_port()}, username: robot,
                          password: "{{{{ secrets.SMTP_PASSWORD }}}}", timeout: 2s}}
        """)
    record, items, ledger, _ = run(root, "offline")
    assert items[0]["error_kind"] == "application"
    assert "could not reach SMTP server 127.0.0.1:" in items[0]["error_message"]
    assert len(ledger.attempts_for(record["id"])) == 3


def test_a_missing_attachment_names_the_file(make_project, embedded, mailbox) -> None:
    root = make_project("""\
        robots:
          lost:
            steps:
              - email.send: {to: a@example.com, subject: hi, attachments: out/missing.pdf}
        """)
    _, items, _, _ = run(root, "lost")
    assert items[0]["error_kind"] == "business"
    assert items[0]["error_message"] == "email.send: out/missing.pdf: no such file to attach"
    assert mailbox.messages == []
