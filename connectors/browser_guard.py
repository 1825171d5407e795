"""Playwright's failures as Retake's, and limits on browser calls that get no answer.

`guard` turns Playwright's errors into Retake's: a timeout or a refused action is an application error
(the step is retried); a crashed or closed browser is a lost resource (the item starts again in a fresh
browser). `interruptible` makes a time limit stop the thread's Playwright driver instead of raising into
the middle of a call (see orchestrator/timeouts.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors import browser_launch
from orchestrator.errors import ApplicationError, BusinessError, ConfigError, ResourceLost, RetakeError
from orchestrator.timeouts import interrupt_with, time_limit

CRASH_WORDS = ("has been closed", "crashed", "connection closed", "target closed", "browser has disconnected",
               "browser closed")  # compared in lower case
BAD_SELECTOR_WORDS = ("while parsing css selector", "while parsing selector", "is not a valid xpath expression",
                      "is not a valid selector")  # Playwright's and the page's words, in lower case
HANG_GRACE_S = 10.0  # a browser call unanswered this long after its own timeout is stopped
OPEN_LIMIT_S = 90.0  # launching a browser and opening a context; closing one


@contextmanager
def interruptible(limit_s: float) -> Iterator[None]:
    """Playwright calls of this thread: a time limit that passes stops the thread's driver (the call
    fails at once) rather than raising into the middle of the call, which would leave it stuck. Besides
    the step's own limit, a call gets `limit_s`: Playwright's timeouts end a normal wait long before, so
    this one only ends a call that gets no answer at all (seen after a browser crash, when Playwright
    loses the reply of the call under way)."""
    owner = threading.get_ident()
    with interrupt_with(lambda: browser_launch.stop_driver(owner)), time_limit(limit_s, "the browser call"):
        yield


@contextmanager
def guard(ctx: Any, browser: Any, what: str, *, timeout_ms: float | None = None) -> Iterator[None]:
    """Playwright's errors as Retake's: timeouts and crashes are application errors (retried)."""
    started = time.monotonic()
    try:
        # a click may wait for the next page as long as a navigation may take: the longer of the two
        longest = max(timeout_ms or 0.0, browser.options.navigation_timeout * 1000) / 1000
        with interruptible(longest + HANG_GRACE_S):
            yield
    except ResourceLost:  # a call stopped at its time limit (the driver went with it)
        browser.crashed = True
        ctx.session.drop_resource("browser")
        raise
    except RetakeError:
        raise
    except Exception as exc:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        if not isinstance(exc, PlaywrightError):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, PlaywrightTimeout):
            waited = (timeout_ms / 1000) if timeout_ms else time.monotonic() - started
            if "intercepts pointer events" in str(exc):
                cover = next(line.strip(" -") for line in str(exc).splitlines() if "intercepts pointer" in line)
                raise ApplicationError(f"{what}: timed out after {waited:g}s: the element is covered ({cover[:160]}):"
                                       " a dialog or overlay drawn by the page; close it first (browser.click on its"
                                       " button), or wait for it to go (browser.wait_for: {locator: ..., state: "
                                       "hidden})") from None
            raise ApplicationError(f"{what}: timed out after {waited:g}s: {message}") from None
        text = str(exc).lower()
        if browser.crashed or any(word in text for word in CRASH_WORDS):
            browser.crashed = True
            ctx.session.drop_resource("browser")  # the next try opens a new context
            if "browser" in text or "connection closed" in text:
                browser_launch.discard_browser()  # ... in a new browser when the process is gone
            raise ResourceLost(f"{what}: the browser crashed or was closed ({message}); the item starts again "
                               "in a fresh browser") from None
        if "err_invalid_auth_credentials" in text:
            raise ConfigError(f"{what}: the site asks for a user name and password (HTTP authentication) and "
                              "refused those given, or none were: set the robot's browser.http_credentials "
                              "from secrets") from None
        if "malformed value" in text or "cannot type text into input[type=number]" in text:
            raise BusinessError(f"{what}: the field refuses this value ({message}); check its format: dates "
                                "as YYYY-MM-DD, numbers without thousands separators") from None
        if any(words in text for words in BAD_SELECTOR_WORDS):
            raise located(ctx, f"{what}: the locator is not a valid selector and can never match ({message}); "
                          "fix it in the robot: CSS such as `a.btn`, `xpath=//a[@id='x']`, or {role: ..., name: ...}"
                          ) from None
        if "strict mode violation" in str(exc):
            raise ApplicationError(f"{what}: the locator matches more than one element ({message}); make it "
                                   "more precise: `exact: true` when its name is part of others' (Save, Save "
                                   "draft), `has_text:` or `within:`; `nth: 0` only when any of them will do"
                                   ) from None
        raise ApplicationError(f"{what}: {message}") from None


def located(ctx: Any, message: str) -> ConfigError:
    """A configuration error pointing at the step being run (its file and line), not retried."""
    session, step = ctx.session, ctx.step
    for section in ("steps", "on_failure"):
        for i, candidate in enumerate(getattr(session.robot, section, None) or []):
            if candidate is step:
                try:
                    return ConfigError([session.project.problem("robots", session.robot_name,
                                                                (section, i, step.action), message)])
                except (KeyError, AttributeError):
                    return ConfigError(message)
    return ConfigError(message)
