"""How one value is written into a cell by connectors/tables_write.py: CSV text, or an Excel cell.

A number is written as it shows: `12000` for the float 12000.0 (as table.read gives it and Excel shows it),
`0.00000015` rather than `1.5e-07`, and with `decimal: ","` as `1234,56` for a European system. Excel keeps
15 significant digits of a number, so a longer whole number (an id such as 12345678901234567890) is
written to an Excel sheet as a text cell, never rounded to 12345678901234567168. Dates go to Excel as
date cells, text as text cells (never a formula).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal
from typing import Any

from connectors.tables_io import plain

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")
EXCEL_DIGITS = 15  # the significant digits Excel keeps of a number


def cell_value(value: Any) -> Any:
    """A value for a cell: nested data as JSON text, timezone-aware or odd values as text."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalars
        except (ValueError, AttributeError):
            pass
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else (None if math.isnan(value) else str(value))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (dt.datetime, dt.time)) and value.tzinfo is not None:
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value
    return str(value)


def csv_cell(value: Any, decimal: str = ".") -> str:
    """The text of a value in a CSV file: a number as it shows, with the decimal mark asked for."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.time)):
        return str(plain(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value, decimal)
    return value if isinstance(value, str) else str(value)


def number_text(value: float, decimal: str = ".") -> str:
    """A number as it shows, never in exponent form: 12000.0 is `12000`, 1234.56 with decimal `,` is `1234,56`.

    Python writes a whole float as `12000.0` and a small one as `1.5e-07`: neither is how a spreadsheet
    or a European system reads a number, and a comma locale's reader takes no exponent."""
    text = repr(value) if isinstance(value, float) else str(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    text = text.removesuffix(".0")
    return text.replace(".", decimal) if decimal != "." else text


def too_long_for_excel(value: Any) -> bool:
    """A whole number of more than 15 significant digits: Excel would keep it rounded (12345678901234567890
    becomes 12345678901234500000 in Excel, 12345678901234567168 in the file), so it is written as text."""
    return type(value) is int and len(str(abs(value)).rstrip("0")) > EXCEL_DIGITS


def iso_date(value: Any) -> Any:
    """An ISO date text (`2026-03-05`, `2026-03-05T09:30:00`: how table.read gives a date cell) as a date, so
    that it is written as an Excel date cell; other values as they are. Excel counts no day before 1900."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:  # 2026-02-30
        return value
    if parsed.year < 1900:
        return value
    return parsed.date() if len(value) == 10 else parsed


def put(page: Any, row: int, column: int, value: Any) -> None:
    """One value into an openpyxl cell: dates with a date format, text as text, long whole numbers as text."""
    cell = page.cell(row=row, column=column)
    value = cell_value(value)
    if too_long_for_excel(value):
        value = str(value)
    cell.value = value
    if isinstance(value, (dt.date, dt.datetime)):
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
    if isinstance(value, str):
        cell.data_type = "s"  # text, even `=1+1`: a value is never run as a formula
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True  # and stays text when someone edits the cell in Excel
