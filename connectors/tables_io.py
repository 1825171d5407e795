"""Reading and writing tables (CSV, Excel, JSON) as lists of plain row mappings, with pandas.

Rows are what robots and the ledger can hold: str, int, float, bool, ISO dates, None (never NaN).
Blank rows are skipped, header whitespace trimmed, unnamed empty columns dropped. CSV files have
their encoding (UTF-8, CP949/EUC-KR, Latin-1...) and delimiter sniffed unless given.
pandas is imported inside functions only.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

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


def sniff_encoding(raw: bytes) -> str:
    """The encoding of a text file: UTF-8 (with or without BOM), else the best guess (CP949, Latin-1...)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(raw[:200_000]).best()
        if best is not None and best.encoding:
            return best.encoding
    except ImportError:  # pragma: no cover - charset-normalizer is a dependency
        pass
    for encoding in ("cp949", "cp1252"):
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_rows(path: Path, *, name: str, fmt: str | None = None, sheet: str | int | None = None,
              encoding: str | None = None, delimiter: str | None = None, decimal: str = ".", skip_rows: int = 0,
              as_text: bool | list[str] = False) -> list[dict[str, Any]]:
    """The rows of a CSV, Excel or JSON file; BusinessError naming the file when it cannot be read."""
    import pandas as pd

    if not path.is_file():
        raise BusinessError(f"{name}: no such file", file=name)
    kind = table_format(path, fmt)
    text_columns = as_text if isinstance(as_text, list) else None
    dtype: Any = str if as_text is True else ({c: str for c in text_columns} if text_columns else None)
    try:
        if kind == "csv":
            raw = path.read_bytes()
            encoding = encoding or sniff_encoding(raw)
            text = raw.decode(encoding)
            sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text))
            marks = {"decimal": ",", "thousands": "."} if decimal == "," else {}
            frame = pd.read_csv(path, sep=sep, encoding=encoding, skiprows=skip_rows, dtype=dtype,
                                skip_blank_lines=True, dtype_backend="numpy_nullable", **marks)
        elif kind == "excel":
            frame = _read_excel(pd, path, name, sheet, skip_rows, dtype)
        elif kind in ("json", "jsonl"):
            frame = pd.DataFrame(_json_records(path, name, kind == "jsonl"))
            if as_text is True:
                frame = frame.map(lambda v: None if v is None else str(v))
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
    return frame_rows(frame)


def _read_excel(pd: Any, path: Path, name: str, sheet: str | int | None, skip_rows: int, dtype: Any) -> Any:
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
        return pd.read_excel(book, sheet_name=chosen, skiprows=skip_rows, dtype=dtype,
                             dtype_backend="numpy_nullable")


def _json_records(path: Path, name: str, lines: bool) -> list[dict[str, Any]]:
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
    headers = [_header(c, i) for i, c in enumerate(frame.columns)]
    rows = []
    for values in frame.itertuples(index=False, name=None):
        row = {h: plain(v) for h, v in zip(headers, values)}
        if any(v not in (None, "") for v in row.values()):
            rows.append(row)
    unnamed = [h for h in headers if h.startswith("column_") and all(r[h] in (None, "") for r in rows)]
    if unnamed:
        rows = [{k: v for k, v in r.items() if k not in unnamed} for r in rows]
    return rows


def _header(value: Any, index: int) -> str:
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


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(path.resolve()), threading.Lock())


def write_rows(path: Path, rows: list[Any], *, name: str, fmt: str | None = None, columns: list[str] | None = None,
               sheet: str = "Sheet1", encoding: str = "utf-8", delimiter: str = ",", append: bool = False) -> int:
    """Write rows (mappings, or lists with `columns`) to CSV, Excel or JSON; returns the rows written.

    Writers of one file in this process take turns, so items appending to a shared sheet lose no row."""
    with _lock(path):
        return _write_rows(path, rows, name=name, fmt=fmt, columns=columns, sheet=sheet, encoding=encoding,
                           delimiter=delimiter, append=append)


def _write_rows(path: Path, rows: list[Any], *, name: str, fmt: str | None, columns: list[str] | None,
                sheet: str, encoding: str, delimiter: str, append: bool) -> int:
    import pandas as pd

    kind = table_format(path, fmt)
    if kind == "excel" and path.suffix.lower() in READ_ONLY_SUFFIXES:
        raise BusinessError(f"{name}: {path.suffix} files are read, not written; write an .xlsx file (Excel "
                            "and LibreOffice open it)", file=name)
    if any(not isinstance(r, (dict, list, tuple)) for r in rows):
        raise BusinessError(f"{name}: rows must be mappings (or lists with `columns:`)", file=name)
    if rows and isinstance(rows[0], (list, tuple)):
        if not columns:
            raise BusinessError(f"{name}: rows are lists: name their columns with `columns:`", file=name)
        frame = pd.DataFrame([list(r) for r in rows], columns=columns)
    else:
        frame = pd.DataFrame(rows, columns=columns or None)
    path.parent.mkdir(parents=True, exist_ok=True)
    if append and path.exists():
        if kind == "excel":
            frame = pd.concat([_existing_sheet(pd, path, sheet), frame], ignore_index=True)
        elif kind == "csv":
            frame.to_csv(path, mode="a", header=False, index=False, sep=delimiter, encoding=encoding)
            return len(frame)
        elif kind in ("json", "jsonl"):
            frame = pd.concat([pd.DataFrame(_json_records(path, name, kind == "jsonl")), frame], ignore_index=True)
    _atomic(path, lambda tmp: _dump(pd, frame, tmp, kind, sheet=sheet, encoding=encoding, delimiter=delimiter,
                                    keep_sheets_of=path if kind == "excel" and append and path.exists() else None))
    return len(frame)


def _existing_sheet(pd: Any, path: Path, sheet: str) -> Any:
    with pd.ExcelFile(path, engine="calamine") as book:
        return pd.read_excel(book, sheet_name=sheet) if sheet in book.sheet_names else pd.DataFrame()


def _dump(pd: Any, frame: Any, target: Path, kind: str, *, sheet: str, encoding: str, delimiter: str,
          keep_sheets_of: Path | None) -> None:
    if kind == "csv":
        frame.to_csv(target, index=False, sep=delimiter, encoding=encoding)
    elif kind == "excel":
        if keep_sheets_of is not None:
            import shutil

            shutil.copyfile(keep_sheets_of, target)
            with pd.ExcelWriter(target, engine="openpyxl", mode="a", if_sheet_exists="replace") as writer:
                frame.to_excel(writer, sheet_name=sheet, index=False)
        else:
            with pd.ExcelWriter(target, engine="openpyxl") as writer:
                frame.to_excel(writer, sheet_name=sheet, index=False)
    else:
        records = [{k: plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
        if kind == "jsonl":
            text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
        else:
            text = json.dumps(records, ensure_ascii=False, default=str, indent=2) + "\n"
        target.write_text(text, encoding="utf-8")


def _atomic(path: Path, write: Any) -> None:
    """Write to a temporary file beside `path`, then replace it: readers never see half a table."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
