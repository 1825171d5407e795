"""Writing tables (CSV, Excel, JSON) from rows: files replaced whole, appends lined up by column name.

Each value is written as what it is: text as text (in Excel a text cell, never a formula, even when
it begins with `=`), numbers and true/false as such, dates in Excel as date cells (an ISO date text
too: it is how table.read gives a date cell), a nested mapping or list as JSON text. An
append puts each value under the column of its name in the file's header and keeps the cells
already there as they are; a column the file lacks is added at the end of its header (the earlier
rows stay empty in it), as a JSON append does. How each value goes into a cell (numbers as they
show, a decimal comma, long whole numbers as Excel text) is in connectors/tables_values.py. A written
file gets the permissions of any new file (0666 less the umask), so that colleagues can read it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from connectors.tables_csv import sniff_delimiter, sniff_encoding
from connectors.tables_io import READ_ONLY_SUFFIXES, header_name, json_records, plain, table_format
from connectors.tables_values import csv_cell, iso_date, put
from orchestrator.errors import BusinessError

_SHEET_FORBIDDEN = "[]:*?/\\"
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(path.resolve()), threading.Lock())


def write_rows(path: Path, rows: list[Any], *, name: str, fmt: str | None = None, columns: list[str] | None = None,
               sheet: str = "Sheet1", encoding: str | None = None, delimiter: str | None = None,
               append: bool = False, as_text: bool | list[str] = False, decimal: str = ".") -> int:
    """Write rows (mappings, or lists with `columns`) to CSV, Excel or JSON; returns the rows written.

    Writers of one file in this process take turns, so items appending to a shared sheet lose no row.
    An append to a CSV file keeps its encoding and delimiter unless they are given. `decimal: ","` writes
    a CSV's numbers with a decimal comma, and then `;` between the columns unless a delimiter is given."""
    kind = table_format(path, fmt)
    if kind == "excel" and path.suffix.lower() in READ_ONLY_SUFFIXES:
        raise BusinessError(f"{name}: {path.suffix} files are read, not written; write an .xlsx file (Excel "
                            "and LibreOffice open it)", file=name)
    if kind not in ("csv", "excel", "json", "jsonl"):
        raise BusinessError(f"{name}: unknown table format {kind!r}: use csv, excel or json", file=name)
    if kind == "excel" and sheet_name_problem(sheet):
        raise BusinessError(f"{name}: {sheet_name_problem(sheet)}", file=name)
    records = _records(rows, columns, name)
    header = [str(c) for c in columns] if columns else list(dict.fromkeys(k for r in records for k in r))
    with _lock(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = append and path.is_file() and path.stat().st_size > 0
        try:
            if kind == "csv":
                _write_csv(path, records, header, encoding=encoding, delimiter=delimiter, append=existing,
                           decimal=decimal)
            elif kind == "excel":
                _write_excel(path, records, header, sheet=sheet, append=existing, as_text=as_text)
            else:
                _write_json(path, records, header, name=name, lines=kind == "jsonl", append=existing)
        except UnicodeError as exc:
            raise BusinessError(f"{name}: cannot be written as {encoding or 'the encoding of the file'}: {exc}; "
                                "say `encoding: utf-8`", file=name) from None
        except ValueError as exc:  # a sheet name Excel refuses, a control character in a text
            raise BusinessError(f"{name}: cannot be written as {kind}: {exc}", file=name) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] in ("openpyxl", "zipfile"):
                raise BusinessError(f"{name}: cannot be written as {kind}: {exc}", file=name) from None
            raise
    return len(records)


def _records(rows: list[Any], columns: list[str] | None, name: str) -> list[dict[str, Any]]:
    records = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, dict):
            record = {str(k): v for k, v in row.items()}
            records.append({str(c): record.get(str(c)) for c in columns} if columns else record)
        elif isinstance(row, (list, tuple)):
            if not columns:
                raise BusinessError(f"{name}: rows are lists: name their columns with `columns:`", file=name)
            if len(row) != len(columns):
                raise BusinessError(f"{name}: row {number} has {len(row)} value(s) for {len(columns)} columns "
                                    f"({', '.join(map(str, columns))})", file=name)
            records.append(dict(zip(map(str, columns), row)))
        else:
            raise BusinessError(f"{name}: rows must be mappings (or lists with `columns:`)", file=name)
    return records


def _key(name: Any) -> str:
    return " ".join(str(name).split())


def _lined_up(file_header: list[Any], header: list[str]) -> tuple[list[str], dict[str, int]]:
    """(the columns to add to the file, the position of each row key in the file's header)."""
    positions = {header_name(h, i): i for i, h in reversed(list(enumerate(file_header)))}
    added = [c for c in header if _key(c) not in positions]
    for offset, column in enumerate(added):
        positions[_key(column)] = len(file_header) + offset
    return added, positions


