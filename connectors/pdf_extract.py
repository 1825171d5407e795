"""Finding named fields and line-item tables on document pages (the engine of `pdf.extract`).

A field is found by a regular expression in the page text, by an anchor label (the value to the
right of it or below it), or by a region of the page. Every place a field could be is a candidate,
in reading order; the first candidate that reads as the field's type wins, so a label that also
heads a table column does not spoil a date or an amount.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from connectors.pdf_anchors import FieldValueError, anchored
from connectors.pdf_columns import word_table
from connectors.pdf_decimals import agreed_mark
from connectors.pdf_headers import find_header, missing_headers
from connectors.pdf_headers import header_key as _norm
from connectors.pdf_tables import is_carry_row, without_totals
from connectors.pdf_values import AmbiguousDate, convert, number_marks

if TYPE_CHECKING:
    from connectors.pdf import FieldSpec, TableSpec
    from connectors.pdf_document import PageView

__all__ = ["FieldValueError", "candidates", "extract_table", "find_field"]


def find_field(views: list[PageView], spec: FieldSpec, *, stops: tuple[str, ...] = ()) -> Any:
    """The field's typed value, or None when it is nowhere; FieldValueError when found but unreadable.

    `stops` are the other fields' labels: a value to the right of a label ends where one of them
    begins ("Invoice no: 12 Date: 2026-03-14" gives 12)."""
    first_error: ValueError | None = None
    for text in candidates(views, spec, stops=stops):
        try:
            value = convert(text, spec.type, decimal=spec.decimal, formats=spec.formats)
        except AmbiguousDate as exc:
            raise FieldValueError(str(exc)) from None  # the field is here; another place's date would be wrong
        except ValueError as exc:
            first_error = first_error or exc
            continue
        if value is not None:
            return value
    if _unmapped_share(views) >= UNMAPPED_SHARE:
        raise FieldValueError(UNMAPPED)  # rather than "missing": no field can be found in such a text
    if first_error is not None:
        raise FieldValueError(str(first_error))
    return None


UNMAPPED_SHARE = 0.2  # a Korean page whose font lost its map: ~30%; a German one missing only "€", "ü": ~2%
UNMAPPED = ("the PDF's text layer has no Unicode mapping for its font: the text cannot be read; OCR it or ask "
            "the sender for a proper PDF")


def _unmapped_share(views: list[PageView]) -> float:
    """The share of the pages' characters that pdfminer could only write as "(cid:N)": glyphs of a font
    without a map to Unicode (counted on the characters: no page text is made for it)."""
    texts = [char["text"] for view in views for char in view.page.chars if not char["text"].isspace()]
    unmapped = sum(1 for text in texts if text.startswith("(cid:"))
    return unmapped / len(texts) if unmapped else 0.0


def candidates(views: list[PageView], spec: FieldSpec, *, stops: tuple[str, ...] = ()) -> Iterator[str]:
    """Texts where the field could be, best first."""
    if spec.page is not None:
        views = [v for v in views if v.number == spec.page]
    if spec.region is not None:
        for view in views[:1]:
            yield from _filtered(view.region_text(spec.region), spec)
        return
    if spec.anchor is not None:
        # Values right of a label on every page first, then after a longer label that begins with it,
        # then below a label: a "Total" column header with amounts under it does not hide
        # "Total  1,234.00" further down or overleaf (connectors/pdf_anchors.py).
        for direction in _DIRECTIONS[spec.direction]:
            for text in anchored(views, spec, stops, direction):
                yield from _filtered(text, spec)
        return
    for view in views:
        yield from _filtered(view.text, spec)


_DIRECTIONS = {"auto": ("right", "continued", "below"), "right": ("right", "continued"), "below": ("below",)}


def _filtered(text: str, spec: FieldSpec) -> Iterator[str]:
    if spec.regex is None:
        if text and text.strip():
            yield text.strip()
        return
    for match in _regex(spec.regex).finditer(text):
        if "value" in match.re.groupindex:
            found = match.group("value")
        elif match.re.groups:
            found = match.group(1)
        else:
            found = match.group(0)
        if found is not None and found.strip():
            yield found.strip()


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


TEXT_SETTINGS = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def extract_table(views: list[PageView], spec: TableSpec, *, required: bool = False) -> list[dict[str, Any]]:
    """Rows of the first table whose header names all the columns, continued on later pages, typed, and
    without the totals block under them (`totals: false` keeps it). FieldValueError when a header is
    not found (`missing_headers`).

    Without `settings`, ruled tables are looked for first, then columns placed by the header's words
    (`pdf_columns`), then tables laid out by pdfplumber's text strategy; with `edges`, only columns
    between those edges."""
    named = spec.header and not any(isinstance(v, int) for v in spec.columns.values())
    if spec.edges:
        raw = _word_rows(views, spec)
    else:
        raw = _table_rows(views, spec, lambda view: view.tables(spec.settings))
        if not raw and spec.settings is None and spec.header:
            raw = _word_rows(views, spec) if named else []
            if not raw:
                raw = _table_rows(views, spec, lambda view: view.tables(TEXT_SETTINGS))
    if not raw and named:
        problem = missing_headers(views, spec, required=required)
        if problem:
            raise FieldValueError(problem)
    rows = _typed_rows(raw, spec, views)
    return without_totals(rows) if spec.totals else rows


def _word_rows(views: list[PageView], spec: TableSpec) -> list[dict[str, str]]:
    """The rows of a table found by its header's words (or between `edges`), page after page."""
    headers = [[v] if isinstance(v, str) else list(v) for v in spec.columns.values()]
    numbers = {i for i, name in enumerate(spec.columns) if spec.types.get(name) in ("number", "integer")}
    carry: list[Any] = [None]  # the columns of a table running onto the next page

    def words_of(view: PageView) -> list[list[list[str]]]:
        table, carry[0] = word_table(view, headers, numbers, carry[0], edges=spec.edges, totals=spec.totals)
        return [table] if table else []

    return _table_rows(views, spec, words_of)


