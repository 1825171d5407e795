"""Locators as robot authors write them in YAML, turned into Playwright locators.

    "#save"                          a CSS selector, or any Playwright selector ("text=Save", "xpath=//a")
    "label=Invoice no"               shorthands: label=, placeholder=, test_id=, name=, alt=, title=
    {role: button, name: Save}       Playwright's role locator (exact: true for an exact name)
    {label: Invoice no}              also {placeholder: ...}, {test_id: ...}, {text: ...}, {css: ...},
                                     {xpath: ...}, {alt: ...}, {title: ...}, {name: ...} (the name attribute)
    {css: tr, has_text: ACME, nth: 0}   narrowing: has_text, nth (0 first, -1 last), within (a parent locator)
    {frame: "#main", label: Amount}  inside an iframe (a list of selectors for nested frames); an action's
                                     `frame:` beside `locator:` is the same (see `fold_frame`)
    ["#amount", {label: Amount}]     fallbacks: the first that matches something on the page is used
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, model_validator

from orchestrator.errors import ApplicationError

KINDS = ("role", "label", "placeholder", "test_id", "text", "css", "xpath", "alt", "title", "name", "selector")
MODIFIERS = ("name", "exact", "has_text", "nth", "within", "frame", "checked", "level", "pressed", "selected",
             "expanded", "include_hidden")
PREFIXES = ("label=", "placeholder=", "test_id=", "name=", "alt=", "title=")


# The roles Playwright's get_by_role knows (an unknown role silently matches nothing). Case does not matter.
ROLES = (
    "alert", "alertdialog", "application", "article", "banner", "blockquote", "button", "caption", "cell",
    "checkbox", "code", "columnheader", "combobox", "complementary", "contentinfo", "definition", "deletion",
    "dialog", "directory", "document", "emphasis", "feed", "figure", "form", "generic", "grid", "gridcell",
    "group", "heading", "img", "insertion", "link", "list", "listbox", "listitem", "log", "main", "marquee",
    "math", "menu", "menubar", "menuitem", "menuitemcheckbox", "menuitemradio", "meter", "navigation", "none",
    "note", "option", "paragraph", "presentation", "progressbar", "radio", "radiogroup", "region", "row",
    "rowgroup", "rowheader", "scrollbar", "search", "searchbox", "separator", "slider", "spinbutton", "status",
    "strong", "subscript", "superscript", "switch", "tab", "table", "tablist", "tabpanel", "term", "textbox",
    "time", "timer", "toolbar", "tooltip", "tree", "treegrid", "treeitem",
)
FLAGS = ("exact", "checked", "pressed", "selected", "expanded", "include_hidden")


class LocatorError(ValueError):
    """A locator of the wrong shape (a ValueError, so that argument models report it as invalid).

    `path` leads from the locator to the part at fault (("within", "rol") ...), `key` says whether the
    key itself is wrong, so that `retake validate` can point at it."""

    def __init__(self, message: str, path: tuple[Any, ...] = (), *, key: bool = False):
        super().__init__(message)
        self.path = path
        self.key = key


def _templated(value: Any) -> bool:
    """A `{{ }}` value (seen when the project is checked before a run): known only at run time."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def validate(spec: Any) -> Any:
    """Check a locator's shape early (a clear error naming what is wrong)."""
    _check(spec)
    return spec


def _check(spec: Any) -> None:
    if isinstance(spec, str):
        if not spec.strip():
            raise LocatorError("a locator is empty: give a CSS selector, text=..., or {role: ..., name: ...}")
        return
    if isinstance(spec, list):
        if not spec:
            raise LocatorError("a list of fallback locators is empty")
        for i, item in enumerate(spec):
            if isinstance(item, list):
                raise LocatorError("fallback locators are a flat list, not a list of lists", (i,))
            _inside(i, item)
        return
    if isinstance(spec, dict):
        _check_mapping(spec)
        return
    raise LocatorError(f"a locator is a string, a mapping or a list of them, not {type(spec).__name__}")


def _inside(part: Any, spec: Any) -> None:
    try:
        _check(spec)
    except LocatorError as exc:
        raise LocatorError(str(exc), (part, *exc.path), key=exc.key) from None


