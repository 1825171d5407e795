"""`browser.fill_form`: several fields in one step, through one script in the page when possible.

The page script and the rules for field names are in `browser_forms`.
"""

from __future__ import annotations

import json
import uuid
from contextlib import nullcontext
from typing import Any, Literal

from pydantic import field_validator

from connectors import browser_forms, browser_locators, browser_requests
from connectors.browser import Args, _fill, target
from connectors.browser_dialogs import DialogAnswer, answering
from connectors.browser_fields import _select, log_choice, set_checked
from connectors.browser_guard import guard
from connectors.browser_session import SECRET_MARK, BrowserSession, open_browser
from orchestrator.actions import action
from orchestrator.errors import BusinessError


class FormArgs(Args):
    fields: Any
    submit: Any = None
    method: Literal["fast", "fill"] = "fast"
    frame: str | list[str] | None = None  # the form is inside this iframe (a list: nested frames)
    dialog: DialogAnswer = None  # this step's dialogs: accept, dismiss, or the text to answer a prompt

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        try:
            browser_forms.fields_list(value)
        except BusinessError as exc:
            raise ValueError(str(exc).removeprefix("browser.fill_form").lstrip(": ")) from None
        return value

    @field_validator("submit")
    @classmethod
    def _submit(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not browser_forms.is_selector(value)):
            return value  # a button's text, value or label: `submit: Save`
        return browser_locators.validate(value)


def _field_spec(spec: Any) -> Any:
    """A `field` name as Playwright fallbacks: its label, then its name, id and placeholder, a group (a
    fieldset of radio buttons) by its legend; a `button` name: a button (or a link drawn as one) with that
    name, then that id or name."""
    if isinstance(spec, dict) and "button" in spec:
        name = str(spec["button"])
        return [{"role": "button", "name": name, "exact": True}, {"role": "link", "name": name, "exact": True},
                f"[id={browser_locators._quote(name)}]", {"name": name}, {"role": "button", "name": name}]
    if isinstance(spec, dict) and "field" in spec:
        name = str(spec["field"])
        return [{"label": name, "exact": True}, {"name": name}, f"[id={browser_locators._quote(name)}]",
                {"placeholder": name, "exact": True}, {"label": name},
                {"role": "group", "name": name, "exact": True}]
    return spec


def _in_page(spec: Any, frame: str | list[str] | None, mark: str | None = None) -> Any:
    """A fill_form locator as Playwright looks for it (inside `frame`); `mark`: first the element the page
    script marked (a field it found by a table cell's text, in a shadow root...)."""
    spec = _field_spec(spec)
    if mark is not None:
        spec = [f'[data-retake-field="{mark}"]', *(spec if isinstance(spec, list) else [spec])]
    return browser_locators.in_frame(spec, frame)


def _as_text(value: Any) -> str | list[str]:
    """A field's value as the page takes it: a text, or a list of them (the options of a <select multiple>)."""
    if isinstance(value, list):
        return [browser_forms.to_text(one) for one in value]
    return browser_forms.to_text(value)


def _for_script(browser: BrowserSession, form: dict[str, Any], i: int, text: str | list[str]) -> dict[str, Any]:
    """A field as the page script takes it; a date that reads two ways carries why a date field refuses it."""
    iso, ambiguous = browser_forms.read_date(text) if isinstance(text, str) else (None, None)
    secret = browser.is_secret(text if isinstance(text, str) else " ".join(text))
    field = {**form, "i": i, "text": text, "secret": secret, "iso": iso}
    return {**field, "ambiguous": ambiguous} if ambiguous else field


@action("browser.fill_form", args=FormArgs)
@answering
def fill_form(ctx: Any, args: FormArgs) -> dict[str, Any]:
    """Fill several fields in one step (text, numbers, dates, dropdowns, check boxes), then optionally
    click `submit`. Keys are field names (label, name, id or placeholder), selectors or locators.

    `browser.fill_form: {fields: {Vendor: ACME, Amount: 1200, Currency: KRW}, submit: "#save"}`"""
    browser = open_browser(ctx)
    entries = browser_forms.fields_list(args.fields)
    texts = [_as_text(value) for _, _, value in entries]
    pending = list(range(len(entries)))
    marked: set[int] = set()  # fields the page script found and left to Playwright: marked in the page
    spot = uuid.uuid4().hex[:12]
    submitted = False
    timeout = browser.timeout_ms(ctx)
    frame = None if args.frame is None else browser.frame_of(ctx, args.frame, "browser.fill_form frame")
    if args.method == "fast":
        pending, marked, submitted = _fast_fill(ctx, browser, args, entries, texts, frame=frame, spot=spot)
    for i in pending:
        label, spec, _ = entries[i]
        what = f"browser.fill_form field {label}"
        loc = target(ctx, browser, _in_page(spec, args.frame, f"{spot}-{i}" if i in marked else None), what)
        _set_field(ctx, browser, loc, texts[i], what=what)
    if args.submit is not None and not submitted:
        what = f"browser.fill_form submit {browser_locators.describe(args.submit)}"
        loc = target(ctx, browser, _in_page(browser_forms.as_submit(args.submit), args.frame), what)
        with guard(ctx, browser, what, timeout_ms=timeout):
            browser.click_and_settle(loc, timeout=timeout, frame=frame)
        submitted = True
    if submitted and browser.state_file is not None:
        with guard(ctx, browser, "browser.fill_form (saving the storage state)", timeout_ms=timeout):
            browser._save_state()  # a login form was likely sent: keep its cookies for the next run
    return {"filled": [label for label, _, _ in entries], "submitted": submitted}


