"""Which mark is a number's decimal mark: guessed from the number alone, or told by other numbers.

`1.500` alone is one and a half or fifteen hundred; one number can only guess (a single mark followed by
exactly three digits groups thousands, so it is 1500). Other numbers tell: `0.250`, `12.5`, `1,200.00` and
`1,234,567` can only be read with "." as the decimal mark, `1.234,56` and `0,50` only with ",". So a column
of a table is read with the mark its numbers (or the table's, or the document's) agree on, and the guess
is left for a number nothing else speaks for. Pure functions: `pdf_values` reads the numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

GROUP_SPACES = re.compile(r"[ \u00a0\u202f'’]")
MARKS = (".", ",")


def normalise(digits: str, decimal: str | None, raw: str) -> str:
    """`digits` (a number's digits and marks) as Python reads a number: "1.234,56" -> "1234.56".
    ValueError when it is not grouped in thousands or contradicts `decimal`; `raw` is the text shown."""
    if decimal not in (None, *MARKS):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    plain = GROUP_SPACES.sub("", digits)
    if decimal is None:
        decimal = guess_decimal(plain)
    grouping = "," if decimal == "." else "."
    if decimal and grouping in plain.partition(decimal)[2]:
        # 1.234,56 read with decimal "." would be 1.23456: the number is written in the other format
        raise ValueError(f"{raw!r} is not a number with the decimal mark {decimal!r}: {digits!r} has "
                         f"{grouping!r} after it")
    whole = plain.split(decimal)[0] if decimal else plain
    groups = re.split(r"[" + re.escape(grouping) + r"]", whole)
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and len(groups[-1]) == 3
                                and all(len(g) in (2, 3) for g in groups[1:-1])):
        raise ValueError(f"{raw!r} is not a number: {digits!r} is not grouped in thousands")
    plain = plain.replace(grouping, "")
    if decimal and plain.count(decimal) > 1:
        raise ValueError(f"{digits!r} has more than one decimal mark {decimal!r}")
    return plain.replace(decimal, ".") if decimal else plain


def guess_decimal(digits: str) -> str | None:
    """The decimal mark of one number on its own: the last of two different marks; the other one when a
    mark is used twice; a single mark followed by exactly three digits groups (1,234 and 1.234: 1234)."""
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


def readings(digits: str) -> set[str]:
    """The decimal marks `digits` reads with: {"."} for 0.250, 12.5, 1,200.00 or 1,234,567; {","} for
    1.234,56 or 0,50; both for 1.500 or 1,234 (it tells nothing); none for 12 or 05.01.2026."""
    plain = GROUP_SPACES.sub("", digits)
    if not any(mark in plain for mark in MARKS):
        return set()
    found = set()
    for mark in MARKS:
        try:
            normalise(plain, mark, plain)
        except ValueError:
            continue
        grouping = "," if mark == "." else "."
        whole = plain.split(mark)[0]
        if grouping in whole and whole.startswith("0"):
            continue  # 0.250 is no thousands: "." is its decimal mark
        found.add(mark)
    return found


def agreed_mark(evidence: Iterable[set[str]]) -> str | None:
    """The decimal mark that every number telling one agrees on (each number's `readings`); None when
    none tells, or when they disagree (then each number is read on its own)."""
    told = {mark for marks in evidence if len(marks) == 1 for mark in marks}
    return told.pop() if len(told) == 1 else None