def _check_mapping(spec: dict[Any, Any]) -> None:
    from orchestrator.actions import suggest

    kinds = [k for k in spec if k in KINDS and not (k == "name" and "role" in spec)]
    unknown = [k for k in spec if k not in KINDS and k not in MODIFIERS]
    if unknown:
        bad = str(unknown[0])
        raise LocatorError(f"locator {describe(spec)}: unknown key {bad!r}{suggest(bad, [*KINDS, *MODIFIERS])}; "
                           f"a locator is one of {', '.join(KINDS)}, with {', '.join(MODIFIERS)}",
                           (unknown[0],), key=True)
    if len(kinds) != 1:
        raise LocatorError(f"locator {describe(spec)}: give exactly one of {', '.join(KINDS)}")
    role = spec.get("role")
    if role is not None and not _templated(role) and str(role).lower() not in ROLES:
        raise LocatorError(f"locator {describe(spec)}: unknown role {role!r}{suggest(str(role).lower(), list(ROLES))}"
                           "; roles are ARIA roles such as button, link, textbox, checkbox, heading, row, cell",
                           ("role",))
    for flag in FLAGS:
        if flag in spec and not isinstance(spec[flag], bool) and not _templated(spec[flag]):
            raise LocatorError(f"locator {describe(spec)}: {flag} is true or false, not {spec[flag]!r}", (flag,))
    for number in ("nth", "level"):
        value = spec.get(number)
        if value is not None and not _templated(value) and (isinstance(value, bool) or not _whole(value)):
            hint = " (0 is the first, -1 the last)" if number == "nth" else ""
            raise LocatorError(f"locator {describe(spec)}: {number} is a whole number{hint}, not {value!r}",
                               (number,))
    if "within" in spec:
        _inside("within", spec["within"])
    frames = spec.get("frame")
    for i, frame in enumerate(frames if isinstance(frames, list) else [frames] if "frame" in spec else []):
        if not isinstance(frame, str) or not frame.strip():
            where = ("frame", i) if isinstance(frames, list) else ("frame",)
            raise LocatorError(f"locator {describe(spec)}: frame is a selector of the iframe (or a list of them "
                               f"for nested frames), not {frame!r}", where)


def _whole(value: Any) -> bool:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def describe(spec: Any) -> str:
    if isinstance(spec, str):
        return repr(spec)
    if isinstance(spec, list):
        return " or ".join(describe(s) for s in spec)
    if isinstance(spec, dict):
        return "{" + ", ".join(_describe_key(k, v) for k, v in spec.items()) + "}"
    return repr(spec)


def _describe_key(key: Any, value: Any) -> str:
    if key == "frame" and isinstance(value, list):  # nested frames, the outermost first (not fallbacks)
        return f"frame: {' > '.join(str(v) for v in value)}"
    return f"{key}: {value!r}" if not isinstance(value, (dict, list)) else f"{key}: {describe(value)}"


def in_frame(spec: Any, frame: str | list[str] | None) -> Any:
    """`spec` looked for inside `frame` (a selector of the iframe, or a list for nested frames): each of
    a list of fallbacks; a locator with a `frame` of its own is looked for in that frame, inside `frame`."""
    if frame is None:
        return spec
    if isinstance(spec, list):
        return [in_frame(one, frame) for one in spec]
    if isinstance(spec, str):
        return {"frame": frame, "selector": spec}
    outer = frame if isinstance(frame, list) else [frame]
    inner = spec.get("frame")
    frames = [*outer, *(inner if isinstance(inner, list) else [] if inner is None else [inner])]
    return {"frame": frames[0] if len(frames) == 1 else frames, **{k: v for k, v in spec.items() if k != "frame"}}


def fold_frame(model: Any) -> Any:
    """An action's `frame:` argument folded into its locator (an `after` validator of its arguments):
    `{frame: "#main", locator: "#total", attribute: value}` is `{locator: {frame: "#main", selector:
    "#total"}, ...}`; `browser.wait_for: {frame: ..., text: Saved}` waits for that text in the frame."""
    frame = getattr(model, "frame", None)
    if frame is None:
        return model
    spec = getattr(model, "locator", None)
    if spec is None and getattr(model, "text", None) is not None:
        spec, model.text = {"text": model.text}, None
    if spec is None:
        raise ValueError("frame: says in which frame to look: give the locator of what to find in it as well")
    model.locator, model.frame = validate(in_frame(spec, frame)), None
    return model