def _write_csv(path: Path, records: list[dict[str, Any]], header: list[str], *, encoding: str | None,
               delimiter: str | None, append: bool, decimal: str = ".") -> None:
    # CSV values are written as they are, with no quote put before `=`, `+`, `-` or `@` (OWASP's advice
    # against formulas): robots read CSV back as data, and `-12` or `+82 10...` must stay what they are.
    if not append:
        delimiter = delimiter or (";" if decimal == "," else ",")  # a decimal comma goes with `;` columns
        lines = [header] * bool(header) + _cells(records, header, decimal)
        _atomic(path, lambda tmp: tmp.write_bytes(_csv_text(lines, delimiter, "\n").encode(encoding or "utf-8")))
        return
    raw = path.read_bytes()
    encoding = encoding or sniff_encoding(raw)
    text = raw.decode(encoding)
    delimiter = delimiter or sniff_delimiter(text)
    ending = "\r\n" if "\r\n" in text[: text.find("\n") + 1] else "\n"
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    file_header = lines[0] if lines else []
    added, positions = _lined_up(file_header, header)
    width = len(file_header) + len(added)
    new_lines = [_placed(r, positions, width, decimal) for r in records]
    if added:  # the header grows: the file is written again, its rows as they were, empty in the new columns
        rows = [file_header + added] + [line + [""] * (width - len(line)) if line else line for line in lines[1:]]
        body = _csv_text(rows + new_lines, delimiter, ending)
        _atomic(path, lambda tmp: tmp.write_bytes(body.encode(encoding)))
        return
    body = ("" if text.endswith(("\n", "\r")) else ending) + _csv_text(new_lines, delimiter, ending)
    stream = {"utf-8-sig": "utf-8", "utf-16": "utf-16-be" if raw.startswith(b"\xfe\xff") else "utf-16-le"}
    with path.open("ab") as out:
        out.write(body.encode(stream.get(encoding.lower(), encoding)))


def _cells(records: list[dict[str, Any]], header: list[str], decimal: str) -> list[list[str]]:
    return [[csv_cell(r.get(c), decimal) for c in header] for r in records]


def _placed(record: dict[str, Any], positions: dict[str, int], width: int, decimal: str) -> list[str]:
    line = [""] * width
    for key, value in record.items():
        line[positions[_key(key)]] = csv_cell(value, decimal)
    return line


def _csv_text(rows: list[list[str]], delimiter: str, ending: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(rows)
    return out.getvalue()


def sheet_name_problem(sheet: str) -> str | None:
    """Why Excel would refuse (or not open) a sheet of this name; None when it is a good name."""
    if not sheet.strip():
        return "an Excel sheet needs a name"
    if len(sheet) > 31:
        return f"sheet name {sheet!r} has {len(sheet)} characters: Excel allows 31 at most"
    bad = sorted({c for c in sheet if c in _SHEET_FORBIDDEN})
    if bad:
        return f"sheet name {sheet!r} has {' '.join(bad)}: Excel refuses any of {_SHEET_FORBIDDEN} in a sheet name"
    if sheet.startswith("'") or sheet.endswith("'"):
        return f"sheet name {sheet!r} begins or ends with ': Excel refuses that"
    if sheet.casefold() == "history":
        return "sheet name 'History' is reserved by Excel"
    return None


def _write_excel(path: Path, records: list[dict[str, Any]], header: list[str], *, sheet: str, append: bool,
                 as_text: bool | list[str] = False) -> None:
    """openpyxl cell by cell: the cells already in the sheet keep their types (a text `01234` stays text)."""
    from openpyxl import Workbook, load_workbook

    if append:
        book = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
        found = [n for n in book.sheetnames if n == sheet] or [
            n for n in book.sheetnames if n.strip().casefold() == sheet.strip().casefold()]
        page = book[found[0]] if found else book.create_sheet(sheet)
    else:
        book = Workbook()
        page = book.active
        page.title = sheet
    file_header = [c.value for c in page[1]] if page.max_row >= 1 else []
    while file_header and file_header[-1] in (None, ""):
        file_header.pop()
    last = _last_row(page) if file_header else 0
    added, positions = _lined_up(file_header, header)
    for offset, column in enumerate(added):
        put(page, 1, len(file_header) + offset + 1, column)
    row_number = max(last, 1)
    text_keys = {_key(c) for c in as_text} if isinstance(as_text, list) else set()
    for record in records:
        row_number += 1
        for key, value in record.items():
            if as_text is not True and _key(key) not in text_keys:
                value = iso_date(value)
            put(page, row_number, positions[_key(key)] + 1, value)
    _atomic(path, lambda tmp: book.save(tmp))


def _last_row(page: Any) -> int:
    for number in range(page.max_row, 0, -1):
        if any(c.value not in (None, "") for c in page[number]):
            return number
    return 0


def _write_json(path: Path, records: list[dict[str, Any]], header: list[str], *, name: str, lines: bool,
                append: bool) -> None:
    if append:
        records = json_records(path, name, lines) + records
        header = list(dict.fromkeys([k for r in records for k in r] + header))
    rows = [{k: plain(r.get(k)) for k in header} for r in records]
    if lines:
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    else:
        text = json.dumps(rows, ensure_ascii=False, default=str, indent=2) + "\n"
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _atomic(path: Path, write: Any) -> None:
    """Write to a temporary file beside `path`, then replace it: readers never see half a table."""
    tmp = _new_file(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _new_file(path: Path) -> Path:
    """An empty temporary file beside `path`, with the permissions of any new file (0666 less the umask:
    rw-r--r-- as a rule). tempfile.mkstemp makes it rw------- for its owner alone, and the renamed file
    kept that: colleagues could not open an export written to a shared folder."""
    for _attempt in range(100):
        tmp = path.parent / f".{path.stem}-{secrets.token_hex(4)}{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask applies, as to open()
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
