"""Browser actions (Playwright): navigate, click, fill, press, hover and waits.

Dropdowns, check boxes and uploads are in `browser_fields`, forms in `browser_fill_form`. Reading the page (text, attributes, tables), downloads, screenshots and PDFs are in `browser_read`.
Every action works on the run's page (one browser context per run, see `browser_session`); locators
are described in `browser_locators`. Playwright is imported only when a browser step runs.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from connectors import browser_forms, browser_locators
from connectors.browser_dialogs import DialogAnswer, answering
from connectors.browser_guard import guard, login_hint, on_login_page, sign_in_checked, unusable
from connectors.browser_session import SECRET_MARK, BrowserSession, open_browser
from orchestrator.actions import action
from orchestrator.errors import ApplicationError, BusinessError


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def _locator(value: Any) -> Any:
    return browser_locators.validate(value)


class Located(Args, browser_locators.InFrame):
    locator: Any

    _v = field_validator("locator")(_locator)

    @model_validator(mode="before")
    @classmethod
    def _inline_locator(cls, data: Any) -> Any:
        """`{label: Urgent, checked: false}`, `{role: button, name: Save, count: 2}`: the locator's keys
        written beside the action's own arguments, without `locator:`."""
        if not isinstance(data, dict) or "locator" in data or not any(k in browser_locators.KINDS for k in data):
            return data
        own = set(cls.model_fields) - {"locator"}
        spec = {k: v for k, v in data.items() if k not in own}
        return {**{k: v for k, v in data.items() if k in own}, "locator": spec}


def target(ctx: Any, browser: BrowserSession, spec: Any, what: str) -> Any:
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        try:
            return browser_locators.resolve(browser.page, spec, timeout_ms=timeout, what=what)
        except ApplicationError as exc:  # nothing matches: perhaps the session expired, on a login form
            hint = login_hint(ctx, browser) if type(exc) is ApplicationError else ""  # (not a time limit)
            if not hint:
                raise
            raise on_login_page(ctx, str(exc), hint) from None


class GotoArgs(Args):
    url: str
    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"


@action("browser.goto", args=GotoArgs, scalar="url")
def goto(ctx: Any, args: GotoArgs) -> dict[str, Any]:
    """Open a URL (relative to the robot's `browser.base_url`) in a freshly loaded page; returns {url, status,
    title}.

    `browser.goto: "{{ inputs.erp_url }}/invoices/new"`; after a redirect, `steps.ID.url` says where it landed."""
    url = open_browser(ctx).url(args.url)
    return _navigate(ctx, f"browser.goto {url}", lambda page, t: _load(page, url, args.wait_until, t))


def _load(page: Any, url: str, wait_until: Any, timeout_ms: float) -> Any:
    """`page.goto`, always to a newly loaded document. To the browser, a URL that differs from the page's
    only by its #hash, or is the same with a #hash, is a move inside the document: no request, no status,
    and the page's state kept (the last item's toast, its scripts' variables). Such a page is loaded again
    once there, so that every item starts on a fresh page with its HTTP status."""
    started, before = time.monotonic(), page.url
    response = page.goto(url, wait_until=wait_until, timeout=timeout_ms)
    if response is None and _same_document(before, page.url):
        left = max(1000.0, timeout_ms - (time.monotonic() - started) * 1000)
        response = page.reload(wait_until=wait_until, timeout=left)
    return response


def _same_document(before: str, after: str) -> bool:
    """Two URLs of one document that can be loaded again (http, https, file): equal but for their #hash.
    (A data: or about: page has no status to give, loaded again or not.)"""
    from urllib.parse import urldefrag

    return after.startswith(("http://", "https://", "file:")) and urldefrag(before)[0] == urldefrag(after)[0]


class ClickArgs(Located):
    button: Literal["left", "right", "middle"] = "left"
    count: int = 1
    force: bool = False
    modifiers: list[Literal["Alt", "Control", "Meta", "Shift"]] = []
    dialog: DialogAnswer = None  # this step's dialogs: accept, dismiss, or the text to answer a prompt


@action("browser.click", args=ClickArgs, scalar="locator")
@answering
def click(ctx: Any, args: ClickArgs) -> str:
    """Click an element (waits until it is visible, enabled and still; when the click submits a form or
    follows a link, also until the next page has loaded); returns the page URL after.

    `browser.click: {role: button, name: Save}`"""
    browser = open_browser(ctx)
    what = f"browser.click {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    frames = args.locator.get("frame") if isinstance(args.locator, dict) else None
    frame = browser.frame_of(ctx, frames, what) if frames else None  # (asked after the click whether it leaves)
    with guard(ctx, browser, what, timeout_ms=timeout):
        browser.click_and_settle(loc, timeout=timeout, frame=frame, button=args.button, click_count=args.count,
                                 force=args.force, modifiers=args.modifiers or None)
        return browser.page.url


class FillArgs(Located):
    value: Any = ""
    typing: bool = False
    delay_ms: float = 0


