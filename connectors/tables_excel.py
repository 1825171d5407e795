"""Reading one Excel sheet for connectors/tables_io.py: which sheet, and the cells calamine leaves empty.

calamine reads .xlsx, .xlsm, .xls, .xlsb and .ods several times faster than openpyxl, but it gives an
error cell (`#DIV/0!`) and a formula that was never calculated both as an empty cell, and a number as
the number whatever zeros its format shows. In an .xlsx or .xlsm file the sheet's XML says which they
are: an error cell is read as its error text, a formula without a value fails the read, naming the
cell, rather than reading as an empty cell, and a number formatted `00000` reads as the text Excel
shows (connectors/tables_formats.py); .xls, .xlsb and .ods cells are as calamine gives them. Hidden
sheets are skipped by the default and by sheet numbers.
A file with an Excel name that is no workbook (an HTML page, a TSV export) is described, not guessed.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from connectors.tables_formats import column_number, padded_cells, padded_styles, shown_padded
from orchestrator.errors import BusinessError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_FORMULA_OR_ERROR = re.compile(rb"<(?:\w+:)?f[\s>/]|\st=[\"']e[\"']")
_CELL = re.compile(r"([A-Z]+)(\d+)")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # zip (.xlsx, .xlsb, .ods), OLE2 (.xls)


def read_sheet(pd: Any, path: Path, name: str, sheet: str | int | None, skip_rows: int) -> tuple[Any, str]:
    """(the sheet as a DataFrame of objects, the sheet's name); BusinessError naming the file.

    The cells come straight from calamine, each keeping the type Excel gave it (one text cell leaves the
    numbers numbers), as pandas' own calamine reader gives them, at a fraction of its cost: the row
    `skip_rows` (from 0) is the header, an empty header cell is `Unnamed: N` and a repeated one `name.1`."""
    from python_calamine import CalamineWorkbook

    _refuse_non_workbook(path, name)
    book = CalamineWorkbook.from_path(str(path))
    try:
        chosen = _choose(book, name, sheet)
        grid = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    finally:
        book.close()
    rows = [[_as_shown(value) for value in row] for row in grid[skip_rows:]]
    sheet_xml = zipfile.is_zipfile(path)  # an .xlsx or .xlsm, whatever its name says; .ods and .xlsb hold none
    if sheet_xml:
        _show_padded_numbers(rows, path, chosen, skip_rows)
    header = rows[0] if rows else []
    frame = pd.DataFrame(rows[1:], columns=_columns(header), dtype=object)
    if sheet_xml:
        _fill_formula_cells(frame, path, name, chosen, skip_rows)
    return frame, chosen


def _as_shown(value: Any) -> Any:
    """A cell as Excel shows it: numbers to 15 significant digits, as Excel keeps them (a sum it saved as
    1469.1299999999999 is 1469.13; 1.234567890123457e+19 is 12345678901234600000, not the float's
    12345678901234569216), a whole number as an int; a blank cell None."""
    if type(value) is float:
        if not value.is_integer():
            return float(f"{value:.15g}")
        return int(value) if abs(value) < 1e15 else int(Decimal(f"{value:.15g}"))  # below 1e15: exact
    return None if value == "" else value


def _show_padded_numbers(rows: list[list[Any]], path: Path, sheet: str, skip_rows: int) -> None:
    """A number whose cell format pads it with zeros (`00000`) becomes the text Excel shows (`01067`), in
    place; the sheet's XML is only searched when the workbook has such a format (connectors/tables_formats.py)."""
    with zipfile.ZipFile(path) as archive:
        styles = padded_styles(archive)
        part = _sheet_part(archive, sheet) if styles else None
        raw = archive.read(part) if part else b""
    for (row, column), pieces in padded_cells(raw, styles).items():
        position = row - 1 - skip_rows  # rows[0] is the sheet's row skip_rows + 1
        if 0 <= position < len(rows) and column < len(rows[position]):
            rows[position][column] = shown_padded(rows[position][column], pieces)


def _columns(header: list[Any]) -> list[Any]:
    """Column labels, unique as pandas makes them: an empty cell is `Unnamed: N`, a repeat `name.1`."""
    return unique_labels([f"Unnamed: {index}" if value is None else value for index, value in enumerate(header)])


def unique_labels(labels: list[Any]) -> list[Any]:
    """A repeated label gets a number, as pandas numbers them: the second `amount` is `amount.1`."""
    seen: set[Any] = set()
    result = []
    for label in labels:
        name, number = label, 0
        while name in seen:
            number += 1
            name = f"{label}.{number}"
        seen.add(name)
        result.append(name)
    return result


def _choose(book: Any, name: str, sheet: str | int | None) -> str:
    """The sheet asked for: a name (case and spaces aside, hidden ones too) or a number from 0 among the
    visible sheets; by default the first visible one (a hidden first sheet holds lookups or a macro's data)."""
    names = list(book.sheet_names)
    visible = _visible(book, names) or names
    if sheet is None:
        return visible[0]
    if isinstance(sheet, int) or (sheet.isdigit() and sheet not in names):
        index = int(sheet)
        if not 0 <= index < len(visible):
            raise BusinessError(f"{name}: there is no sheet number {index} (from 0, hidden sheets not counted); "
                                f"sheets: {_listed(book, names)}", file=name)
        return visible[index]
    if sheet in names:
        return sheet
    matches = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
    if not matches:
        raise BusinessError(f"{name}: no sheet {sheet!r}; sheets: {_listed(book, names)}", file=name)
    return matches[0]


def _visible(book: Any, names: list[str]) -> list[str]:
    from python_calamine import SheetVisibleEnum

    hidden = {m.name for m in book.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
    return [n for n in names if n not in hidden]


def _listed(book: Any, names: list[str]) -> str:
    shown = set(_visible(book, names))
    return ", ".join(n if n in shown else f"{n} (hidden)" for n in names)


def _fill_formula_cells(frame: Any, path: Path, name: str, sheet: str, skip_rows: int) -> None:
    """Error cells get their text (`#N/A`); a formula never calculated fails the read, naming its cell."""
    errors, uncached = formula_cells(path, sheet)
    header_row = skip_rows + 1  # the sheet's row numbers count from 1; data starts below the header
    read = [cell for cell in uncached if cell[1] >= header_row]  # title rows above the header are skipped
    if read:
        ref, _row, formula = read[0]
        raise BusinessError(
            f"{name}: sheet {sheet}, cell {ref} holds the formula ={formula} without a value: the file's formulas "
            "were never calculated (a program wrote it, Excel never saved it). Open and save it in Excel or "
            "LibreOffice, or have the program write values instead of formulas", file=name)
    for (row, column), text in errors.items():
        position = row - header_row - 1
        if 0 <= position < len(frame) and column < len(frame.columns):
            frame.iat[position, column] = text


def formula_cells(path: Path, sheet: str) -> tuple[dict[tuple[int, int], str], list[tuple[str, int, str]]]:
    """({(row from 1, column from 0): error text}, [(cell, row, formula) of formulas without a value])."""
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet)
        raw = archive.read(part) if part else b""
    errors: dict[tuple[int, int], str] = {}
    uncached: list[tuple[str, int, str]] = []
    if not _may_hold_formulas(raw):  # most exports hold plain values: no need to parse the XML
        return errors, uncached
    for _event, cell in ElementTree.iterparse(io.BytesIO(raw)):
        if cell.tag != f"{_MAIN}c":
            continue
        place = _CELL.fullmatch(cell.get("r") or "")
        value, formula = cell.find(f"{_MAIN}v"), cell.find(f"{_MAIN}f")
        if place and cell.get("t") == "e" and value is not None and value.text:
            errors[(int(place.group(2)), column_number(place.group(1)))] = value.text
        elif place and formula is not None and _no_value(cell, value):
            uncached.append((place.group(0), int(place.group(2)), formula.text or "(shared)"))
        cell.clear()
    return errors, uncached


def _may_hold_formulas(raw: bytes) -> bool:
    """A quick look at a sheet's XML for a formula or an error cell (a substring search is many times faster
    than the pattern over a large sheet; the pattern decides when a substring is there)."""
    hints = (b"<f", b":f", b"t=\"e\"", b"t='e'")
    return any(hint in raw for hint in hints) and _FORMULA_OR_ERROR.search(raw) is not None


def _no_value(cell: Any, value: Any) -> bool:
    # a formula giving an empty text is saved as an empty value of type "str": that one was calculated
    return value is None or (not value.text and cell.get("t") not in ("str", "inlineStr"))


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member of the sheet named `sheet`, through the workbook's relationships."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_PACKAGE_REL)}
    for entry in workbook.iter(f"{_MAIN}sheet"):
        if entry.get("name") == sheet:
            target = targets.get(entry.get(_REL), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            return part if part in archive.namelist() else None
    return None


def _refuse_non_workbook(path: Path, name: str) -> None:
    """A file named .xls that is an HTML page or a text export (old systems do that) is said to be one."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(_WORKBOOK_MAGIC):
        return
    found = describe_content(head)
    if found:
        raise BusinessError(f"{name}: {found}", file=name)


def describe_content(head: bytes) -> str | None:
    """What the first bytes of a file that is no workbook look like, with what to do; None if unknown."""
    if not head:
        return "the file is empty (0 bytes), not a workbook"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export: UTF-16 with tabs
        text = head.decode("utf-16", errors="replace")
    elif b"\x00" in head:
        return None  # binary, and no workbook we know: the reader's own message says more
    else:
        text = head.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff \t\r\n")
    lower = text[:2000].lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return ("the file is an XML Spreadsheet 2003 file, not a workbook calamine reads: open it in Excel and save it as "
                ".xlsx")
    if lower.startswith("<") and any(tag in lower for tag in ("<html", "<table", "<!doctype html")):
        return ("the file is an HTML page (a web report saved with an Excel name), not a workbook: open it in Excel and "
                "save it as .xlsx, or export the data from the system as CSV")
    if lower.startswith("%pdf"):
        return "the file is a PDF document, not a workbook: read it with pdf.extract"
    first = text.splitlines()[0] if text else ""
    if "\t" in first:
        return ("the file is text with tabs between the columns (a TSV export with an Excel name), not a workbook: read "
                "it with `format: csv` (the tab is found by itself, or say `delimiter: \"\\t\"`)")
    if any(mark in first for mark in ",;|"):
        return "the file is text (CSV) with an Excel name, not a workbook: read it with `format: csv`"
    return None
