"""Reading tables (CSV, Excel, JSON) as lists of plain row mappings, with pandas.

Rows are what robots and the ledger can hold: str, int, float, bool, ISO dates, None (never NaN).
Blank rows are skipped, header whitespace trimmed, unnamed empty columns dropped. An Excel cell keeps
its own type (a text cell `00123` stays text beside numbers); the sheet is chosen and read in
connectors/tables_excel.py. CSV columns are typed in connectors/tables_csv.py, which also sniffs their
encoding and delimiter. `read_located` also says where each row was (the row Excel shows), for messages
about one row. Writing lives in connectors/tables_write.py. pandas is imported inside functions only.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.tables_csv import record_lines, sniff_delimiter, sniff_encoding, typed_column
from connectors.tables_excel import read_sheet, unique_labels
from orchestrator.errors import BusinessError

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
           ".xlsb": "excel", ".ods": "excel", ".json": "json", ".jsonl": "jsonl"}
READ_ONLY_SUFFIXES = (".xls", ".xlsb", ".ods")  # read (calamine), never written: Excel files are written as .xlsx


def table_format(path: Path, given: str | None) -> str:
    if given:
        return given
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise BusinessError(f"{path.name}: cannot tell the table format from {path.suffix or 'no extension'!r}; "
                            "say `format: csv`, `excel` or `json`", file=path.name)
    return found


@dataclass
class Located:
    """Rows with where each was read: `lines` holds the number the file shows for each row (the Excel row
    from 1, header included; the CSV record as a spreadsheet numbers it; the position in a JSON list)."""

    rows: list[dict[str, Any]]
    lines: list[int] | None = None
    sheet: str | None = None

    def where(self, index: int, name: str) -> str | None:
        """`row 3 of data/orders.xlsx (sheet Orders)`, or None when the row's place is not known."""
        if self.lines is None or index >= len(self.lines):
            return None
        return f"row {self.lines[index]} of {name}" + (f" (sheet {self.sheet})" if self.sheet else "")


def read_rows(path: Path, *, name: str, fmt: str | None = None, sheet: str | int | None = None,
              encoding: str | None = None, delimiter: str | None = None, decimal: str = ".", skip_rows: int = 0,
              as_text: bool | list[str] = False, json_path: str | None = None) -> list[dict[str, Any]]:
    """The rows of a CSV, Excel or JSON file; BusinessError naming the file when it cannot be read."""
    return read_located(path, name=name, fmt=fmt, sheet=sheet, encoding=encoding, delimiter=delimiter,
                        decimal=decimal, skip_rows=skip_rows, as_text=as_text, json_path=json_path).rows


