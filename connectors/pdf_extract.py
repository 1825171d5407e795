"""Finding named fields and line-item tables on document pages (the engine of `pdf.extract`).

A field is found by a regular expression in the page text, by an anchor label (the value to the
right of it or below it), or by a region of the page. Every place a field could be is a candidate,
in reading order; the first candidate that reads as the field's type wins, so a label that also
heads a table column does not spoil a date or an amount.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from connectors.pdf_columns import header_key as _norm
from connectors.pdf_columns import word_table
from connectors.pdf_values import AmbiguousDate, convert

if TYPE_CHECKING:
    from connectors.pdf import FieldSpec, TableSpec
    from connectors.pdf_document import PageView, Phrase


class FieldValueError(ValueError):
    """A field was found but its text does not read as its type."""


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
    if first_error is not None:
        raise FieldValueError(str(first_error))
    return None


def candidates(views: list[PageView], spec: FieldSpec, *, stops: tuple[str, ...] = ()) -> Iterator[str]:
    """Texts where the field could be, best first."""
    if spec.page is not None:
        views = [v for v in views if v.number == spec.page]
    if spec.region is not None:
        for view in views[:1]:
            yield from _filtered(view.region_text(spec.region), spec)
        return
    if spec.anchor is not None:
        # Values right of a label on every page first, then values below a label: a "Total" column
        # header with amounts under it does not hide "Total  1,234.00" further down or overleaf.
        for direction in ("right", "below") if spec.direction == "auto" else (spec.direction,):
            for view in views:
                for text in _anchored(view, spec, stops, direction):
                    yield from _filtered(text, spec)
        return
    for view in views:
        yield from _filtered(view.text, spec)


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


def _label_body(label: str) -> str:
    letters = "".join(label.split()).rstrip(":：").rstrip(".")  # "Invoice No." and "Invoice No" alike
    return r"\s*".join(re.escape(c) for c in letters)  # "Invoice no", "INVOICE  NO" and "Invoiceno" alike


@lru_cache(maxsize=512)
def _label(label: str) -> re.Pattern[str]:
    body = _label_body(label)
    # "Tax (10%)", "Total (USD):": a qualifier in brackets (with a letter or %; not "(120.00)") is the label's
    qualifier = r"(?:\s*[(\[][^()\[\]]*[^\W\d_%][^()\[\]]*[)\]]|\s*[(\[][^()\[\]]*%[^()\[\]]*[)\]])?"
    # an abbreviation's period may follow ("No.", "Amt."), and then the value may follow at once ("No.555")
    return re.compile(rf"^(?P<label>{body})(?:\.(?=[\s:：]|\d|$))?{qualifier}"
                      rf"(?P<sep>\s*[:：]\s*|\s+|$|(?<=\.)(?=\d))(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=512)
def _label_anywhere(label: str) -> re.Pattern[str]:
    return re.compile(_label_body(label), re.IGNORECASE)


_LEADER = re.compile(r"^[.·…_]{2,}\s*")


@lru_cache(maxsize=512)
def _stops(labels: tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of `labels` followed by a colon: one search finds the first of them."""
    if not labels:
        return None
    bodies = "|".join(_label_body(label) for label in labels)
    return re.compile(rf"(?:^|\s)(?:{bodies})\.?\s*[:：]", re.IGNORECASE)


def _cut(text: str, stops: tuple[str, ...]) -> str:
    """`text` without dot leaders in front and up to the first other label that follows."""
    text = _LEADER.sub("", text)
    pattern = _stops(stops)
    end = pattern.search(text) if pattern is not None else None
    return (text[: end.start()] if end else text).strip()


def _anchored(view: PageView, spec: FieldSpec, stops: tuple[str, ...], direction: str) -> Iterator[str]:
    labels = [spec.anchor] if isinstance(spec.anchor, str) else list(spec.anchor or [])
    hits = []
    for label in labels:
        hits.extend(_label_hits(view, label))
    # Best first: a label with a colon at a phrase's start ("Total: 12"), a label at a phrase's start,
    # then a label inside a phrase; each in reading order.
    hits.sort(key=lambda hit: (hit[0], hit[1], hit[2]))
    for _, line_no, phrase_no, start, rest in hits:
        phrases = view.lines[line_no]
        if direction == "below":
            below = _below(view, line_no, phrases[phrase_no], start, count=spec.lines)
            if below:
                yield below
            continue
        right = _cut(rest, stops)
        following = iter(phrases[phrase_no + 1:])
        while not right and not rest:  # the label stands alone: the next phrase (past dot leaders)
            phrase = next(following, None)
            if phrase is None:
                break
            if spec.direction == "auto" and _is_label(phrase.text, stops):
                break  # a row of labels (a header): the values are below
            right = _cut(phrase.text, stops)
        if right:
            yield right


def _is_label(text: str, labels: tuple[str, ...]) -> bool:
    return any(_label(label).match(text) for label in labels)


def _label_hits(view: PageView, label: str) -> list[tuple[int, int, int, int, str]]:
    """(rank, line, phrase, first label word, text after the label) for each match; once per page and label
    (every field looks right of its labels, then below them)."""
    if label not in view.label_hits:
        view.label_hits[label] = _find_label(view, label)
    return view.label_hits[label]


