"""CSV text: its encoding and delimiter, and which of its columns are numbers or yes/no.

A CSV cell has no type, so a column is typed as a whole, the way spreadsheet users read it: numbers
when every filled cell is a number in the file's locale (`decimal: ","` reads `1.234,50`, never a
date such as `05.03.2026`), true/false when every filled cell is one, else text. Only an empty
cell is None; `NA` or `null` in a cell is the text it says.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

_POINT_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# decimal ",": groups of exactly three digits after a dot or a space (1.234.567,89, 1 234,5), or none
_COMMA_NUMBER = re.compile(r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?")
_BOOLEANS = {"true": True, "false": False}
_CJK = ("cp949", "euc_kr", "johab", "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030",
        "big5", "big5hkscs", "cp950", "hz")


def sniff_encoding(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 for Western text, CP949 for Korean, else the best guess.

    A short Western export (José, Málaga) is easily taken for another code page by a statistical
    guess, so Windows-1252 wins whenever its reading looks like Latin text: accented letters inside
    words of plain letters, as in `Besançon`; Korean, Japanese or Cyrillic bytes never look so."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = raw[:200_000]
    if _looks_western(sample):
        return "cp1252"
    if _looks_korean(sample):
        return "cp949"
    guess = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        guess = best.encoding if best is not None else None
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        pass
    for encoding in ([guess] if guess else []) + ["cp949", "cp1252"]:
        try:
            raw.decode(encoding)
            return encoding
        except (UnicodeDecodeError, LookupError):
            continue
    return "latin-1"


def _looks_western(raw: bytes) -> bool:
    """Most non-ASCII characters of the Windows-1252 reading are Latin letters beside plain letters."""
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    foreign = beside_letters = 0
    for index, char in enumerate(text):
        if char.isascii():
            continue
        foreign += 1
        latin = "\u00c0" <= char <= "\u00ff" and char not in "\u00d7\u00f7"
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if latin and ((before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())):
            beside_letters += 1
    return foreign > 0 and beside_letters / foreign >= 0.5


def _looks_korean(raw: bytes) -> bool:
    """The CP949 reading is Hangul: a short Korean export (`1,김철수`) is too little for a statistical guess,
    which may take it for Chinese; Chinese or Japanese bytes read as CP949 give Hanja or fail."""
    try:
        text = raw.decode("cp949")
    except UnicodeDecodeError:
        return False
    foreign = [c for c in text if not c.isascii()]
    return bool(foreign) and sum("\uac00" <= c <= "\ud7a3" for c in foreign) / len(foreign) >= 0.8


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def record_lines(text: str, delimiter: str, skip_rows: int, count: int) -> list[int] | None:
    """The row number a spreadsheet shows for each of the `count` data records pandas read (blank lines
    skipped, as pandas skips them; a quoted line break stays in its row); None when they do not match."""
    records = enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
    filled = [number for number, record in records if number > skip_rows and record]
    return filled[1:] if len(filled) == count + 1 else None  # the first filled record is the header


def typed_column(values: list[Any], *, decimal: str = ".") -> list[Any]:
    """The cells of one CSV column: all numbers, all true/false, or text as written (empty -> None)."""
    texts = [v.strip() if isinstance(v, str) else v for v in values]
    filled = [t for t in texts if t not in (None, "")]
    if not filled:
        return [None] * len(values)
    pattern = _COMMA_NUMBER if decimal == "," else _POINT_NUMBER
    if all(pattern.fullmatch(t) for t in filled):
        return [_number(t, decimal) if t not in (None, "") else None for t in texts]
    if all(t.casefold() in _BOOLEANS for t in filled):
        return [_BOOLEANS[t.casefold()] if t not in (None, "") else None for t in texts]
    return [t if t not in (None, "") else None for t in texts]


def _number(text: str, decimal: str) -> int | float:
    if decimal == ",":
        text = re.sub(r"[. \u00a0\u202f]", "", text).replace(",", ".")
    if "." in text or "e" in text.lower():
        return float(text)
    return int(text)