def read_located(path: Path, *, name: str, fmt: str | None = None, sheet: str | int | None = None,
                 encoding: str | None = None, delimiter: str | None = None, decimal: str = ".", skip_rows: int = 0,
                 as_text: bool | list[str] = False, json_path: str | None = None) -> Located:
    """As `read_rows`, with the place of each row in the file (for messages about one row)."""
    import pandas as pd

    if not path.is_file():
        raise BusinessError(f"{name}: no such file", file=name)
    kind = table_format(path, fmt)
    if json_path and kind != "json":
        raise BusinessError(f"{name}: json_path is for .json files, not {kind}", file=name)
    lines: list[int] | None = None
    chosen = None
    try:
        if kind == "csv":
            raw = path.read_bytes()
            encoding = encoding or sniff_encoding(raw)
            text = raw.decode(encoding)
            sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text))
            frame = pd.read_csv(io.StringIO(text), sep=sep, skiprows=skip_rows, dtype=object, keep_default_na=False,
                                skip_blank_lines=True)
            _type_columns(pd, frame, as_text, lambda cells: typed_column(cells, decimal=decimal))
            lines = record_lines(text, sep, skip_rows, len(frame))
        elif kind == "excel":
            frame, chosen = read_sheet(pd, path, name, sheet, skip_rows)
            lines = [skip_rows + 2 + position for position in range(len(frame))]  # header on row skip_rows + 1
        elif kind in ("json", "jsonl"):
            records = json_records(path, name, kind == "jsonl", json_path)
            frame = pd.DataFrame(records, dtype=object)
            lines = list(range(1, len(records) + 1))
        else:
            raise BusinessError(f"{name}: unknown table format {kind!r}: use csv, excel or json", file=name)
    except BusinessError:
        raise
    except (ValueError, UnicodeDecodeError, LookupError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BusinessError(f"{name}: cannot be read as {kind}: {str(exc).strip() or type(exc).__name__}",
                            file=name) from None
    except ImportError as exc:  # a reader's package missing: say so instead of retrying
        raise BusinessError(f"{name}: cannot be read as {kind}: {exc}; save it as .xlsx or .csv, or install "
                            "the package named", file=name) from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("openpyxl", "zipfile", "xlrd", "python_calamine", "xml"):
            raise BusinessError(f"{name}: cannot be read as {kind}: {exc}", file=name) from None
        raise
    if kind != "csv" and as_text:
        _type_columns(pd, frame, as_text, lambda cells: [_as_text(c) for c in cells], only_text=True)
    rows, kept = _frame_rows(frame)
    return Located(rows, [lines[k] for k in kept] if lines is not None else None, chosen)


def _type_columns(pd: Any, frame: Any, as_text: bool | list[str], convert: Any, *, only_text: bool = False) -> None:
    """Convert the cells of each column in place: the `as_text` ones (only_text), or all the others."""
    text_columns = set(as_text) if isinstance(as_text, list) else set()
    for index, column in enumerate(frame.columns):
        wanted = as_text is True or header_name(column, index) in text_columns
        if wanted == only_text:
            frame[column] = pd.Series(convert(list(frame[column])), index=frame.index, dtype=object)


def _as_text(value: Any) -> str | None:
    """A cell as the text it shows: 1234 (not 1234.0), ISO dates."""
    value = plain(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def json_records(path: Path, name: str, lines: bool, json_path: str | None = None) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if lines:
        data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        data = json.loads(text)
    if json_path:
        data = _at_path(data, json_path, name)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            data = lists[0]
        elif all(isinstance(v, list) for v in data.values()) and data:
            data = [dict(zip(data, values)) for values in zip(*data.values())]  # columns -> rows
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BusinessError(f"{name}: {_not_a_table(data, json_path)}", file=name)
    return data


def _not_a_table(data: Any, json_path: str | None) -> str:
    if json_path:
        return f"json_path {json_path!r} leads to no list of objects"
    found = _list_paths(data)
    where = f"`json_path: {found[0]}`" if found else "`json_path:` (e.g. `json_path: data.items`)"
    more = f" (lists of objects there: {', '.join(found)})" if len(found) > 1 else ""
    return ("a JSON table is a list of objects (or an object holding one list of them): say where the list "
            f"is with {where}{more}")


def _at_path(data: Any, json_path: str, name: str) -> Any:
    """The value at `data.items` (a number picks a list's element: `results.0.rows`; `$.` may lead)."""
    steps = [s for s in json_path.removeprefix("$").strip(".").split(".") if s]
    for number, step in enumerate(steps):
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and step.lstrip("-").isdigit() and -len(data) <= int(step) < len(data):
            data = data[int(step)]
        else:
            there = ".".join(steps[:number]) or "the top level"
            keys = f"; keys there: {', '.join(map(str, data))}" if isinstance(data, dict) else ""
            raise BusinessError(f"{name}: json_path {json_path!r}: no {step!r} in {there}{keys}", file=name)
    return data


def _list_paths(data: Any, prefix: str = "", depth: int = 0) -> list[str]:
    """The dotted paths of the lists of objects in `data`, three levels deep at most."""
    if isinstance(data, list):
        return [prefix] if data and all(isinstance(r, dict) for r in data) else []
    if not isinstance(data, dict) or depth > 3:
        return []
    return [p for k, v in data.items() for p in _list_paths(v, f"{prefix}.{k}" if prefix else str(k), depth + 1)]


def frame_rows(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame as plain rows: trimmed headers, no blank rows, no NaN."""
    return _frame_rows(frame)[0]


def _frame_rows(frame: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """(the plain rows, the position in the frame of each row kept)."""
    headers = unique_headers([header_name(c, i) for i, c in enumerate(frame.columns)])
    rows, kept = [], []
    for position, values in enumerate(frame.itertuples(index=False, name=None)):
        row = {h: plain(v) for h, v in zip(headers, values)}
        if any(v not in (None, "") for v in row.values()):
            rows.append(row)
            kept.append(position)
    unnamed = [h for h in headers if h.startswith("column_") and all(r[h] in (None, "") for r in rows)]
    if unnamed:
        rows = [{k: v for k, v in r.items() if k not in unnamed} for r in rows]
    return rows, kept


def unique_headers(headers: list[str]) -> list[str]:
    """A repeated header gets a number, as pandas numbers them: the second `amount` is `amount.1`."""
    return unique_labels(headers)


def header_name(value: Any, index: int) -> str:
    """A header as text: trimmed, a date header as ISO text, an empty one `column_N`."""
    value = plain(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split()) if value is not None else ""
    if not text or text.startswith("Unnamed:"):
        return f"column_{index + 1}"
    return text


def plain(value: Any) -> Any:
    """A cell as a plain Python value: numpy scalars unwrapped, NaN/NA/NaT -> None, dates -> ISO text."""
    kind = type(value)  # the common cells first: this runs for every cell of a table
    if value is None or kind is int or kind is bool:
        return value
    if kind is str:
        return value.strip() or None
    if kind is float:
        return None if math.isnan(value) else value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        text = value.strip()
        return text if text else None
    if type(value).__name__ == "NaTType":
        return None
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value
