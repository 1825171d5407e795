"""Reading tables (CSV, Excel, JSON) as lists of plain row mappings, with pandas.

Rows are what robots and the ledger can hold: str, int, float, bool, ISO dates, None (never NaN).
Blank rows are skipped, header whitespace trimmed, unnamed empty columns dropped. An Excel cell keeps
its own type (a text cell `00123` stays text beside numbers); CSV columns are typed in
connectors/tables_csv.py, which also sniffs their encoding and delimiter. Writing lives in
connectors/tables_write.py. pandas is imported inside functions only.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

from connectors.tables_csv import sniff_delimiter, sniff_encoding, typed_column
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


def read_rows(path: Path, *, name: str, fmt: str | None = None, sheet: str | int | None = None,
              encoding: str | None = None, delimiter: str | None = None, decimal: str = ".", skip_rows: int = 0,
              as_text: bool | list[str] = False) -> list[dict[str, Any]]:
    """The rows of a CSV, Excel or JSON file; BusinessError naming the file when it cannot be read."""
    import pandas as pd

    if not path.is_file():
        raise BusinessError(f"{name}: no such file", file=name)
    kind = table_format(path, fmt)
    try:
        if kind == "csv":
            raw = path.read_bytes()
            encoding = encoding or sniff_encoding(raw)
            text = raw.decode(encoding)
            sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text))
            frame = pd.read_csv(io.StringIO(text), sep=sep, skiprows=skip_rows, dtype=object, keep_default_na=False,
                                skip_blank_lines=True)
            _type_columns(pd, frame, as_text, lambda cells: typed_column(cells, decimal=decimal))
        elif kind == "excel":
            frame = _read_excel(pd, path, name, sheet, skip_rows)
        elif kind in ("json", "jsonl"):
            frame = pd.DataFrame(json_records(path, name, kind == "jsonl"), dtype=object)
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
        if type(exc).__module__.split(".")[0] in ("openpyxl", "zipfile", "xlrd", "python_calamine"):
            raise BusinessError(f"{name}: cannot be read as {kind}: {exc}", file=name) from None
        raise
    if kind != "csv" and as_text:
        _type_columns(pd, frame, as_text, lambda cells: [_as_text(c) for c in cells], only_text=True)
    return frame_rows(frame)


def _type_columns(pd: Any, frame: Any, as_text: bool | list[str], convert: Any, *, only_text: bool = False) -> None:
    """Convert the cells of each column in place: the `as_text` ones (only_text), or all the others."""
    text_columns = set(as_text) if isinstance(as_text, list) else set()
    for index, column in enumerate(frame.columns):
        wanted = as_text is True or header_name(column, index) in text_columns
        if wanted == only_text:
            frame[column] = pd.Series(convert(list(frame[column])), index=frame.index, dtype=object)


def _read_excel(pd: Any, path: Path, name: str, sheet: str | int | None, skip_rows: int) -> Any:
    # calamine (Rust) reads .xlsx, .xlsm, .xls, .xlsb and .ods, several times faster than openpyxl
    with pd.ExcelFile(path, engine="calamine") as book:
        names = list(book.sheet_names)
        if sheet is None:
            chosen: str | int = 0
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
            index = int(sheet)
            if not 0 <= index < len(names):
                raise BusinessError(f"{name}: there is no sheet number {index} (from 0); sheets: "
                                    f"{', '.join(names)}", file=name)
            chosen = index
        elif sheet not in names:
            matches = [n for n in names if n.strip().casefold() == str(sheet).strip().casefold()]
            if not matches:
                raise BusinessError(f"{name}: no sheet {sheet!r}; sheets: {', '.join(names)}", file=name)
            chosen = matches[0]
        else:
            chosen = sheet
        # dtype=object: every cell keeps the type Excel gave it (one text cell leaves the numbers numbers)
        return pd.read_excel(book, sheet_name=chosen, skiprows=skip_rows, dtype=object, keep_default_na=False,
                             na_values=[""])


def _as_text(value: Any) -> str | None:
    """A cell as the text it shows: 1234 (not 1234.0), ISO dates."""
    value = plain(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)


def json_records(path: Path, name: str, lines: bool) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if lines:
        data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        data = json.loads(text)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            data = lists[0]
        elif all(isinstance(v, list) for v in data.values()) and data:
            data = [dict(zip(data, values)) for values in zip(*data.values())]  # columns -> rows
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise BusinessError(f"{name}: a JSON table is a list of objects (or an object holding one list of "
                            "them)", file=name)
    return data


def frame_rows(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame as plain rows: trimmed headers, no blank rows, no NaN."""
    headers = unique_headers([header_name(c, i) for i, c in enumerate(frame.columns)])
    rows = []
    for values in frame.itertuples(index=False, name=None):
        row = {h: plain(v) for h, v in zip(headers, values)}
        if any(v not in (None, "") for v in row.values()):
            rows.append(row)
    unnamed = [h for h in headers if h.startswith("column_") and all(r[h] in (None, "") for r in rows)]
    if unnamed:
        rows = [{k: v for k, v in r.items() if k not in unnamed} for r in rows]
    return rows


def unique_headers(headers: list[str]) -> list[str]:
    """A repeated header gets a number, as pandas numbers them: the second `amount` is `amount.1`."""
    seen: set[str] = set()
    result = []
    for header in headers:
        name, number = header, 0
        while name in seen:
            number += 1
            name = f"{header}.{number}"
        seen.add(name)
        result.append(name)
    return result


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
    if value is None:
        return None
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