def _fast_fill(ctx: Any, browser: BrowserSession, args: FormArgs, entries: list[tuple[str, Any, Any]],
               texts: list[Any], *, frame: Any, spot: str) -> tuple[list[int], set[int], bool]:
    """The fields the page script can find, set (and the form submitted) in one round trip: (the fields
    left to Playwright, those of them the script marked, whether the form was submitted). A submit that
    leaves the page waits for the next one; one the page sends by fetch, for its answer."""
    timeout = browser.timeout_ms(ctx)
    payload = []
    for i, (_, spec, _) in enumerate(entries):
        form = browser_forms.fast_form(spec)
        if form is not None:
            payload.append(_for_script(browser, form, i, texts[i]))
    submit = browser_forms.fast_form(browser_forms.as_submit(args.submit)) if args.submit is not None else None
    if not payload:
        return list(range(len(entries))), set(), False
    downloads = browser.downloads
    navigations = browser.navigations if frame is None else browser.frame_navigations.get(frame, 0)
    sent = browser_requests.Requests(browser.page) if submit is not None else None
    with sent if sent is not None else nullcontext():
        result = _run_script(ctx, browser, payload, submit, timeout, frame, spot)
        unresolved = [r["i"] for r in result["results"] if r["status"] == "unresolved"]
        if unresolved and len(unresolved) == len(payload):
            # Nothing found: the page may still be on its way (after a submit). Wait for the first
            # field as Playwright does, then set them all again on the page that is there now.
            label, spec, _ = entries[unresolved[0]]
            target(ctx, browser, _in_page(spec, args.frame), f"browser.fill_form field {label}")
            result = _run_script(ctx, browser, payload, submit, timeout, frame, spot)
        errors = [r for r in result["results"] if r["status"] == "error"]
        if errors:
            raise BusinessError("browser.fill_form: " + "; ".join(
                f"{entries[r['i']][0]}: {r['message']}" for r in errors))
        if result.get("invalid"):
            raise BusinessError("browser.fill_form: the browser did not send the form: " + "; ".join(
                result["invalid"]) + " (the page's own checks: required fields, number ranges, formats)")
        done = {r["i"] for r in result["results"] if r["status"] == "ok"}
        marked = {r["i"] for r in result["results"] if r.get("marked")}
        if result.get("navigating"):
            browser.wait_navigation(navigations, browser.timeout_ms(ctx, navigation=True), downloads=downloads,
                                    frame=frame)
        elif result["submitted"] and sent is not None and not sent.new_document:
            # a form the page sends by fetch: its answer (a toast, the form drawn again) comes first
            with guard(ctx, browser, "browser.fill_form (the form's answer)", timeout_ms=timeout):
                browser.answered(sent, timeout)
    return [i for i in range(len(entries)) if i not in done], marked, result["submitted"]


def _run_script(ctx: Any, browser: BrowserSession, payload: list[dict[str, Any]], submit: Any,
                timeout: float, frame: Any, spot: str) -> dict[str, Any]:
    scope = frame or browser.page
    with guard(ctx, browser, "browser.fill_form", timeout_ms=timeout):
        try:
            args = [payload, submit, SECRET_MARK, spot]
            result = scope.evaluate(browser_forms.CALL_SCRIPT, json.dumps(args))
            # A page the init script did not reach (a document written by a script...): send it whole.
            return json.loads(result) if result is not None else scope.evaluate(browser_forms.FILL_SCRIPT, args)
        except Exception as exc:
            if "Execution context was destroyed" in str(exc) and submit is not None:
                return {"results": [{"i": f["i"], "status": "ok"} for f in payload], "submitted": True,
                        "navigating": True}
            raise



