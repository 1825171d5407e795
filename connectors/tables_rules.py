"""Row validation for `table.validate`: required columns, types, ranges, patterns, allowed values.

`check_row` returns the row with its values typed (numbers as numbers, dates as ISO text) and the
list of what is wrong with it, each a sentence naming the column and the value. Text values are
compared trimmed (`'closed '` is one of `[open, closed]`); a rule's own mistakes (a `min` that is no
number) are refused when the rule is read, not blamed on every row. A pattern is shown as the YAML
wrote it, with single backslashes, not as Python's repr that doubles them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from connectors.pdf_values import parse_date, parse_number
from orchestrator.actions import suggest
from orchestrator.wording import as_written

RuleType = Literal["text", "string", "number", "integer", "date", "boolean", "email"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# yes/no as sheets write them in English, Korean, German, French and Spanish (sí with or without accent)
_TRUE = {"true", "yes", "y", "1", "on", "예", "네", "o", "ja", "wahr", "oui", "vrai", "sí", "si", "verdadero"}
_FALSE = {"false", "no", "n", "0", "off", "아니오", "아니요", "x", "nein", "falsch", "non", "faux", "falso"}
_SERIAL_DAYS = (20000, 80000)  # Excel's day numbers from 1954-10-03 to 2119-01-09: a date cell without its format
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: RuleType | None = None
    required: bool = False
    min: int | float | str | None = Field(None, description="Smallest number (or ISO date) allowed.")
    max: int | float | str | None = Field(None, description="Largest number (or ISO date) allowed.")
    pattern: str | None = Field(None, description="A regular expression the whole text must match.")
    one_of: list[Any] | None = Field(None, validation_alias=AliasChoices("one_of", "in"))
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)
    unique: bool = False
    decimal: Literal[".", ","] | None = None
    formats: list[str] | None = None

    @model_validator(mode="after")
    def _valid_rule(self) -> ColumnRule:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(as_written(f"pattern {self.pattern!r} is not a valid regular expression: {exc}",
                                            self.pattern)) from None
        kind = self.type or "number"
        for label, bound in (("min", self.min), ("max", self.max)):
            if bound is None:
                continue
            if kind not in ("number", "integer", "date"):
                raise ValueError(f"{label} is for numbers and dates, not for type {kind} (min_length and "
                                 "max_length bound a text)")
            try:
                _bound(bound, self)
            except ValueError:
                raise ValueError(f"{label} {bound!r} is not {'a date' if kind == 'date' else 'a number'}") from None
        return self


def check_row(row: dict[str, Any], *, required: list[str], rules: dict[str, ColumnRule]
              ) -> tuple[dict[str, Any], list[str]]:
    """(the row with typed values, the problems found)."""
    problems: list[str] = []
    typed = dict(row)
    for column in required:
        if column not in rules and _blank(row.get(column)):
            problems.append(_missing(column, row))
    for column, rule in rules.items():
        value = row.get(column)
        if _blank(value):
            if rule.required:
                problems.append(_missing(column, row))
            typed[column] = None
            continue
        try:
            typed[column] = _check(column, value, rule)
        except ValueError as exc:
            problems.append(str(exc))
    return typed, problems


def _missing(column: str, row: dict[str, Any]) -> str:
    if column in row:
        return f"{column} is missing"
    return f"column {column!r} is missing{did_you_mean(column, [str(k) for k in row])}"


def did_you_mean(name: str, columns: list[str]) -> str:
    """` (did you mean 'Amount'?)` for a misspelled column, case aside; empty when none is close."""
    same = [c for c in columns if c.strip().casefold() == name.strip().casefold()]
    return f" (did you mean {same[0]!r}?)" if same else suggest(name, columns)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check(column: str, value: Any, rule: ColumnRule) -> Any:
    shown = repr(value)
    converted = _convert(column, value, rule)
    if rule.min is not None or rule.max is not None:
        low, high = _bound(rule.min, rule), _bound(rule.max, rule)
        if low is not None and converted < low:
            raise ValueError(f"{column} {shown} is below the minimum {rule.min}")
        if high is not None and converted > high:
            raise ValueError(f"{column} {shown} is above the maximum {rule.max}")
    text = str(converted)
    if rule.min_length is not None and len(text) < rule.min_length:
        raise ValueError(f"{column} {shown} is shorter than {rule.min_length} characters")
    if rule.max_length is not None and len(text) > rule.max_length:
        raise ValueError(f"{column} {shown} is longer than {rule.max_length} characters")
    if rule.pattern is not None and not re.fullmatch(rule.pattern, str(value).strip()):
        raise ValueError(as_written(f"{column} {shown} does not match the pattern {rule.pattern!r}", rule.pattern))
    if rule.one_of is not None and converted not in rule.one_of and str(converted).strip() not in {
            str(v).strip() for v in rule.one_of}:
        allowed = ", ".join(map(str, rule.one_of[:10])) + (", ..." if len(rule.one_of) > 10 else "")
        raise ValueError(f"{column} {shown} is not one of: {allowed}")
    return converted


def _convert(column: str, value: Any, rule: ColumnRule) -> Any:
    kind = rule.type or ("number" if rule.min is not None or rule.max is not None else None)
    try:
        if kind in ("number", "integer"):
            number = parse_number(value, decimal=rule.decimal)
            if kind == "integer":
                if float(number) != int(number):
                    raise ValueError("not a whole number")
                number = int(number)
            return number
        if kind == "date":
            return excel_serial_date(value) or _date(value, rule.formats)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            word = str(value).strip().casefold()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise ValueError("not yes/no")
        if kind == "email":
            text = str(value).strip()
            if not _EMAIL.match(text):
                raise ValueError("not an e-mail address")
            return text
        if kind in ("text", "string"):
            return str(value).strip() if not isinstance(value, str) else value.strip()
    except ValueError:
        raise ValueError(f"{column} {value!r} is not {_article(kind)}") from None
    return value.strip() if isinstance(value, str) else value  # 'closed ' is `closed`, as Excel shows it


def _date(value: Any, formats: list[str] | None) -> str:
    """The ISO date of `value` in one of `formats`, or else in ISO form: `2026-01-08` and `2026-01-08T14:30:00`
    are how table.read gives an Excel date cell, so a column of typed dates beside dates as text passes."""
    try:
        return parse_date(value, formats=formats)
    except ValueError:
        if formats and isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            return parse_date(value.strip())  # ValueError still for 2026-02-30
        raise


def excel_serial_date(value: Any) -> str | None:
    """The ISO date of an Excel day number (46090 is 2026-03-09: a date cell that lost its date format, or
    read with `as_text`), when `value` is a number from 20000 to 80000; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, str) and not _SERIAL.fullmatch(value.strip()):
        return None
    days = float(value)
    if not _SERIAL_DAYS[0] <= days < _SERIAL_DAYS[1]:
        return None
    return (dt.date(1899, 12, 30) + dt.timedelta(days=int(days))).isoformat()


def _article(kind: str | None) -> str:
    return {"integer": "a whole number", "email": "an e-mail address", "boolean": "yes or no"}.get(
        kind or "", f"a {kind}")


def _bound(bound: float | str | None, rule: ColumnRule) -> Any:
    if bound is None:
        return None
    if rule.type == "date":
        return parse_date(bound) if not isinstance(bound, dt.date) else bound.isoformat()
    return parse_number(bound) if isinstance(bound, str) else bound


def duplicates(rows: list[dict[str, Any]], columns: list[str]) -> dict[int, str]:
    """Row index -> problem, for rows repeating the value(s) of an earlier row in `columns`."""
    seen: dict[tuple[Any, ...], int] = {}
    found: dict[int, str] = {}
    for index, row in enumerate(rows):
        key = tuple(row.get(c) for c in columns)
        if all(_blank(v) for v in key):
            continue
        if key in seen:
            shown = ", ".join(f"{c}={row.get(c)!r}" for c in columns)
            found[index] = f"{shown} repeats row {seen[key] + 1}"
        else:
            seen[key] = index
    return found