def _find_label(view: PageView, label: str) -> list[tuple[int, int, int, int, str]]:
    pattern, anywhere = _label(label), _label_anywhere(label)
    text, starts, where = view.phrases
    hits: list[tuple[int, int, int, int, str]] = []
    position = 0
    while starts and (found := anywhere.search(text, position)):
        # The phrase the label was found in (a phrase with the label is never skipped: the search goes on
        # from the next phrase's start); then the label must begin one of its words.
        index = bisect_right(starts, found.start()) - 1
        line_no, phrase_no, phrase = where[index]
        words = [w["text"] for w in phrase.words]
        for start in range(len(words)):
            match = pattern.match(" ".join(words[start:]))
            if match:
                colon = ":" in match.group("sep") or "：" in match.group("sep")
                rank = (2 if start > 0 else 0) + (0 if colon else 1)
                hits.append((rank, line_no, phrase_no, start, match.group("rest").strip()))
                break
        if index + 1 == len(starts):
            break
        position = starts[index + 1]
    return hits


def _below(view: PageView, line_no: int, phrase: Phrase, start: int, *, count: int) -> str:
    """The text under the label: phrases on the next lines that overlap the label's width."""
    label_words = phrase.words[start:]
    x0, x1 = label_words[0]["x0"], phrase.x1
    bottom = max(w["bottom"] for w in label_words)
    height = bottom - min(w["top"] for w in label_words)
    taken: list[str] = []
    for phrases in view.lines[line_no + 1:]:
        if len(taken) >= count:
            break
        under = [p for p in phrases if p.x0 <= x1 + height and p.x1 >= x0 - height]
        if not under:
            if taken:
                break
            continue
        if under[0].top - bottom > 3 * max(height, 1):
            break
        taken.append(under[0].text)
        bottom = under[0].bottom
    return "\n".join(taken)


TEXT_SETTINGS = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def extract_table(views: list[PageView], spec: TableSpec) -> list[dict[str, Any]]:
    """Rows of the first table whose header names all the columns, continued on later pages.

    Without `settings`, ruled tables are looked for first, then columns placed by the header's words
    (`pdf_columns`), then tables laid out by pdfplumber's text strategy."""
    rows = _table_rows(views, spec, lambda view: view.tables(spec.settings))
    if not rows and spec.settings is None and spec.header:
        names = list(spec.columns)
        if not any(isinstance(v, int) for v in spec.columns.values()):
            headers = [[v] if isinstance(v, str) else list(v) for v in spec.columns.values()]
            numbers = {i for i, name in enumerate(names) if spec.types.get(name) in ("number", "integer")}
            carry: list[Any] = [None]  # the columns of a table running onto the next page

            def words_of(view: PageView) -> list[list[list[str]]]:
                table, carry[0] = word_table(view, headers, numbers, carry[0])
                return [table] if table else []

            rows = _table_rows(views, spec, words_of)
        if not rows:
            rows = _table_rows(views, spec, lambda view: view.tables(TEXT_SETTINGS))
    return rows


def _table_rows(views: list[PageView], spec: TableSpec,
                tables_of: Callable[[PageView], list[list[list[str]]]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    mapping: dict[str, int] | None = None
    width = 0
    header: list[str] = []  # normalised, to skip the header repeated on later pages
    for view in views:
        for position, table in enumerate(tables_of(view)):
            if not table:
                continue
            at, found = _find_header(table, spec)
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
                if spec.until and re.search(spec.until, " ".join(c for c in raw if c)):
                    return rows  # the items end here (a "Subtotal" row, a footer)
                row = {name: raw[index] if index < len(raw) else "" for name, index in mapping.items()}
                if not any(row.values()):
                    continue
                rows.append(_typed(row, spec, len(rows) + 1))
    return rows


def _find_header(table: list[list[str]], spec: TableSpec) -> tuple[int, dict[str, int] | None]:
    """The header row of a table (not always the first: text-based settings take titles in too)."""
    for position, row in enumerate(table):
        found = _match_header(row, spec)
        if found is not None:
            return position, found
    return 0, None


def _match_header(cells: list[str], spec: TableSpec) -> dict[str, int] | None:
    """Output name -> column index when every named column is in this header row (None otherwise)."""
    normalised = [_norm(c) for c in cells]
    mapping: dict[str, int] = {}
    for name, wanted in spec.columns.items():
        if isinstance(wanted, int):
            mapping[name] = wanted
            continue
        options = [_norm(w) for w in ([wanted] if isinstance(wanted, str) else wanted)]
        index = next((i for i, c in enumerate(normalised) if c in options), None)
        if index is None:  # "Unit price (USD)" still answers to "Unit price"
            index = next((i for i, c in enumerate(normalised) for o in options if o and c.startswith(o)), None)
        if index is None:
            return None
        mapping[name] = index
    return mapping


def _typed(row: dict[str, str], spec: TableSpec, number: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, text in row.items():
        kind = spec.types.get(name, "text")
        try:
            out[name] = convert(text, kind, decimal=spec.decimal, formats=spec.formats)
        except ValueError as exc:
            raise FieldValueError(f"row {number}, column {name!r}: {exc}") from None
    return out