def _fill(ctx: Any, browser: BrowserSession, loc: Any, value: Any, *, what: str, typing: bool = False,
          delay_ms: float = 0) -> None:
    text = browser_forms.to_text(value)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        if browser.is_secret(text):
            loc.evaluate("(el, mark) => { el.setAttribute(mark, ''); el.style.webkitTextSecurity = 'disc'; }",
                         SECRET_MARK, timeout=timeout)
        try:
            if typing:
                loc.fill("", timeout=timeout)
                loc.press_sequentially(text, delay=delay_ms, timeout=timeout)
            else:
                loc.fill(text, timeout=timeout)
        except Exception as exc:
            # a field the page keeps read-only or disabled all along (a field it may enable a moment later is
            # waited for): bad data or the wrong form, which another attempt would not change
            state = unusable(exc)
            if state is None:
                raise
            raise BusinessError(f"{what}: the field is {state} (it stayed so for {timeout / 1000:g}s, page "
                                f"{browser.page.url}): it cannot be typed into; leave it out, or check that the "
                                "robot is on the right form") from None
        value_of = "el => el.tagName === 'INPUT' && el.type !== 'file' ? el.value : null"
        if text and loc.evaluate(value_of, timeout=timeout) == "":
            iso, ambiguous = browser_forms.read_date(text)
            kind = loc.evaluate("el => el.type", timeout=timeout) if iso or ambiguous else None
            if kind == "date" and ambiguous:
                raise BusinessError(f"{what}: {ambiguous}")
            if kind == "date" and iso is not None:
                loc.fill(iso, timeout=timeout)  # a date input takes YYYY-MM-DD: 29/11/2026 goes in as that
            if loc.evaluate(value_of, timeout=timeout) == "":
                formats = browser_forms.DATE_FORMATS if kind == "date" else "YYYY-MM-DD"
                raise BusinessError(f"{what}: the field refuses {text!r} (it stayed empty); check its format: "
                                    f"dates as {formats}, numbers without thousands separators")


@action("browser.fill", args=FillArgs)
def fill(ctx: Any, args: FillArgs) -> None:
    """Type a value into a field (replacing what is there). `typing: true` sends key by key.

    `browser.fill: {locator: {label: Password}, value: "{{ secrets.ERP_PASSWORD }}"}`"""
    browser = open_browser(ctx)
    what = f"browser.fill {browser_locators.describe(args.locator)}"
    _fill(ctx, browser, target(ctx, browser, args.locator, what), args.value, what=what, typing=args.typing,
          delay_ms=args.delay_ms)


class HoverArgs(Located):
    pass


@action("browser.hover", args=HoverArgs, scalar="locator")
def hover(ctx: Any, args: HoverArgs) -> None:
    """Move the mouse over an element (menus that open on hover): `browser.hover: {role: menuitem, name: Reports}`."""
    browser = open_browser(ctx)
    what = f"browser.hover {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    with guard(ctx, browser, what, timeout_ms=browser.timeout_ms(ctx)):
        loc.hover(timeout=browser.timeout_ms(ctx))


def _navigate(ctx: Any, what: str, move: Any) -> dict[str, Any]:
    browser = open_browser(ctx)
    timeout = browser.timeout_ms(ctx, navigation=True)
    # (a page answering 401 to the robot's http_credentials: a configuration error, never retried)
    with guard(ctx, browser, what, timeout_ms=timeout), sign_in_checked(ctx, browser, what) as checked:
        response = checked(move(browser.page, timeout))
        # (the title costs a call to a page still busy loading: only when the output can be read)
        return {"url": browser.page.url, "status": response.status if response else None,
                "title": browser.page.title() if ctx.output_used else None}


class PressArgs(Args, browser_locators.InFrame):
    key: str
    locator: Any = None
    dialog: DialogAnswer = None  # this step's dialogs: accept, dismiss, or the text to answer a prompt

    _v = field_validator("locator")(lambda v: None if v is None else _locator(v))


@action("browser.press", args=PressArgs, scalar="key")
@answering
def press(ctx: Any, args: PressArgs) -> None:
    """Press a key or chord (Enter, Tab, Control+A), in a field when a locator is given.

    `browser.press: {key: Enter, locator: {label: Search}}`"""
    browser = open_browser(ctx)
    what = f"browser.press {args.key}"
    timeout = browser.timeout_ms(ctx)
    if args.locator is None:
        with guard(ctx, browser, what, timeout_ms=timeout), browser.settling(timeout_ms=timeout):
            browser.page.keyboard.press(args.key)
        return
    loc = target(ctx, browser, args.locator, what)
    # Enter may send a form: the next page is waited for (or the answers to the requests it sent)
    with guard(ctx, browser, what, timeout_ms=timeout), browser.settling(timeout_ms=timeout), browser.slow_server():
        loc.press(args.key, timeout=timeout)


class WaitArgs(Args, browser_locators.InFrame):
    locator: Any = None
    text: str | None = None
    url: str | None = None
    state: Literal["visible", "hidden", "attached", "detached"] = "visible"

    _v = field_validator("locator")(lambda v: None if v is None else _locator(v))


@action("browser.wait_for", args=WaitArgs, scalar="locator")
def wait_for(ctx: Any, args: WaitArgs) -> Any:
    """Wait for an element (`state: hidden` to wait until it goes), a text, or a URL (glob `**/done*` or
    `re:` regex); returns the page URL. `browser.wait_for: {text: Invoice saved}`"""
    import re

    browser = open_browser(ctx)
    timeout = browser.timeout_ms(ctx)
    if args.url is not None:
        pattern: Any = re.compile(args.url[3:]) if args.url.startswith("re:") else args.url
        with guard(ctx, browser, f"browser.wait_for url {args.url}", timeout_ms=timeout):
            browser.page.wait_for_url(pattern, timeout=timeout, wait_until="commit")
        return browser.page.url
    spec = args.locator if args.locator is not None else ({"text": args.text} if args.text is not None else None)
    if spec is None:
        raise BusinessError("browser.wait_for: give a locator, text or url")
    what = f"browser.wait_for {browser_locators.describe(spec)}"
    if isinstance(spec, list):
        target(ctx, browser, spec, what)
        return browser.page.url
    with guard(ctx, browser, what, timeout_ms=timeout):
        browser_locators.build(browser.page, spec).first.wait_for(state=args.state, timeout=timeout)
    return browser.page.url


from connectors import (  # noqa: F401 - register their actions
    browser_download,
    browser_fields,
    browser_fill_form,
    browser_pages,
    browser_read,
)
