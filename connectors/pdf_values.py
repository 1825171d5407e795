"""Reading typed values out of document text: numbers in local formats, dates, page selections.

Pure functions without heavy imports; `pdf.extract` and `table.validate` share them. Each raises
ValueError with a sentence a robot author can act on; the actions turn it into a BusinessError.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# A number: digits with grouping marks; a space groups only when exactly three digits follow.
_NUMBER = re.compile(r"\d(?:[\d.,'’]|[ \u00a0\u202f](?=\d{3}(?!\d)))*")
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f'’]")
_MINUS = "-−–"
# What may stand before a number (after a "label:"): signs, brackets, a currency sign or code ("USD",
# "Rs.", "US$", "₩"), "#"; and after it: anything without a digit ("원", "EUR", "units", "%", ")", "-").
_SIGNS = r"+\-−–"  # for a character class
_CURRENCY = "$€£¥₩₹₽₺₫฿₱₪₴₦₲₵₡₸¢₨"
_CODES = (  # currency codes and short forms written before an amount: "USD 12", "Rs. 120"
    "USD EUR GBP JPY KRW CNY RMB CHF CAD AUD NZD HKD SGD INR IDR MYR THB VND PHP TWD SEK NOK DKK ISK PLN CZK HUF "
    "RON BGN TRY RUB UAH ILS AED SAR QAR KWD BHD OMR EGP MAD ZAR NGN KES BRL MXN ARS CLP COP PEN "
    "Rs Rp RM kr zł Fr Ft Kč лв руб").replace(" ", "|")
_BEFORE = re.compile(r"[\s(\[#" + _SIGNS + r"]*(?:(?:(?i:" + _CODES + r")\.?|(?:US|HK|NT|NZ|S|A|C|R)(?=\$))?"
                     r"\s*[" + _CURRENCY + r"]?\s*)?[\s(\[" + _SIGNS + r"]*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

DEFAULT_DATE_FORMATS = (
    "%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d", "%d.%m.%Y", "%Y년 %m월 %d일", "%Y년%m월%d일",
    "%d %b %Y", "%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d-%b-%Y", "%d/%b/%Y", "%Y%m%d",
)


class AmbiguousDate(ValueError):
    """A date that could be day/month or month/day: the robot must say which (`formats:`)."""


def parse_number(text: Any, *, decimal: str | None = None) -> int | float:
    """`1,234,567` -> 1234567, `1.234,56 €` -> 1234.56, `($12.00)` -> -12.0; ValueError when the text is
    not one number.

    Around the number may stand a label ending in a colon (`Total due: 1,234`), a sign, brackets (a
    negative amount), a currency sign or code and a unit (`12 pcs`, `1,000원`); other words, a second
    number (`Page 1 of 2`, `2026-03-05`) or an id (`PO-55123`) make it not a number. Brackets after
    Korean, Chinese or Japanese words are an aside, not a minus (`일금 일백만원정 (₩1,000,000)`).
    `decimal` ("." or ",") says which mark separates decimals; without it the mark is guessed:
    the last of two different marks, a mark used twice groups, a single mark followed by exactly
    three digits groups (1,234 and 1.234 are both 1234).
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    raw = " ".join(str(text).split())
    found = _NUMBER.search(raw)
    if not found:
        raise ValueError(f"{raw!r} is not a number")
    for found in _NUMBER.finditer(raw):
        digits = found.group().rstrip(".,' ")
        before, after = raw[: found.start()], raw[found.start() + len(digits):]
        before = before.rpartition(":")[2]  # a label before a colon: "Total due: 1,234"
        if any(c.isdigit() for c in after):
            continue  # a second number after this one: a date, an id, a range, "1 of 2"
        bracketed = "(" in before and ")" in after
        if bracketed and _CJK.search(before[:before.rfind("(")]):
            before, bracketed = before[before.rfind("(") + 1:], False  # an aside after words: not a minus
        if not _BEFORE.fullmatch(before) or before[-1:].isalpha() or re.search(r"[^\W\d_][\-−–]$", before):
            continue  # words before the number, or an id glued to it (PO-55123)
        negative = bracketed or any(c in _MINUS for c in before) or after.lstrip()[:1] in tuple(_MINUS)
        value = _normalise(_GROUP_SPACES.sub("", digits), decimal, raw)
        number: int | float = float(value) if "." in value else int(value)
        return -number if negative else number
    raise ValueError(f"{raw!r} is not one number (words or another number around it)")


def _normalise(digits: str, decimal: str | None, raw: str) -> str:
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    plain = _GROUP_SPACES.sub("", digits)
    if decimal is None:
        decimal = _guess_decimal(plain)
    grouping = "," if decimal == "." else "."
    whole = plain.split(decimal)[0] if decimal else plain
    groups = re.split(r"[" + re.escape(grouping) + r"]", whole)
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and len(groups[-1]) == 3
                                and all(len(g) in (2, 3) for g in groups[1:-1])):
        raise ValueError(f"{raw!r} is not a number: {digits!r} is not grouped in thousands")
    plain = plain.replace(grouping, "")
    if decimal and plain.count(decimal) > 1:
        raise ValueError(f"{digits!r} has more than one decimal mark {decimal!r}")
    return plain.replace(decimal, ".") if decimal else plain


