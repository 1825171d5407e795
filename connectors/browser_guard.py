"""Playwright's failures as Retake's, and limits on browser calls that get no answer.

`guard` turns Playwright's errors into Retake's: a timeout or a refused action is an application error
(the step is retried), whose message names the page, says when the element was there but disabled, and
when the page is a login form (the session may have expired: then, unless the step is the login itself,
the item starts again from its first step, `SessionExpired`); a crashed or closed browser is a lost
resource (the item starts again in a fresh browser); a site refusing the robot's HTTP authentication is a
configuration error at the step's line (`sign_in_checked`). `interruptible` makes a time limit stop the
thread's Playwright driver instead of raising into the middle of a call (see orchestrator/timeouts.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
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
# a login form: a password field showing, in a form (or page) of few fields (user, password, perhaps a code).
# It throws when there is none, so that waiting for it ends at once either way (the wait's timeout then only
# ends the wait on a page too busy to answer).
LOGIN_FORM = """() => { const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const typed = el => !['hidden', 'submit', 'button', 'image', 'reset', 'checkbox', 'radio'].includes(el.type);
  if ([...document.querySelectorAll('input[type=password]')].some(pw => shown(pw)
    && [...(pw.form || document).querySelectorAll('input, select, textarea')].filter(el => typed(el) && shown(el))
      .length <= 4)) return true;
  throw new Error('no login form'); }"""
LOGIN_CHECK_S, LOGIN_CHECK_FRAMES = 1.5, 10  # looking for a login form after a timeout: at most so long, so many frames
SECRETS_USED = re.compile(r"\{\{[^}]*\bsecrets\b")  # a step argument that types one of the robot's secrets


class SessionExpired(ResourceLost):
    """The page a step worked on was replaced by a login form (or another page): the application ended the
    session and sent the browser there. Trying the step again on that page never helps, so the item starts
    again from its first step, where robots log in, as for a lost resource (within the robot's
    `retry.attempts`); the browser and its context stay, unlike after a crash."""


def expects_login(ctx: Any) -> bool:
    """Whether the step being run is a login: one that types one of the robot's secrets
    (`{{ secrets.ERP_PASSWORD }}`). A login form is where such a step should be, so its failure there is
    the step's own (retried as usual), not an ended session."""
    step = getattr(ctx, "step", None)
    return step is not None and bool(SECRETS_USED.search(repr(step.args)))


def on_login_page(ctx: Any, message: str, hint: str) -> ApplicationError:
    """The error of a step whose element never came, `hint` saying whether the page is a login form
    (`login_hint`): on a login form the step did not expect, `SessionExpired` (the item starts again);
    else an application error (the step is retried)."""
    return (SessionExpired if hint and not expects_login(ctx) else ApplicationError)(f"{message}{hint}")


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
    except SessionExpired:
        raise  # (the browser is fine: only the application's session ended)
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
            where = f" (page {_url(browser)})"
            if "intercepts pointer events" in str(exc):
                cover = next(line.strip(" -") for line in str(exc).splitlines() if "intercepts pointer" in line)
                raise ApplicationError(f"{what}: timed out after {waited:g}s: the element is covered ({cover[:160]})"
                                       f"{where}: a dialog or overlay drawn by the page; close it first (browser.click"
                                       " on its button), or wait for it to go (browser.wait_for: {locator: ..., "
                                       "state: hidden})") from None
            state = unusable(exc)
            if state is not None:
                why = ("a page often keeps a button or field disabled until the form's other fields are filled or "
                       "a box is ticked: do that first" if state == "disabled" else
                       "the page does not let it be typed into: leave it out, or check this is the right form")
                raise ApplicationError(f"{what}: timed out after {waited:g}s: the element is {state} and stayed so "
                                       f"({message}){where}; {why}") from None
            hint = login_hint(ctx, browser) if _never_found(str(exc)) else ""
            raise on_login_page(ctx, f"{what}: timed out after {waited:g}s: {message}{where}", hint) from None
        text = str(exc).lower()
        if browser.crashed or any(word in text for word in CRASH_WORDS):
            browser.crashed = True
            ctx.session.drop_resource("browser")  # the next try opens a new context
            if "browser" in text or "connection closed" in text:
                browser_launch.discard_browser()  # ... in a new browser when the process is gone
            raise ResourceLost(f"{what}: the browser crashed or was closed ({message}); the item starts again "
                               "in a fresh browser") from None
        if "err_invalid_auth_credentials" in text:
            raise sign_in_error(ctx, browser, what) from None
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
    """A configuration error pointing at the step being run (its file and line), else at the robot (in its
    own file, which may not be robots.yaml); not retried."""
    session, step = ctx.session, ctx.step
    path: tuple[Any, ...] = ()
    for section in ("steps", "on_failure"):
        for i, candidate in enumerate(getattr(session.robot, section, None) or []):
            if step is not None and candidate is step and not path:
                path = (section, i, step.action)
    try:
        return ConfigError([session.project.problem("robots", session.robot_name, path, message)])
    except (KeyError, AttributeError):
        return ConfigError(message)