class InFrame(BaseModel):
    """`frame:` beside an action's `locator:`, folded into it (`fold_frame`). Mixed in after `Located`:
    `class TextArgs(Located, InFrame)`."""

    frame: str | list[str] | None = None  # inside this iframe (a list: nested frames, the outermost first)

    _frame = model_validator(mode="after")(fold_frame)


def build(page: Any, spec: Any) -> Any:
    """One Playwright locator for a single (non-list) locator spec, relative to `page` (or a locator)."""
    if isinstance(spec, str):
        return _from_string(page, spec)
    if isinstance(spec, list):
        raise LocatorError("internal: build() takes one locator, use resolve() for fallbacks")
    base = page
    if "frame" in spec:
        frames = spec["frame"] if isinstance(spec["frame"], list) else [spec["frame"]]
        for selector in frames:
            base = base.frame_locator(str(selector))
    if "within" in spec:
        base = build(base, spec["within"])
    exact = spec.get("exact")
    if "role" in spec:
        extra = {k: spec[k] for k in ("checked", "level", "pressed", "selected", "expanded", "include_hidden")
                 if k in spec}
        loc = base.get_by_role(spec["role"], name=spec.get("name"), exact=exact, **extra)
    elif "label" in spec:
        loc = base.get_by_label(str(spec["label"]), exact=exact)
    elif "placeholder" in spec:
        loc = base.get_by_placeholder(str(spec["placeholder"]), exact=exact)
    elif "test_id" in spec:
        loc = base.get_by_test_id(str(spec["test_id"]))
    elif "text" in spec:
        loc = base.get_by_text(str(spec["text"]), exact=exact)
    elif "alt" in spec:
        loc = base.get_by_alt_text(str(spec["alt"]), exact=exact)
    elif "title" in spec:
        loc = base.get_by_title(str(spec["title"]), exact=exact)
    elif "xpath" in spec:
        loc = base.locator(f"xpath={spec['xpath']}")
    elif "name" in spec:
        loc = base.locator(f"[name={_quote(str(spec['name']))}]")
    elif "css" in spec:
        loc = base.locator(str(spec["css"]))
    else:
        loc = _from_string(base, str(spec["selector"]))  # "label=Amount" in a frame: a short form still
    if spec.get("has_text") is not None:
        loc = loc.filter(has_text=str(spec["has_text"]))
    if spec.get("nth") is not None:
        nth = int(spec["nth"])
        loc = loc.last if nth == -1 else loc.nth(nth)
    return loc


def _from_string(base: Any, text: str) -> Any:
    for prefix in PREFIXES:
        if text.startswith(prefix):
            value = text[len(prefix):].strip()
            return build(base, {prefix[:-1]: value})
    return base.locator(text)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def resolve(page: Any, spec: Any, *, timeout_ms: float, what: str) -> Any:
    """The Playwright locator to act on. For a list, the first candidate present on the page (waiting up to
    the timeout for any of them); a single locator is returned as is (Playwright waits when it acts)."""
    if not isinstance(spec, list):
        return build(page, spec)
    deadline = time.monotonic() + timeout_ms / 1000
    candidates = [build(page, s) for s in spec]
    for loc in candidates:
        if loc.count():
            return loc
    combined = candidates[0]
    for loc in candidates[1:]:
        combined = combined.or_(loc)
    try:
        combined.first.wait_for(state="attached", timeout=max(1.0, (deadline - time.monotonic()) * 1000))
    except Exception as exc:
        if type(exc).__name__ == "TimeoutError":
            raise not_found(spec, what, timeout_ms, page) from None
        raise
    while True:
        for loc in candidates:
            if loc.count():
                return loc
        if time.monotonic() > deadline:
            raise not_found(spec, what, timeout_ms, page)
        time.sleep(0.05)


def not_found(spec: Any, what: str, timeout_ms: float, page: Any) -> ApplicationError:
    url = getattr(page, "url", None) or getattr(getattr(page, "page", None), "url", "?")
    return ApplicationError(f"{what}: nothing on the page matches {describe(spec)} after {timeout_ms / 1000:g}s "
                            f"(page {url})")