def _guess_decimal(digits: str) -> str | None:
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        return "." if digits.rfind(".") > digits.rfind(",") else ","
    if not dots and not commas:
        return None
    mark = "." if dots else ","
    if dots + commas > 1:
        return "," if mark == "." else "."  # the mark groups thousands; the other one would be decimal
    head, tail = digits.split(mark)
    if len(tail) == 3 and 1 <= len(head) <= 3 and head != "0":
        return "," if mark == "." else "."  # 1,234 and 1.234: a thousands mark
    return mark


def parse_date(text: Any, *, formats: list[str] | tuple[str, ...] | None = None) -> str:
    """The ISO date (YYYY-MM-DD) in `text`, trying `formats` in order; ValueError when none fits.

    The whole text is tried first, then runs of its words (longest first), so that a label or a
    weekday around the date does not spoil it.
    """
    if isinstance(text, dt.datetime):
        return text.date().isoformat()
    if isinstance(text, dt.date):
        return text.isoformat()
    raw = " ".join(str(text).split())
    if not raw:
        raise ValueError("an empty text is not a date")
    tries = list(formats or DEFAULT_DATE_FORMATS)
    if not formats:
        found = _year_first(raw) or _day_and_month(raw)
        if found:
            return found
    words = raw.split(" ")
    spans = [raw] + [" ".join(words[i:j]) for size in range(min(len(words), 6), 0, -1)
                     for i in range(len(words) - size + 1) for j in (i + size,)]
    for candidate in spans:
        candidate = candidate.strip(" ,;:()[]")
        for fmt in tries:
            try:
                return dt.datetime.strptime(candidate, fmt).date().isoformat()
            except ValueError:
                continue
    shown = ", ".join(tries[:4]) + (", ..." if len(tries) > 4 else "")
    raise ValueError(f"{raw!r} is not a date in the formats tried ({shown}); give `formats:`")


_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})\s*[-./년年]\s*(\d{1,2})\s*[-./월月]\s*(\d{1,2})(?!\d)\s*[.일日]?")
_ISO_TIME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")


def _year_first(text: str) -> str | None:
    """Dates that begin with the year are never ambiguous: 2026-03-14T10:00, 2026. 3. 14., 2026年3月14日."""
    for pattern in (_ISO_TIME, _YEAR_FIRST):
        match = pattern.search(text)
        if not match:
            continue
        parts = match.groups() if pattern is _YEAR_FIRST else match.group(1).split("-")
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
        except ValueError:
            continue
    return None


_NUMERIC = re.compile(r"(?<![\d/-])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])")


def _day_and_month(text: str) -> str | None:
    """29/11/2026 and 11/29/2026 (or with dashes) read themselves: a number above 12 is the day. When
    both could be the month (03/04/2026), refuse rather than guess."""
    match = _NUMERIC.search(text)
    if not match:
        return None
    first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    year += 2000 if year < 100 else 0
    if first <= 12 and second <= 12 and first != second:
        raise AmbiguousDate(f"{match.group(0)!r} could be day/month or month/day: give `formats: "
                         f"['%d{match.group(2)}%m{match.group(2)}%Y']` (day first) or `['%m{match.group(2)}%d"
                         f"{match.group(2)}%Y']` (month first)")
    day, month = (first, second) if first > 12 or first == second else (second, first)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def convert(text: Any, kind: str, *, decimal: str | None = None,
            formats: list[str] | None = None) -> Any:
    """`text` as `kind` (text or string, number, integer, date); None and blank stay None."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if kind == "number":
        return parse_number(text, decimal=decimal)
    if kind == "integer":
        number = parse_number(text, decimal=decimal)
        if float(number) != int(number):
            raise ValueError(f"{text!r} is not a whole number")
        return int(number)
    if kind == "date":
        return parse_date(text, formats=formats)
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    return "\n".join(line for line in lines if line)


def select_pages(spec: Any, count: int) -> list[int]:
    """0-based page indexes for a selection: all, 3, -1, last, "2-4", "1,3,5-7", [1, 3]."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "all")):
        return list(range(count))
    parts: list[Any]
    if isinstance(spec, (list, tuple)):
        parts = list(spec)
    elif isinstance(spec, int):
        parts = [spec]
    else:
        parts = [p.strip() for p in str(spec).split(",") if p.strip()]
    chosen: list[int] = []
    for part in parts:
        for number in _page_numbers(part, count):
            if 1 <= number <= count and number - 1 not in chosen:
                chosen.append(number - 1)
    return chosen


def _page_numbers(part: Any, count: int) -> list[int]:
    if isinstance(part, int) and not isinstance(part, bool):
        return [count + 1 + part if part < 0 else part]
    text = str(part).strip().lower()
    if text == "last":
        return [count]
    if text == "first":
        return [1]
    match = re.fullmatch(r"(-?\d+|first)\s*(?:-|\.\.)\s*(\d+|last)?", text)
    if match and not re.fullmatch(r"-\d+", text):
        start = 1 if match.group(1) == "first" else int(match.group(1))
        end = count if match.group(2) in (None, "last") else int(match.group(2))
        return list(range(start, end + 1))
    try:
        return _page_numbers(int(text), count)
    except ValueError:
        raise ValueError(f"page {part!r}: give page numbers from 1 (3, -1, last), ranges (2-4, 3-last) "
                         "or a list of them") from None
