"""`browser.fill_form`: several fields in one step, through one script in the page when possible.

The page script and the rules for field names are in `browser_forms`.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import field_validator

from connectors import browser_forms, browser_locators
from connectors.browser import Args, _fill, target
from connectors.browser_dialogs import DialogAnswer, answering
from connectors.browser_fields import _select, set_checked
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


def _in_frame(spec: Any, frame: str | list[str] | None) -> Any:
    """A Playwright locator spec (or fallback list) looked for inside `frame`."""
    if frame is None:
        return spec
    if isinstance(spec, list):
        return [_in_frame(one, frame) for one in spec]
    if isinstance(spec, str):
        return {"selector": spec, "frame": frame}
    return spec if "frame" in spec else {**spec, "frame": frame}


def _field_spec(spec: Any) -> Any:
    """A `field` name as Playwright fallbacks: its label, then its name, id and placeholder; a `button`
    name: a button (or a link drawn as one) with that name, then that id or name."""
    if isinstance(spec, dict) and "button" in spec:
        name = str(spec["button"])
        return [{"role": "button", "name": name, "exact": True}, {"role": "link", "name": name, "exact": True},
                f"[id={browser_locators._quote(name)}]", {"name": name}, {"role": "button", "name": name}]
    if isinstance(spec, dict) and "field" in spec:
        name = str(spec["field"])
        return [{"label": name, "exact": True}, {"name": name}, f"[id={browser_locators._quote(name)}]",
                {"placeholder": name, "exact": True}, {"label": name}]
    return spec


@action("browser.fill_form", args=FormArgs)
@answering
def fill_form(ctx: Any, args: FormArgs) -> dict[str, Any]:
    """Fill several fields in one step (text, numbers, dates, dropdowns, check boxes), then optionally
    click `submit`. Keys are field names (label, name, id or placeholder), selectors or locators.

    `browser.fill_form: {fields: {Vendor: ACME, Amount: 1200, Currency: KRW}, submit: "#save"}`"""
    browser = open_browser(ctx)
    entries = browser_forms.fields_list(args.fields)
    texts = [browser_forms.to_text(value) for _, _, value in entries]
    pending = list(range(len(entries)))
    submitted = False
    timeout = browser.timeout_ms(ctx)
    frame = None if args.frame is None else browser.frame_of(ctx, args.frame, "browser.fill_form frame")
    if args.method == "fast":
        payload = []
        for i, (_, spec, _) in enumerate(entries):
            form = browser_forms.fast_form(spec)
            if form is not None:
                payload.append({**form, "i": i, "text": texts[i], "secret": browser.is_secret(texts[i]),
                                "iso": browser_forms.date_iso(texts[i])})
        submit = browser_forms.fast_form(browser_forms.as_submit(args.submit)) if args.submit is not None else None
        if payload:
            downloads = browser.downloads
            navigations = browser.navigations if frame is None else browser.frame_navigations.get(frame, 0)
            result = _run_script(ctx, browser, payload, submit, timeout, frame)
            unresolved = [r["i"] for r in result["results"] if r["status"] == "unresolved"]
            if unresolved and len(unresolved) == len(payload):
                # Nothing found: the page may still be on its way (after a submit). Wait for the first
                # field as Playwright does, then set them all again on the page that is there now.
                label, spec, _ = entries[unresolved[0]]
                target(ctx, browser, _in_frame(_field_spec(spec), args.frame), f"browser.fill_form field {label}")
                result = _run_script(ctx, browser, payload, submit, timeout, frame)
            errors = [r for r in result["results"] if r["status"] == "error"]
            if errors:
                raise BusinessError("browser.fill_form: " + "; ".join(
                    f"{entries[r['i']][0]}: {r['message']}" for r in errors))
            if result.get("invalid"):
                raise BusinessError("browser.fill_form: the browser did not send the form: " + "; ".join(
                    result["invalid"]) + " (the page's own checks: required fields, number ranges, formats)")
            done = {r["i"] for r in result["results"] if r["status"] == "ok"}
            pending = [i for i in pending if i not in done]
            submitted = result["submitted"]
            if result.get("navigating"):
                browser.wait_navigation(navigations, browser.timeout_ms(ctx, navigation=True), downloads=downloads,
                                        frame=frame)
    for i in pending:
        label, spec, _ = entries[i]
        what = f"browser.fill_form field {label}"
        loc = target(ctx, browser, _in_frame(_field_spec(spec), args.frame), what)
        _set_field(ctx, browser, loc, texts[i], what=what)
    if args.submit is not None and not submitted:
        what = f"browser.fill_form submit {browser_locators.describe(args.submit)}"
        loc = target(ctx, browser, _in_frame(_field_spec(browser_forms.as_submit(args.submit)), args.frame), what)
        with guard(ctx, browser, what, timeout_ms=timeout):
            browser.click_and_settle(loc, timeout=timeout, frame=frame)
        submitted = True
    if submitted and browser.state_file is not None:
        with guard(ctx, browser, "browser.fill_form (saving the storage state)", timeout_ms=timeout):
            browser._save_state()  # a login form was likely sent: keep its cookies for the next run
    return {"filled": [label for label, _, _ in entries], "submitted": submitted}


def _run_script(ctx: Any, browser: BrowserSession, payload: list[dict[str, Any]], submit: Any,
                timeout: float, frame: Any = None) -> dict[str, Any]:
    scope = frame or browser.page
    with guard(ctx, browser, "browser.fill_form", timeout_ms=timeout):
        try:
            args = [payload, submit, SECRET_MARK]
            result = scope.evaluate(browser_forms.CALL_SCRIPT, json.dumps(args))
            # A page the init script did not reach (a document written by a script...): send it whole.
            return json.loads(result) if result is not None else scope.evaluate(browser_forms.FILL_SCRIPT, args)
        except Exception as exc:
            if "Execution context was destroyed" in str(exc) and submit is not None:
                return {"results": [{"i": f["i"], "status": "ok"} for f in payload], "submitted": True,
                        "navigating": True}
            raise


def _set_field(ctx: Any, browser: BrowserSession, loc: Any, text: str, *, what: str) -> None:
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, what, timeout_ms=timeout):
        kind = loc.evaluate(f"el => el.tagName === 'SELECT' || ({browser_forms.DRAWN_LIST})(el) ? 'select' : "
                            "(el.type === 'checkbox' || el.type === 'radio') ? 'check' : 'text'", timeout=timeout)
        if kind == "select":
            try:
                _select(loc, values=[text], labels=None, timeout=timeout)
            except BusinessError as exc:
                raise BusinessError(f"{what}: {exc}") from None
        elif kind == "check":
            want = browser_forms.yes_no(text)
            if want is None and loc.evaluate("el => el.type", timeout=timeout) != "radio":
                raise BusinessError(f"{what}: {text!r} is not a yes or no (yes/no, y/n, true/false, 1/0, on/off, "
                                    "x, 예/아니오)")
            set_checked(loc, want is not False, timeout=timeout, what=what)
    if kind == "text":
        _fill(ctx, browser, loc, text, what=what)
