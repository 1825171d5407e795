"""One error tree with one root.

RetakeError
 ├── ConfigError        a robot or schedule file is wrong: nothing starts (exit 2)
 ├── InputError         a run's inputs are wrong: the run does not start (exit 2)
 ├── BusinessError      the data is wrong: the item fails at once and is never retried
 │    └── DocumentError a document is corrupt, encrypted, empty or lacks required fields
 └── ApplicationError   the system misbehaved (timeout, page did not load): retried
      └── StepTimeout   a step went past its time limit (retried)
           └── RunTimeout  the whole run went past its time limit (never retried)
 Cancelled              (also under RetakeError) the run was cancelled
"""

from __future__ import annotations

from dataclasses import dataclass


class RetakeError(Exception):
    """Root of every error Retake raises on purpose."""

    kind = "error"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a project file, with where it is and what to do."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ConfigError(RetakeError):
    kind = "config"

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("robots.yaml", 1, 1, problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InputError(RetakeError):
    kind = "input"


class BusinessError(RetakeError):
    """Bad data: never retried. `file` names the document at fault where there is one."""

    kind = "business"

    def __init__(self, message: str, *, file: str | None = None, step: str | None = None):
        self.file = file
        self.step = step
        super().__init__(message)


class DocumentError(BusinessError):
    """A document cannot be used: `reason` is missing, corrupt, encrypted, empty or fields; `fields` the missing."""

    def __init__(self, message: str, *, file: str, reason: str, fields: list[str] | None = None):
        self.reason = reason
        self.fields = list(fields or [])
        super().__init__(message, file=file)


class ApplicationError(RetakeError):
    """The application or the machine failed: worth another attempt."""

    kind = "application"


class ResourceLost(ApplicationError):
    """A resource the item was using went away (the browser crashed, a connection dropped): the state the
    earlier steps built is gone with it, so the item starts again from its first step, not the step."""


class ItemRestart(ResourceLost):
    """A `fail` step with `retry: true`: the page says the application failed (a system error after a
    save), so the item starts again from its first step, as for a lost resource."""


class OutcomeUnknown(ApplicationError):
    """An outside call that may have been done (a POST that got no answer): an application failure, but not
    tried again, since trying could do it twice (a second order)."""


class StepTimeout(ApplicationError):
    kind = "timeout"


class ResourceTimeout(StepTimeout, ResourceLost):
    """A step went past its time limit inside a library that cannot be interrupted safely (Playwright):
    the resource it waited on was stopped instead, so the item starts again from its first step."""


class RunTimeout(StepTimeout):
    """The run as a whole went past its `timeout`: the item stops, the run is closed; not retried."""


class Cancelled(RetakeError):
    kind = "cancelled"


def error_kind(exc: BaseException) -> str:
    """The ledger's name for an exception: business, application, timeout, cancelled, ..."""
    if isinstance(exc, RetakeError):
        return exc.kind
    if isinstance(exc, TimeoutError):
        return "timeout"
    return "application"


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, Exception):  # SystemExit, KeyboardInterrupt: the process is going away
        return False
    return not isinstance(exc, (BusinessError, ConfigError, InputError, Cancelled, RunTimeout, OutcomeUnknown))