def sign_in_error(ctx: Any, browser: Any, what: str) -> ConfigError:
    """The site wants HTTP authentication (the browser's own sign-in box) and has none, or refused it."""
    if getattr(browser, "username", None) is None:
        return located(ctx, f"{what}: the site asks for a user name and password (HTTP authentication) and none "
                            "were given: set the robot's browser.http_credentials from secrets")
    return located(ctx, f"{what}: the site refused the user name and password of the robot's browser."
                        f"http_credentials (HTTP 401 for user {browser.username!r}): check the secrets they come "
                        "from; not retried, as a wrong password sent again may lock the account")


@contextmanager
def sign_in_checked(ctx: Any, browser: Any, what: str) -> Iterator[Callable[[Any], Any]]:
    """Around a navigation: the page answered "401" with an authentication challenge although the robot
    has `http_credentials` (they were sent and refused) is a configuration error, not a page to work on.
    Yields the check of the navigation's response; a page answering 401 without a body fails the
    navigation itself, so the page's responses are watched meanwhile."""
    page, refused = browser.page, []

    def check(response: Any) -> Any:
        if response is not None and response.status == 401 and "www-authenticate" in response.headers:
            raise sign_in_error(ctx, browser, what)
        return response

    def seen(response: Any) -> None:
        try:
            if response.status == 401 and "www-authenticate" in response.headers and response.frame == page.main_frame:
                refused.append(response)
        except Exception:  # noqa: BLE001, S110 - a service worker's request has no frame
            pass

    if getattr(browser, "username", None) is None:
        yield check
        return
    page.on("response", seen)
    try:
        yield check
    except RetakeError:
        raise
    except Exception:
        if refused:
            raise sign_in_error(ctx, browser, what) from None
        raise
    finally:
        page.remove_listener("response", seen)


def unusable(exc: BaseException) -> str | None:
    """`disabled` or `read-only` when Playwright's timeout was spent waiting for the element to become
    enabled or editable (its call log says so last), else None."""
    if type(exc).__name__ != "TimeoutError":
        return None
    text = str(exc)
    states = {"disabled": text.rfind("element is not enabled"), "read-only": text.rfind("element is not editable")}
    last = max(states, key=lambda state: states[state])
    others = max(text.rfind("element is not visible"), text.rfind("element is not stable"))
    return last if states[last] > others else None


def _never_found(text: str) -> bool:
    """Playwright waited for an element (or a URL) that never came, rather than for one it had found."""
    return "waiting for" in text and "resolved to" not in text


def _url(browser: Any) -> str:
    try:
        return browser.page.url
    except Exception:  # noqa: BLE001 - a page gone with its browser
        return "?"


def login_hint(ctx: Any, browser: Any) -> str:
    """When the page (or one of its frames) shows a login form: the application may have ended the session
    and sent the robot there, where the step's element is not. A few short checks, each bounded by
    Playwright's own timeout (a page busy in a script does not answer at all), within a third of the time
    the step's own limit leaves after Playwright's timeout (`BrowserSession.timeout_ms`)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    session = ctx.session
    limit = (ctx.step.timeout if ctx.step is not None else None) or session.robot.step_timeout \
        or session.project.spec.defaults.step_timeout
    budget = min(LOGIN_CHECK_S, min(1.0, limit * 0.2) / 3) if limit else LOGIN_CHECK_S
    if budget < 0.25:  # (a short step: no time to spare before its limit stops the browser)
        return ""
    deadline = time.monotonic() + budget
    try:
        page = browser.page
        for frame in page.frames[:LOGIN_CHECK_FRAMES]:
            try:
                frame.wait_for_function(LOGIN_FORM, timeout=max(1.0, (deadline - time.monotonic()) * 1000))
            except PlaywrightTimeout:
                return ""  # a page too busy to answer
            except PlaywrightError:
                continue  # no login form in this frame (or it went away)
            where = "the page" if frame == page.main_frame else f"its frame {frame.url}"
            return f"; {where} is a login form: the session may have expired"
    except Exception:  # noqa: BLE001 - only a hint: never in the way of the error itself
        return ""
    return ""
