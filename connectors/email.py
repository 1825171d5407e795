"""E-mail: `email.send` through SMTP (the server alerts use: RETAKE_SMTP_* or the step's `smtp:`).

One connection per message: SMTP servers drop idle connections, and a message is seconds of work for a
person, milliseconds here. A recipient or sender the server refuses, or a message it rejects for good
(5xx), is a business error; a server that cannot be reached or answers "try later" (4xx) is an
application error (retried). The password never appears in messages. docs/actions/email.md is the manual.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.actions import action
from orchestrator.durations import parse_duration
from orchestrator.errors import ApplicationError, BusinessError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Smtp(Strict):
    host: str | None = Field(None, description="Default RETAKE_SMTP_HOST, else localhost.")
    port: int | None = Field(None, description="Default RETAKE_SMTP_PORT, else 25 (465 with ssl).")
    username: str | None = Field(None, description="Default RETAKE_SMTP_USER; none: no login.")
    password: str | None = Field(None, description='Default RETAKE_SMTP_PASSWORD; use "{{ secrets.X }}".')
    starttls: bool | None = Field(None, description="Default RETAKE_SMTP_STARTTLS=1.")
    ssl: bool | None = Field(None, description="Default RETAKE_SMTP_SSL=1 (TLS from the start, port 465).")
    timeout: Any = Field("30s", description="A duration.")


def _addresses(value: Any) -> list[str]:
    """One address, a comma-separated text, or a list."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(a).strip() for a in items if str(a).strip()]


class SendArgs(Strict):
    to: list[str] = Field(description="One address, several separated by commas, or a list.")
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list, description="Receive the message without being shown.")
    subject: str
    body: str = Field("", description="The text of the message.")
    html: str | None = Field(None, description="An HTML version (mail programs show it; `body` is the fallback).")
    attachments: list[str] = Field(default_factory=list, description="Project paths of files to attach (one or a list).")
    from_: str | None = Field(None, alias="from", description="Default RETAKE_SMTP_FROM.")
    reply_to: str | None = None
    smtp: Smtp = Field(default_factory=Smtp)

    @field_validator("to", "cc", "bcc", mode="before")
    @classmethod
    def _split(cls, value: Any) -> list[str]:
        return _addresses(value)

    @field_validator("attachments", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value or []

    @model_validator(mode="after")
    def _someone(self) -> SendArgs:
        if not self.to:
            raise ValueError("`to:` names no recipient")
        return self


@action("email.send", args=SendArgs, effect=True)
def email_send(ctx, args: SendArgs) -> dict[str, Any]:
    """Send an e-mail through SMTP: `email.send: {to: a@example.com, subject: Hi, body: "...", attachments: [x.pdf]}`.

    Output: {message_id, to, cc, bcc, subject, attachments}. *effect*: not sent twice for a redelivered item."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid, parseaddr

    from orchestrator.smtp import smtp_connection, smtp_settings

    try:
        timeout = parse_duration(args.smtp.timeout)
    except ValueError as exc:
        raise BusinessError(f"email.send: smtp.timeout: {exc}") from None
    settings = smtp_settings(host=args.smtp.host, port=args.smtp.port, username=args.smtp.username,
                             password=args.smtp.password, starttls=args.smtp.starttls, ssl=args.smtp.ssl,
                             sender=args.from_, timeout=timeout)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, ", ".join(args.to), args.subject
    if args.cc:
        message["Cc"] = ", ".join(args.cc)
    if args.reply_to:
        message["Reply-To"] = args.reply_to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].rpartition("@")[2] or None)
    message.set_content(args.body)
    if args.html is not None:
        message.add_alternative(args.html, subtype="html")
    attached = [_attach(ctx, message, path) for path in args.attachments]
    recipients = args.to + args.cc + args.bcc
    server = f"SMTP server {settings.host}:{settings.port}"
    try:
        with smtp_connection(settings) as smtp:
            refused = smtp.send_message(message, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        later = all(code < 500 for code, _ in exc.recipients.values())  # 4xx: greylisting, a full mailbox
        raise (ApplicationError if later else BusinessError)(
            f"email.send: {server} refused every recipient: {_refusals(exc.recipients)}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise BusinessError(f"email.send: {server} refused the sender {exc.sender}: {_reply(exc)}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise BusinessError(f"email.send: {server} refused the login of {settings.username!r}: {_reply(exc)}; "
                            "check smtp.username and smtp.password (or RETAKE_SMTP_USER/PASSWORD)") from None
    except smtplib.SMTPConnectError as exc:
        raise ApplicationError(f"email.send: {server} did not accept a connection: {_reply(exc)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise BusinessError(f"email.send: {server}: {exc} (check smtp.starttls / smtp.ssl)") from None
    except smtplib.SMTPResponseException as exc:
        error = BusinessError if exc.smtp_code >= 500 else ApplicationError
        raise error(f"email.send: {server} answered {exc.smtp_code}: {_reply(exc)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ApplicationError(f"email.send: could not reach {server} ({type(exc).__name__}: {exc})") from None
    if refused:
        delivered = [r for r in recipients if r not in refused]
        raise BusinessError(f"email.send: sent to {', '.join(delivered)}, but {server} refused "
                            f"{_refusals(refused)}")
    if ctx.log is not None:
        ctx.log.info(f"e-mail {args.subject!r} sent to {len(recipients)} recipient(s)")
    return {"message_id": message["Message-ID"], "to": args.to, "cc": args.cc, "bcc": args.bcc,
            "subject": args.subject, "attachments": attached}


def _attach(ctx, message: Any, path: str) -> str:
    target = ctx.resolve(path)
    if not target.is_file():
        raise BusinessError(f"email.send: {path}: no such file to attach", file=path)
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    maintype, subtype = kind.split("/", 1)
    message.add_attachment(target.read_bytes(), maintype=maintype, subtype=subtype, filename=target.name)
    return ctx.session.relative(target)


def _reply(exc: Any) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return " ".join(text.split())


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply})"
                     for address, (code, reply) in refused.items())
