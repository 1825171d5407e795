"""Which failed HTTP calls are tried again, and how long to wait first.

Retrying is only safe when a second request cannot do the work twice. A POST that timed out may have
created its record all the same (the server was slow, not down): sending it again created a second one.
So a request that changes something and whose outcome is unknown (no answer in time, a connection dropped
after the request went out, 502 or 504 from a gateway) is sent again only when it carries an
`Idempotency-Key` (the server then does the work once) or its method is idempotent by HTTP's rules; else
the item fails and says why. A request that never left (no connection), and 408, 429 and 503 (the server
says it did not do it), are retried as before; for 429 and 503 not before the server's `Retry-After`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
import urllib.parse
from typing import Any

from orchestrator.errors import ApplicationError, BusinessError, OutcomeUnknown

# Sending these again does no more than sending them once (RFC 9110 9.2.2): their retries are safe.
IDEMPOTENT_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
# A gateway's answer: the request may have reached the server and been done there.
UNKNOWN_STATUSES = (502, 504)
# The server says it did not do the request, and may say when to try again (Retry-After).
TRY_LATER_STATUSES = (408, 429, 503)
RETRY_AFTER_CAP = 300.0
EXCERPT = 200  # characters of a refused answer's body in its message  # the longest wait a server's Retry-After gets (unless the retry policy allows more)


class TryLater(ApplicationError):
    """A 408, 429 or 503: retried; `retry_after` is the wait the server asked for (seconds, capped), which
    the runner's wait before the next try is at least."""

    def __init__(self, message: str, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)


def has_idempotency_key(headers: Any) -> bool:
    return any(str(name).lower() == "idempotency-key" for name in headers)


def repeatable(method: str, headers: Any) -> bool:
    """May this request be sent again when nobody knows whether the first one was done?"""
    return method.upper() in IDEMPOTENT_METHODS or has_idempotency_key(headers)


def unknown_outcome(request: Any, message: str) -> ApplicationError | OutcomeUnknown:
    """The error for a request that may have been done: retried when repeating it is safe, else not."""
    if repeatable(request.method, request.headers):
        return ApplicationError(message)
    return OutcomeUnknown(
        f"{message}; the server may have done it, so it is not sent again: check whether it was done, then "
        "`retake rerun` the run if not. To let Retake retry such a call safely, send an Idempotency-Key the API "
        "honours (`idempotency_key: true`, or `headers: {Idempotency-Key: ...}` with a value unique to the item)")


def refused(response: Any, where: str, accepted: list[int] | None, longest: float, body: str) -> Exception:
    """The error for a status outside `expect`, its message ending with the start of `body`: retried when
    the server failed or asks to try later (a change that may have been done: only when repeating it is
    safe), else a business error."""
    status = response.status_code
    detail = f"{where} answered {status} {response.reason_phrase}"
    excerpt = " ".join(body.split())[:EXCERPT]
    detail += f": {excerpt}" if excerpt else ""
    if status in TRY_LATER_STATUSES:
        return try_later(detail, response.headers, longest)
    if status in UNKNOWN_STATUSES:
        return unknown_outcome(response.request, detail)
    if status >= 500:
        return ApplicationError(detail)
    wanted = ", ".join(map(str, accepted)) if accepted is not None else "2xx"
    return BusinessError(f"{detail} (expected {wanted})")


def try_later(message: str, headers: Any, longest: float) -> TryLater:
    """A 408/429/503 error carrying the server's Retry-After, capped at `longest` seconds."""
    asked = retry_after(headers.get("retry-after"))
    if asked is None:
        return TryLater(message)
    wait = min(asked, longest)
    note = f"Retry-After {asked:g}s" + (f", waiting {wait:g}s at most" if wait < asked else "")
    return TryLater(f"{message} ({note})", wait)


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds, or an HTTP date; None when absent or
    unreadable (the robot's own backoff applies then)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def longest_wait(ctx: Any) -> float:
    """The cap on a Retry-After: 5 minutes, or the step's retry policy's `max_backoff` when longer."""
    session = ctx.session
    step_retry = getattr(ctx.step, "retry", None)
    policy = step_retry or session.robot.retry or session.project.spec.defaults.retry
    return max(RETRY_AFTER_CAP, float(policy.max_backoff))


def idempotency_key(ctx: Any) -> str:
    """`<first run id>-<item key>-<step>`: the same for every try of the step, for the item started again,
    redelivered after a crash, and for the item in a `retake rerun` (a new run, which takes the id of the
    run it repeats: the first of the chain), so the server does the work once; different in another run."""
    step = ctx.step
    position = f"step{_position(ctx.session.robot, step)}" if step is not None else "step"
    value = f"{first_run_id(ctx.session)}-{ctx.key}-{getattr(step, 'id', None) or position}"
    quoted = urllib.parse.quote(value, safe="-._~:")  # a header value is ASCII; a Korean item key is quoted
    return quoted if len(quoted) <= 200 else f"{quoted[:150]}-{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _position(robot: Any, step: Any) -> str:
    """A step without an id by its place: 3 for the third step, f2 for the second `on_failure` step."""
    for prefix, steps in (("", robot.steps), ("f", robot.on_failure)):
        for index, candidate in enumerate(steps):
            if candidate is step:
                return f"{prefix}{index + 1}"
    return "0"


def first_run_id(session: Any) -> str:
    """The id of the run a rerun (of a rerun...) repeats; the run's own id for a run that is not a rerun."""
    if not getattr(session, "rerun", False):
        return session.run_id
    if session.run_id in _first_runs:
        return _first_runs[session.run_id]
    from orchestrator import projects

    ledger = projects.ledger_for(session.project)
    run_id, seen = session.run_id, set()
    while run_id not in seen:
        seen.add(run_id)
        row = ledger.get_run(run_id)
        if not row or not row.get("parent_run_id"):
            break
        run_id = row["parent_run_id"]
    _first_runs[session.run_id] = run_id
    return run_id


_first_runs: dict[str, str] = {}  # a rerun's id -> the first run's (read once per rerun and process)
