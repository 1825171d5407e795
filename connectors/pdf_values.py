"""Reading typed values out of document text: numbers in local formats, dates, page selections.

Pure functions without heavy imports; `pdf.extract` and `table.validate` share them. Each raises
ValueError with a sentence a robot author can act on; the actions turn it into a BusinessError.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from connectors.pdf_decimals import GROUP_SPACES, normalise, readings

# A number: digits with grouping marks; a space groups only when exactly three digits follow.
_NUMBER = re.compile(r"\d(?:[\d.,'’]|[ \u00a0\u202f](?=\d{3}(?!\d)))*")
_MINUS = "-−–"
# What may stand before a number (after a "label:"): signs, brackets, a currency sign or code ("USD",
# "Rs.", "US$", "₩"), "#"; and after it: anything without a digit ("원", "EUR", "units", "%", ")", "-").
_SIGNS = r"+\-−–"  # for a character class
UNKNOWN = "\ufffd"  # a glyph without a character (pdfminer's "(cid:N)"): may stand where a currency sign may
_CURRENCY = "$€£¥₩₹₽₺₫฿₱₪₴₦₲₵₡₸¢₨" + UNKNOWN
CURRENCY_CODES = (  # currency codes and short forms written before an amount: "USD 12", "Rs. 120"
    "USD EUR GBP JPY KRW CNY RMB CHF CAD AUD NZD HKD SGD INR IDR MYR THB VND PHP TWD SEK NOK DKK ISK PLN CZK HUF "
    "RON BGN TRY RUB UAH ILS AED SAR QAR KWD BHD OMR EGP MAD ZAR NGN KES BRL MXN ARS CLP COP PEN "
    "Rs Rp RM kr zł Fr Ft Kč лв руб").replace(" ", "|")
_BEFORE = re.compile(r"[\s(\[#" + _SIGNS + r"]*(?:(?:(?i:" + CURRENCY_CODES + r")\.?"
                     r"|(?:US|HK|NT|NZ|S|A|C|R)(?=\$))?\s*[" + _CURRENCY + r"]?\s*)?[\s(\[" + _SIGNS + r"]*")
# A bank's debit or credit mark after an amount, a currency before it: "1,234.50 CR", "1.234,56 EUR S"
_DEBIT_CREDIT = re.compile(r"\)?\s*(?:[" + _CURRENCY + r"]|(?i:" + CURRENCY_CODES + r")\.?)?\s*"
                           r"(?P<mark>(?i:CR|DR)|S|H)\.?\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Full-width forms of Japanese and Chinese documents ("１，２３４円", "￥", "－", "："). Only this block is
# NFKC-normalised: on the whole text NFKC would also make digits of "²" or a footnote's "¹" after an amount.
_WIDE = re.compile("[\u3000\uff01-\uff5e\uffe0-\uffe6]")
_CID = re.compile(r"\(cid:\d+\)")  # pdfminer's placeholder for a glyph its font maps to no character

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
    A bank's debit and credit marks after it give the sign: `DR` and `S` (Soll) negative, `CR` and `H`
    (Haben) positive. `decimal` ("." or ",") says which mark separates decimals, and a number that
    contradicts it (`1.234,56` with `decimal="."`) is refused; without it the mark is guessed
    (`pdf_decimals.guess_decimal`: 1,234 and 1.234 are both 1234). Full-width digits and marks read as
    ASCII ones; a trailing dash after a yen or won amount (`￥1,234,567－`) ends it and is no minus.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    digits, negative = _locate(text)
    value = normalise(digits, decimal, " ".join(str(text).split()))  # the text as written, in messages
    number: int | float = float(value) if "." in value else int(value)
    return -number if negative else number


def number_marks(text: Any) -> set[str]:
    """The decimal marks the one number of `text` reads with (`pdf_decimals.readings`): what it tells of
    its document's decimal mark. Empty when it tells nothing or is not one number."""
    try:
        digits, _ = _locate(text)
    except ValueError:
        return set()
    return readings(digits)


def _locate(text: Any) -> tuple[str, bool]:
    """The digits and marks of the one number in `text`, and whether it is negative."""
    raw, shown = clean(str(text)), " ".join(str(text).split())
    found = _NUMBER.search(raw)
    if not found:
        raise ValueError(f"{shown!r} is not a number")
    for found in _NUMBER.finditer(raw):
        digits = found.group().rstrip(".,' ")
        before, after = raw[: found.start()], raw[found.start() + len(digits):]
        label, colon, tail = before.rpartition(":")
        if colon and not label[-1:].isdigit():  # a label before a colon ("Total due: 1,234"), not a time's
            before = tail
        if any(c.isdigit() for c in after):
            continue  # a second number after this one: a date, an id, a range, "1 of 2"
        bracketed = "(" in before and ")" in after
        if bracketed and _CJK.search(before[:before.rfind("(")]):
            before, bracketed = before[before.rfind("(") + 1:], False  # an aside after words: not a minus
        if not _BEFORE.fullmatch(before) or before[-1:].isalpha() or re.search(r"[^\W\d_][\-−–]$", before):
            continue  # words before the number, or an id glued to it (PO-55123)
        trailing = after.lstrip()[:1] in tuple(_MINUS) and not _dash_ends_amount(before, raw)
        debit = _DEBIT_CREDIT.match(after)
        negative = (bracketed or any(c in _MINUS for c in before) or trailing
                    or bool(debit and debit.group("mark").upper() in ("DR", "S")))
        return GROUP_SPACES.sub("", digits), negative
    raise ValueError(f"{shown!r} is not one number (words or another number around it)")


