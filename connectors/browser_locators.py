"""Locators as robot authors write them in YAML, turned into Playwright locators.

    "#save"                          a CSS selector, or any Playwright selector ("text=Save", "xpath=//a")
    "label=Invoice no"               shorthands: label=, placeholder=, test_id=, name=, alt=, title=
    {role: button, name: Save}       Playwright's role locator (exact: true for an exact name)
    {label: Invoice no}              also {placeholder: ...}, {test_id: ...}, {text: ...}, {css: ...},
                                     {xpath: ...}, {alt: ...}, {title: ...}, {name: ...} (the name attribute)
    {css: tr, has_text: ACME, nth: 0}   narrowing: has_text, nth (0 first, -1 last), within (a parent locator)
    {frame: "#main", label: Amount}  inside an iframe (a list of selectors for nested frames)
    ["#amount", {label: Amount}]     fallbacks: the first that matches something on the page is used
"""

from __future__ import annotations

import time
from typing import Any

from orchestrator.errors import ApplicationError

KINDS = ("role", "label", "placeholder", "test_id", "text", "css", "xpath", "alt", "title", "name", "selector")
MODIFIERS = ("name", "exact", "has_text", "nth", "within", "frame", "checked", "level", "pressed", "selected",
             "expanded", "include_hidden")
PREFIXES = ("label=", "placeholder=", "test_id=", "name=", "alt=", "title=")


class LocatorError(ValueError):
    """A locator of the wrong shape (a ValueError, so that argument models report it as invalid)."""


def validate(spec: Any) -> Any:
    """Check a locator's shape early (a clear error naming what is wrong)."""
    if isinstance(spec, str):
        if not spec.strip():
            raise LocatorError("a locator is empty: give a CSS selector, text=..., or {role: ..., name: ...}")
        return spec
    if isinstance(spec, list):
        if not spec:
            raise LocatorError("a list of fallback locators is empty")
        for item in spec:
            if isinstance(item, list):
                raise LocatorError("fallback locators are a flat list, not a list of lists")
            validate(item)
        return spec
    if isinstance(spec, dict):
        kinds = [k for k in spec if k in KINDS and not (k == "name" and "role" in spec)]
        unknown = [k for k in spec if k not in KINDS and k not in MODIFIERS]
        if unknown:
            from orchestrator.actions import suggest

            hint = suggest(str(unknown[0]), [*KINDS, *MODIFIERS])
            raise LocatorError(f"locator {spec!r}: unknown key {str(unknown[0])!r}{hint}; a locator is one of "
                               f"{', '.join(KINDS)}, with {', '.join(MODIFIERS)}")
        if len(kinds) != 1:
            raise LocatorError(f"locator {spec!r}: give exactly one of {', '.join(KINDS)}")
        if "within" in spec:
            validate(spec["within"])
        return spec
    raise LocatorError(f"a locator is a string, a mapping or a list of them, not {type(spec).__name__}")


def describe(spec: Any) -> str:
    if isinstance(spec, str):
        return repr(spec)
    if isinstance(spec, list):
        return " or ".join(describe(s) for s in spec)
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{k}: {v!r}" if not isinstance(v, (dict, list)) else f"{k}: {describe(v)}"
                               for k, v in spec.items()) + "}"
    return repr(spec)


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
        loc = base.locator(str(spec["selector"]))
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
