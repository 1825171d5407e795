"""Browser actions (Playwright): navigate, click, fill, forms, uploads and waits.

Reading the page (text, attributes, tables), downloads, screenshots and PDFs are in `browser_read`.
Every action works on the run's page (one browser context per run, see `browser_session`); locators
are described in `browser_locators`. Playwright is imported only when a browser step runs.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from connectors import browser_forms, browser_locators
from connectors.browser_dialogs import DialogAnswer, answering
from connectors.browser_guard import guard
from connectors.browser_session import SECRET_MARK, BrowserSession, open_browser
from orchestrator.actions import action
from orchestrator.errors import BusinessError


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def _locator(value: Any) -> Any:
    return browser_locators.validate(value)


class Located(Args):
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
        return browser_locators.resolve(browser.page, spec, timeout_ms=timeout, what=what)


class GotoArgs(Args):
    url: str
    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"


@action("browser.goto", args=GotoArgs, scalar="url")
def goto(ctx: Any, args: GotoArgs) -> dict[str, Any]:
    """Open a URL (relative to the robot's `browser.base_url`); returns {url, status, title}.

    `browser.goto: "{{ inputs.erp_url }}/invoices/new"`; after a redirect, `steps.ID.url` says where it landed."""
    url = open_browser(ctx).url(args.url)
    return _navigate(ctx, f"browser.goto {url}",
                     lambda page, t: page.goto(url, wait_until=args.wait_until, timeout=t))


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
        if typing:
            loc.fill("", timeout=timeout)
            loc.press_sequentially(text, delay=delay_ms, timeout=timeout)
        else:
            loc.fill(text, timeout=timeout)
        value_of = "el => el.tagName === 'INPUT' && el.type !== 'file' ? el.value : null"
        if text and loc.evaluate(value_of, timeout=timeout) == "":
            iso = browser_forms.date_iso(text)
            if iso is not None and loc.evaluate("el => el.type", timeout=timeout) == "date":
                loc.fill(iso, timeout=timeout)  # a date input takes YYYY-MM-DD: 29/11/2026 goes in as that
            if loc.evaluate(value_of, timeout=timeout) == "":
                raise BusinessError(f"{what}: the field refuses {text!r} (it stayed empty); check its format: "
                                    "dates as YYYY-MM-DD, numbers without thousands separators")


@action("browser.fill", args=FillArgs)
def fill(ctx: Any, args: FillArgs) -> None:
    """Type a value into a field (replacing what is there). `typing: true` sends key by key.

    `browser.fill: {locator: {label: Password}, value: "{{ secrets.ERP_PASSWORD }}"}`"""
    browser = open_browser(ctx)
    what = f"browser.fill {browser_locators.describe(args.locator)}"
    _fill(ctx, browser, target(ctx, browser, args.locator, what), args.value, what=what, typing=args.typing,
          delay_ms=args.delay_ms)


OPTIONS = ("el => el.tagName === 'SELECT' ? [...el.options].map(o => [o.value, o.label.replace(/\\s+/g, ' ').trim()])"
           " : null")


def _select(loc: Any, *, values: list[str] | None, labels: list[str] | None, timeout: float) -> list[str]:
    """Choose options by value or visible text; options a script of the page has yet to add (a list
    filled after the page loaded, or after another field changed) are waited for until `timeout`."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        options = loc.evaluate(OPTIONS, timeout=timeout)
        if options is None:  # a list drawn by the page (an ARIA combobox or listbox)
            return [_pick_option(loc, want, timeout=timeout) for want in (labels or values or [])]
        if labels:
            return loc.select_option(label=labels, timeout=timeout)
        chosen, missing = [], []
        for want in values or []:
            plain = " ".join(want.split())
            match = next((v for v, _ in options if v == want), None) \
                or next((v for v, label in options if label == plain), None) \
                or next((v for v, label in options if label.lower() == plain.lower()), None)
            (chosen if match is not None else missing).append(match if match is not None else want)
        if not missing:
            return loc.select_option(value=chosen, timeout=timeout)
        if time.monotonic() >= deadline:
            raise BusinessError(f"no option {missing[0]!r} in the list (options: {', '.join(l for _, l in options)})")
        loc.page.wait_for_timeout(100)


def _pick_option(loc: Any, want: str, *, timeout: float) -> str:
    """Open a dropdown drawn by the page and click the option `want` (its exact text first, else the
    option containing it); an input that filters its list as one types gets the text first."""
    page = loc.page
    typed = loc.evaluate("el => el.tagName === 'INPUT' || el.tagName === 'TEXTAREA'", timeout=timeout)
    if typed:
        loc.fill(want, timeout=timeout)
    else:
        loc.click(timeout=timeout)
    exact, loose = page.get_by_role("option", name=want, exact=True), page.get_by_role("option", name=want)
    try:
        exact.or_(loose).first.wait_for(state="visible", timeout=timeout)
    except Exception as exc:
        if type(exc).__name__ != "TimeoutError":
            raise
        shown = [t.strip() for t in page.get_by_role("option").all_inner_texts()][:20]
        if typed and not shown:
            return want  # a text box whose suggestions did not come: what was typed stands
        raise BusinessError(f"no option {want!r} in the list (options: {', '.join(shown) or 'none shown'})") \
            from None
    (exact if exact.count() else loose).first.click(timeout=timeout)
    return want


class SelectArgs(Located):
    value: Any = None
    label: Any = None
    index: int | None = None


@action("browser.select", args=SelectArgs)
def select(ctx: Any, args: SelectArgs) -> list[str]:
    """Choose in a dropdown by value or visible text (a list for multi-selects); returns the chosen values.

    `browser.select: {locator: {label: Currency}, value: KRW}`"""
    browser = open_browser(ctx)
    what = f"browser.select {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        if args.index is not None:
            return loc.select_option(index=args.index, timeout=timeout)
        as_list = (lambda v: None if v is None else [browser_forms.to_text(x) for x in (v if isinstance(v, list)
                                                                                          else [v])])
        if args.value is None and args.label is None:
            raise BusinessError("browser.select: give value, label or index")
        return _select(loc, values=as_list(args.value), labels=as_list(args.label), timeout=timeout)


class CheckArgs(Located):
    checked: bool = True

    @field_validator("checked", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> bool:
        """`checked: N`, `아니오`, `0`: the words of a sheet's yes/no column."""
        answer = browser_forms.yes_no(value)
        if answer is None:
            raise ValueError(f"{value!r} is not a yes or no (yes/no, y/n, true/false, 1/0, on/off, x, 예/아니오)")
        return answer


@action("browser.check", args=CheckArgs, scalar="locator")
def check(ctx: Any, args: CheckArgs) -> bool:
    """Tick (or with `checked: false` untick) a check box or radio button. `browser.check: {label: Urgent}`"""
    browser = open_browser(ctx)
    what = f"browser.check {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        set_checked(loc, args.checked, timeout=timeout, what=what)
    return args.checked


# A box drawn by the page over a hidden <input> (opacity 0, no size, display none): its label is clicked.
HIDDEN_BOX = """(el, want) => {
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  if (!(s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0' || r.width < 2 || r.height < 2))
    return 'visible';
  if (el.checked !== want) ((el.labels && el.labels[0]) || el).click();
  return el.checked === want ? 'done' : 'unchanged';
}"""


def set_checked(loc: Any, checked: bool, *, timeout: float, what: str) -> None:
    """Tick or untick like a person: Playwright's check on a visible box; on a custom-drawn box whose real
    input is hidden (Bootstrap, Material...), a click on its label, as a person clicks the drawing."""
    state = loc.evaluate(HIDDEN_BOX, checked, timeout=timeout)
    if state == "visible":
        loc.set_checked(checked, timeout=timeout)
    elif state == "unchanged":
        raise BusinessError(f"{what}: the box did not change (a script of the page keeps it as it was)")


class UncheckArgs(Located):
    pass


@action("browser.uncheck", args=UncheckArgs, scalar="locator")
def uncheck(ctx: Any, args: UncheckArgs) -> bool:
    """Untick a check box: `browser.uncheck: {label: Send newsletter}`."""
    return check(ctx, CheckArgs(locator=args.locator, checked=False))


@action("browser.hover", args=UncheckArgs, scalar="locator")
def hover(ctx: Any, args: UncheckArgs) -> None:
    """Move the mouse over an element (menus that open on hover): `browser.hover: {role: menuitem, name: Reports}`."""
    browser = open_browser(ctx)
    what = f"browser.hover {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    with guard(ctx, browser, what, timeout_ms=browser.timeout_ms(ctx)):
        loc.hover(timeout=browser.timeout_ms(ctx))


def _navigate(ctx: Any, what: str, move: Any) -> dict[str, Any]:
    browser = open_browser(ctx)
    timeout = browser.timeout_ms(ctx, navigation=True)
    with guard(ctx, browser, what, timeout_ms=timeout):
        response = move(browser.page, timeout)
        # (the title costs a call to a page still busy loading: only when the output can be read)
        return {"url": browser.page.url, "status": response.status if response else None,
                "title": browser.page.title() if ctx.output_used else None}


class PressArgs(Args):
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
        with guard(ctx, browser, what, timeout_ms=timeout), browser.settling():
            browser.page.keyboard.press(args.key)
        return
    loc = target(ctx, browser, args.locator, what)
    # Enter may send a form: the next page is waited for
    with guard(ctx, browser, what, timeout_ms=timeout), browser.settling(), browser.slow_server():
        loc.press(args.key, timeout=timeout)


class UploadArgs(Located):
    files: Any


@action("browser.upload", args=UploadArgs)
def upload(ctx: Any, args: UploadArgs) -> list[str]:
    """Put project files into a file input: `browser.upload: {locator: "input[type=file]", files: "{{ item }}"}`"""
    browser = open_browser(ctx)
    names = args.files if isinstance(args.files, list) else [args.files]
    paths = [ctx.resolve(str(name)) for name in names]
    for path, name in zip(paths, names):
        if not path.is_file():
            raise BusinessError(f"browser.upload: no file {name}", file=str(name))
    what = f"browser.upload {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        loc.set_input_files([str(p) for p in paths], timeout=timeout)
    return [ctx.session.relative(p) for p in paths]


class WaitArgs(Args):
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
    browser_fill_form,
    browser_pages,
    browser_read,
)