def clean(text: str) -> str:
    """Text as numbers and dates are read from it: full-width forms as ASCII, each "(cid:N)" as one
    unknown sign (never a number), whitespace collapsed."""
    text = _WIDE.sub(lambda found: unicodedata.normalize("NFKC", found.group()), text)
    return " ".join(_CID.sub(UNKNOWN, text).split())


def _dash_ends_amount(before: str, raw: str) -> bool:
    """Japanese (and Chinese, Korean) amounts end with a dash so that nothing can be added to them
    (`￥1,234,567－`, `₩1,000,000-`): after a yen or won sign, or among CJK words, it is no minus
    (SAP's `1.234,56-` is one)."""
    return "¥" in before or "₩" in before or bool(_CJK.search(raw))


def parse_date(text: Any, *, formats: list[str] | tuple[str, ...] | None = None) -> str:
    """The ISO date (YYYY-MM-DD) in `text`, trying `formats` in order; ValueError when none fits.

    The whole text is tried first, then runs of its words (longest first), so that a label or a
    weekday around the date does not spoil it.
    """
    if isinstance(text, dt.datetime):
        return text.date().isoformat()
    if isinstance(text, dt.date):
        return text.isoformat()
    raw = clean(str(text))
    if not raw:
        raise ValueError("an empty text is not a date")
    tries = list(formats or DEFAULT_DATE_FORMATS)
    if not formats:
        found = _year_first(raw) or _month_name(raw) or _day_and_month(raw)
        if found:
            return found
    words = raw.split(" ")
    spans = [raw] + [" ".join(words[i:j]) for size in range(min(len(words), 6), 0, -1)
                     for i in range(len(words) - size + 1) for j in (i + size,)]
    for candidate in spans:
        candidate = candidate.strip(" ,;:()[]")
        for fmt in tries:
            try:
                return dt.datetime.strptime(_in_english(candidate, fmt), fmt).date().isoformat()
            except ValueError:
                continue
    shown = ", ".join(tries[:4]) + (", ..." if len(tries) > 4 else "")
    raise ValueError(f"{raw!r} is not a date in the formats tried ({shown}); give `formats:`")


# (a Japanese font's full-width hyphen reads as U+2212: 2026−03−05)
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})\s*[-−./년年]\s*(\d{1,2})\s*[-−./월月]\s*(\d{1,2})(?!\d)\s*[.일日]?")
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


# Month names of the languages of most invoices (English, German, French, Spanish, Italian, Dutch,
# Portuguese), in full and short, with and without accents: strptime's %B and %b know English only.
_MONTH_NAMES = (
    "january jan januar jänner janvier janv enero ene gennaio gen januari janeiro",
    "february feb februar février fevrier févr fevr febrero febbraio februari fevereiro fev",
    "march mar märz maerz mrz mars marzo maart mrt março marco",
    "april apr avril avr abril abr aprile",
    "may mai mayo maggio mag mei maio",
    "june jun juni juin junio giugno giu junho",
    "july jul juli juillet juil julio luglio lug julho",
    "august aug août aout agosto ago augustus",
    "september sep sept septembre septiembre setiembre settembre set setembro",
    "october oct oktober okt octobre octubre ottobre ott outubro out",
    "november nov novembre noviembre novembro",
    "december dec dezember dez décembre decembre déc diciembre dic dicembre dezembro",
)
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
_ENGLISH = [names.split()[0].capitalize() for names in _MONTH_NAMES]
_MONTH = r"(?<![^\W\d_])(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?![^\W\d_])"
_MONTH_WORD = re.compile(_MONTH.replace(r"\.?", ""), re.IGNORECASE)
_DATES_WITH_NAMES = (  # 3. März 2026, 1er mars 2026, 5 de marzo de 2026, 5th March 2026; March 5th, 2026; 05-Mar-26
    re.compile(r"(?<!\d)(?P<day>\d{1,2})(?:st|nd|rd|th|er|º|°)?\.?[\s,./-]*(?:de\s+)?" + _MONTH
               + r"[\s,./-]*(?:de\s+)?(?P<year>\d{4})(?!\d)", re.IGNORECASE),
    re.compile(_MONTH + r"[\s/-]*(?P<day>\d{1,2})(?:st|nd|rd|th)?(?!\d)[\s,./-]*(?P<year>\d{4})(?!\d)", re.IGNORECASE),
    # a two-digit year only between the same marks: "1 Jan-31 Dec 2026" is no 2031
    re.compile(r"(?<!\d)(?P<day>\d{1,2})(?P<mark>[-/.])" + _MONTH.replace(r"\.?", "")
               + r"(?P=mark)(?P<year>\d{2})(?!\d)", re.IGNORECASE),
)


def _month_name(text: str) -> str | None:
    """A date with its month's name (in one of seven languages) is never ambiguous: the first in `text`."""
    found = [match for pattern in _DATES_WITH_NAMES if (match := pattern.search(text))]
    for match in sorted(found, key=lambda m: m.start()):
        year = int(match["year"]) + (2000 if len(match["year"]) == 2 else 0)
        try:
            return dt.date(year, MONTHS[match["month"].lower()], int(match["day"])).isoformat()
        except ValueError:
            continue
    return None


def _in_english(text: str, fmt: str) -> str:
    """`text` with its month names in English, for the %B (full) or %b (short) of `fmt`: `formats:
    ["%d. %B %Y"]` then reads `3. März 2026`."""
    if "%B" not in fmt and "%b" not in fmt:
        return text

    def english(found: re.Match[str]) -> str:
        name = _ENGLISH[MONTHS[found.group("month").lower()] - 1]
        return name if "%B" in fmt else name[:3]

    return _MONTH_WORD.sub(english, text)


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
