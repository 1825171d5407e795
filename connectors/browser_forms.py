"""`browser.fill_form`: a whole form in one round trip to the page.

Fields whose locator the page script can find itself (a field name, CSS, label, placeholder, test id,
name) are all set by one `evaluate` that uses the native value setters and fires focus, input, change
and blur events, as a person typing would, so frameworks (React, Vue, plain onchange handlers) see
them. That is several times faster than one `fill` per field. Any other field (role and text locators,
fallback lists, or a field the script cannot find exactly once) is filled through Playwright's locators.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from typing import Any

from connectors import browser_locators
from connectors.browser_form_script import (  # noqa: F401 - the scripts, for their callers
    CALL_SCRIPT,
    DATE_FORMATS,
    DRAWN_LIST,
    FILL_SCRIPT,
    INSTALL_SCRIPT,
    LEAVING_SCRIPT,
    MANY,
    NO,
    YES,
    YES_NO_WORDS,
)
from orchestrator.errors import BusinessError

SELECTOR_PREFIXES = ("css=", "text=", "xpath=", "id=", "role=", "data-testid=", "internal:", "nth=", "//", "(")
FAST_KINDS = ("css", "label", "placeholder", "test_id", "name", "field", "button")


@functools.lru_cache(maxsize=4096)
def is_selector(key: str) -> bool:
    """A fill_form key is a selector when it looks like one; plain words name a field (its label...).
    (Cached: a form's keys are asked about for every item.)"""
    return key.startswith(("#", ".", "[", *SELECTOR_PREFIXES)) or bool(re.search(r"[\[#>]|^\w+=", key))


def as_locator(key: Any) -> Any:
    """The locator spec of a fill_form key: a field name becomes a `field` (label, name, id, placeholder)."""
    if isinstance(key, str) and not is_selector(key):
        return {"field": key}
    return key


def as_submit(key: Any) -> Any:
    """The locator spec of fill_form's `submit`: a plain word names a button (its text, value or label)."""
    if isinstance(key, str) and not is_selector(key):
        return {"button": key}
    return key


def fast_form(spec: Any) -> dict[str, Any] | None:
    """The page script's form of a locator, or None when only Playwright can resolve it."""
    if isinstance(spec, str):
        for prefix in ("label=", "placeholder=", "test_id=", "name="):
            if spec.startswith(prefix):
                return {"kind": prefix[:-1], "value": spec[len(prefix):].strip(), "exact": False}
        if spec.startswith(SELECTOR_PREFIXES) or ">>" in spec or ":has-text(" in spec or ":text(" in spec:
            return None
        return {"kind": "css", "value": spec, "exact": False}
    if isinstance(spec, dict):
        kinds = [k for k in spec if k in FAST_KINDS]
        others = [k for k in spec if k not in FAST_KINDS and k != "exact"]
        if len(kinds) == 1 and not others:
            return {"kind": kinds[0], "value": str(spec[kinds[0]]), "exact": bool(spec.get("exact"))}
    return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
# Worth a try as a date (most values of a form are not: a cheap look first)
_DATE_LIKE = re.compile(rf"\d{{1,4}}\s*[-./년年]\s*\d{{1,2}}\s*[-./월月]\s*\d{{1,4}}|{_MONTH}[a-z]*\.?[\s-]+\d|\d[\s-]+{_MONTH}",
                        re.IGNORECASE)


def date_iso(text: str) -> str | None:
    """YYYY-MM-DD for a date written another way (`29/11/2026`, `Nov 29, 2026`, `2026년 11월 29일`), for
    date inputs; None when the text is ISO already, is no date, or could be two dates (03/04/2026)."""
    return read_date(text)[0]


_NUMERIC = re.compile(r"(?<![\d/-])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])")  # as pdf_values reads them
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def read_date(text: str) -> tuple[str | None, str | None]:
    """(`date_iso(text)`, why a date field refuses it): a date that reads two ways (`03/04/2027`: 3 April or
    March 4) is refused naming both readings, not guessed."""
    if len(text) > 40 or _ISO_DATE.fullmatch(text) or not _DATE_LIKE.search(text):
        return None, None
    from connectors.pdf_values import AmbiguousDate, parse_date

    try:
        return parse_date(text), None
    except AmbiguousDate:
        found = _NUMERIC.search(text)
        if found is None:
            return None, None
        first, second, year = int(found.group(1)), int(found.group(3)), int(found.group(4))
        year += 2000 if year < 100 else 0
        day_first, month_first = dt.date(year, second, first), dt.date(year, first, second)
        return None, (f"{text!r} could be {first} {_MONTHS[second - 1]} {year} (day first) or "
                      f"{_MONTHS[first - 1]} {second}, {year} (month first): write the date as YYYY-MM-DD "
                      f"({day_first.isoformat()} or {month_first.isoformat()})")
    except ValueError:
        return None, None


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fields_list(fields: Any) -> list[tuple[str, Any, Any]]:
    """(label for messages, locator spec, value) from a mapping or a list of {locator, value}."""
    out = []
    if isinstance(fields, dict):
        for key, value in fields.items():
            out.append((str(key), as_locator(key), value))
    elif isinstance(fields, list):
        for entry in fields:
            if not isinstance(entry, dict) or "locator" not in entry or "value" not in entry:
                raise BusinessError("browser.fill_form: each entry of a fields list is {locator: ..., value: ...}")
            out.append((browser_locators.describe(entry["locator"]), entry["locator"], entry["value"]))
    else:
        raise BusinessError("browser.fill_form: fields is a mapping of field -> value, or a list of "
                            "{locator: ..., value: ...}")
    for label, spec, _ in out:
        if not (isinstance(spec, dict) and "field" in spec):
            try:
                browser_locators.validate(spec)
            except browser_locators.LocatorError as exc:
                raise BusinessError(f"browser.fill_form field {label}: {exc}") from None
    return out


def yes_no(value: Any) -> bool | None:
    """A check box's value as a sheet writes it (Y/N, yes/no, true/false, 1/0, x, ja/nein, oui/non, はい/いいえ,
    예/아니오...: `YES_NO_WORDS`); None when none."""
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFC", to_text(value)).strip().lower()
    return True if text in YES else False if text in NO else None