def _table_rows(views: list[PageView], spec: TableSpec,
                tables_of: Callable[[PageView], list[list[list[str]]]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    mapping: dict[str, int] | None = None
    width = 0
    header: list[str] = []  # normalised, to skip the header repeated on later pages
    for view in views:
        for position, table in enumerate(tables_of(view)):
            if not table:
                continue
            at, found = find_header(table, spec)
            if not spec.header:  # columns by index, no header row: every table of the pages read
                mapping, width, body = {k: int(v) for k, v in spec.columns.items()}, len(table[0]), table
            elif found is not None and (mapping is None or len(table[at]) == width):
                mapping, width, header, body = found, len(table[at]), [_norm(c) for c in table[at]], table[at + 1:]
            elif mapping is not None and position == 0 and len(table[0]) == width and rows:
                body = table  # the table goes on from the previous page without its header
            else:
                if mapping is not None and rows:
                    return rows
                continue
            for raw in body:
                if not any(cell for cell in raw) or [_norm(c) for c in raw] == header:
                    continue
                if is_carry_row(list(raw)):
                    continue  # a carry-over row at a page break: "Carried forward  4,090.50"
                if spec.until and re.search(spec.until, " ".join(c for c in raw if c)):
                    return rows  # the items end here (a "Subtotal" row, a footer)
                row = {name: raw[index] if index < len(raw) else "" for name, index in mapping.items()}
                if any(row.values()):
                    rows.append(row)
    return rows


def _typed_rows(rows: list[dict[str, str]], spec: TableSpec, views: list[PageView]) -> list[dict[str, Any]]:
    """The rows with their cells typed; a number column read with one decimal mark (`_decimals`)."""
    decimals = _decimals(rows, spec, views)
    typed = []
    for number, row in enumerate(rows, start=1):
        out: dict[str, Any] = {}
        for name, text in row.items():
            try:
                out[name] = convert(text, spec.types.get(name, "text"), decimal=decimals.get(name),
                                    formats=spec.formats)
            except ValueError as exc:
                raise FieldValueError(f"row {number}, column {name!r}: {exc}") from None
        typed.append(out)
    return typed


def _decimals(rows: list[dict[str, str]], spec: TableSpec, views: list[PageView]) -> dict[str, str | None]:
    """The decimal mark of each number column: `decimal:` when declared; else the mark its numbers agree
    on (`0.250` says "."); when none of them tells (`1.500`, `12.000`), the mark the table's numbers
    agree on (`1,200.00` in the next column), then the document's. None: each number guesses its own
    (numbers that disagree, or nothing tells)."""
    numeric = [name for name in spec.columns if spec.types.get(name) in ("number", "integer")]
    if spec.decimal is not None:
        return {name: spec.decimal for name in numeric}
    told = {name: [number_marks(row[name]) for row in rows if row.get(name)] for name in numeric}
    table = [marks for evidence in told.values() for marks in evidence]
    found: dict[str, str | None] = {}
    for name, evidence in told.items():
        if any(len(marks) == 1 for marks in evidence):
            found[name] = agreed_mark(evidence)
        elif any(len(marks) == 2 for marks in evidence):  # only numbers such as 1.500: ask the others
            found[name] = agreed_mark(table) if any(len(m) == 1 for m in table) else _document_mark(views)
    return found


def _document_mark(views: list[PageView]) -> str | None:
    """The decimal mark the numbers of the pages' text agree on (dates, ids and times tell none)."""
    return agreed_mark(number_marks(word) for view in views for word in view.text.split())
