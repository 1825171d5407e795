"""Browser actions that choose rather than type: dropdowns (`browser.select`), check boxes and radio
buttons (`browser.check`, `browser.uncheck`) and file inputs (`browser.upload`).

`_select` and `set_checked` serve `browser.fill_form` too.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import field_validator

from connectors import browser_forms, browser_locators
from connectors.browser import Located, target
from connectors.browser_guard import guard
from connectors.browser_session import open_browser
from orchestrator.actions import action
from orchestrator.errors import BusinessError

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
            raise ValueError(f"{value!r} is not a yes or no ({browser_forms.YES_NO_WORDS})")
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