# What a field is, for Playwright's way of setting it; 'group': no field but radio buttons inside (a fieldset)
KIND_SCRIPT = f"""el => el.tagName === 'SELECT' ? (el.multiple ? 'multiple' : 'select')
  : ({browser_forms.DRAWN_LIST})(el) ? 'select' : (el.type === 'checkbox' || el.type === 'radio') ? 'check'
  : el.tagName === 'INPUT' && el.type === 'date' ? 'date'
  : !['INPUT', 'TEXTAREA'].includes(el.tagName) && !el.isContentEditable && el.querySelector('input[type=radio]')
  ? 'group' : 'text'"""
# Radio buttons of one group: the index of the one whose value or label is `want`, or why there is none
RADIO_SCRIPT = r"""(els, want) => {
  if (!els.length || !els.every(el => el.type === 'radio' && el.name === els[0].name)) return null;
  const plain = s => (s || '').replace(/\s+/g, ' ').trim(), norm = s => plain(s).replace(/[\s:*]+$/, '').toLowerCase();
  const label = el => plain([...(el.labels || [])].map(l => l.textContent).join(' ')
    || (el.nextSibling && el.nextSibling.textContent) || '');
  let k = els.findIndex(el => el.value === want);
  if (k < 0) k = els.findIndex(el => norm(label(el)) === norm(want));
  return k >= 0 ? k : 'no choice \'' + want + '\' among its radio buttons (choices: '
    + els.map(el => label(el) || el.value).join(', ') + ')';
}"""


def _kind(loc: Any, value: str | list[str], *, timeout: float, what: str) -> tuple[str, Any]:
    """What the field is, and the element to set: for a group of radio buttons (several matched by a name,
    or a fieldset by its legend), the one whose value or label is `value`."""
    from playwright.sync_api import Error

    try:
        kind = loc.evaluate(KIND_SCRIPT, timeout=timeout)
    except Error as exc:
        if "strict mode violation" not in str(exc):
            raise
        return _radio(loc, value, what=what, other=exc)  # several elements: the radio buttons of one group?
    if kind == "group":
        return _radio(loc.locator("input[type=radio]"), value, what=what, other=None)
    return kind, loc


def _radio(radios: Any, value: str | list[str], *, what: str, other: Exception | None) -> tuple[str, Any]:
    if isinstance(value, list):
        raise BusinessError(f"{what}: {browser_forms.MANY}")
    pick = radios.evaluate_all(RADIO_SCRIPT, value)
    if isinstance(pick, str):
        raise BusinessError(f"{what}: {pick}")
    if pick is not None:
        return "radio", radios.nth(pick)
    if other is not None:
        raise other
    return "text", radios  # a fieldset with no radio buttons of one group: Playwright says what it cannot fill


def _set_field(ctx: Any, browser: BrowserSession, loc: Any, value: str | list[str], *, what: str) -> None:
    """One field set through Playwright (the fields the page script could not set)."""
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        kind, loc = _kind(loc, value, timeout=timeout, what=what)
        many = isinstance(value, list)
        if many and not (kind == "multiple" or (kind == "select" and len(value) == 1)):
            raise BusinessError(f"{what}: {browser_forms.MANY}")
        if kind in ("select", "multiple"):
            try:
                _select(loc, values=value if isinstance(value, list) else [value], labels=None, timeout=timeout,
                        note=lambda line: log_choice(ctx, f"{what}: {line}"))
            except BusinessError as exc:
                several = kind == "multiple" and isinstance(value, str) and "," in value
                hint = " (several options: a list, [A, B])" if several else ""
                raise BusinessError(f"{what}: {exc}{hint}") from None
        elif kind == "radio":
            set_checked(loc, True, timeout=timeout, what=what)
        elif kind == "check":
            want = browser_forms.yes_no(value)
            if want is None and loc.evaluate("el => el.type", timeout=timeout) != "radio":
                raise BusinessError(f"{what}: {value!r} is not a yes or no ({browser_forms.YES_NO_WORDS})")
            set_checked(loc, want is not False, timeout=timeout, what=what)
        elif kind == "date":
            ambiguous = browser_forms.read_date(str(value))[1]
            if ambiguous:
                raise BusinessError(f"{what}: {ambiguous}")
    if kind == "date":
        try:
            _fill(ctx, browser, loc, value, what=what)
        except BusinessError:
            raise BusinessError(f"{what}: the date field refuses {value!r} (it stayed empty): write dates as "
                                f"{browser_forms.DATE_FORMATS}") from None
    elif kind == "text":
        _fill(ctx, browser, loc, value, what=what)
