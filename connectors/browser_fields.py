"""Browser actions that choose rather than type: dropdowns (`browser.select`), check boxes and radio
buttons (`browser.check`, `browser.uncheck`) and file inputs (`browser.upload`).

`_select`, `log_choice` and `set_checked` serve `browser.fill_form` too; lists drawn by the page (ARIA
comboboxes, type-aheads) are chosen in by `browser_drawn_list`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import field_validator

from connectors import browser_drawn_list, browser_forms, browser_locators
from connectors.browser import Located, target
from connectors.browser_guard import guard
from connectors.browser_session import open_browser
from orchestrator.actions import action
from orchestrator.errors import BusinessError

OPTIONS = ("el => el.tagName === 'SELECT' ? [...el.options].map(o => [o.value, o.label.replace(/\\s+/g, ' ').trim()])"
           " : null")


def _select(loc: Any, *, values: list[str] | None, labels: list[str] | None, timeout: float,
            note: Callable[[str], None] | None = None) -> list[str]:
    """Choose options by value or visible text; options a script of the page has yet to add (a list
    filled after the page loaded, or after another field changed) are waited for until `timeout`. A list
    drawn by the page (a type-ahead too) is `browser_drawn_list`'s; `note` hears which option it chose
    when that was not the exact text asked for."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        options = loc.evaluate(OPTIONS, timeout=timeout)
        if options is None:  # a list drawn by the page (an ARIA combobox or listbox)
            wanted = labels or values or []
            return [browser_drawn_list.pick(loc, want, timeout=timeout, note=note) for want in wanted]
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
        return _select(loc, values=as_list(args.value), labels=as_list(args.label), timeout=timeout,
                       note=lambda line: log_choice(ctx, f"{what}: {line}"))


def log_choice(ctx: Any, line: str) -> None:
    """A choice the robot made that the data did not spell out (a type-ahead's only suggestion holding the
    text): in the item's log, so that whoever checks the entries sees it (secrets masked)."""
    from orchestrator.logs import mask

    if getattr(ctx, "log", None) is not None:
        ctx.log.info(mask(line))


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
