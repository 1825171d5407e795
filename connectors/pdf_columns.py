"""Line-item tables without ruling, read by the columns their header names.

pdfplumber's text strategy finds columns from the gaps of the whole page, so a title, an address block
or a right-aligned amount can cut a table's words in two ("Unit P" | "rice"). When a robot names the
columns it wants by their header text, the header line tells where each column is: every word of the
lines under it goes to the column whose span (from the middle of the gap before its header to the
middle of the gap after it) holds the word's centre.

The table is returned as rows of cell texts, header first, like pdfplumber's tables, so that
`pdf_extract` reads it the same way (header match, `until`, types, pages). It ends at a gap taller than
two and a half rows, or at the page's end. A line that leaves every number column empty, right after a
row, continues that row (a description wrapped over two lines). A table that runs to the end of its page
(a footer aside) goes on on the next page with the same columns, from the first line with a number in
every number column, when that page does not repeat the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.pdf_document import PageView, Phrase

_SPACES_COLONS = re.compile(r"[\s:：]+")
END_GAP_ROWS = 2.5
FOOTER_GAP_ROWS = 1.5  # a footer is set apart from the last row by a little more than a row
FOOTER_FROM = 0.88  # lines below this share of the page's height are its footer ("Page 1 of 2")


def header_key(text: str) -> str:
    """A header or label as compared: without spaces and colons, case folded (`Unit  price:` = `unitprice`)."""
    return _SPACES_COLONS.sub("", str(text)).casefold()


@dataclass
class Layout:
    """Where a word table's columns are, carried to the next page when the table runs off its page."""

    bounds: list[float]
    width: int
    number_cols: set[int]
    pitch: float | None = None


def word_table(view: PageView, headers: list[list[str]], numbers: set[int],
               carry: Layout | None = None) -> tuple[list[list[str]] | None, Layout | None]:
    """The table under the first line holding every header (a list of alternatives each), and its layout
    when the table runs to the page's end (only a footer below); `numbers`: indexes (in `headers`) of
    the columns typed as numbers. A page without the header goes on with `carry`, the previous page's
    layout, from its first line with a number in every number column (rows only, no header)."""
    lines = view.lines
    for line_no, line in enumerate(lines):
        spans = _header_spans(line, headers)
        if spans is None:
            continue
        columns = _columns(line, spans)
        order = {id(span): i for i, span in enumerate(columns)}
        wanted = [order[id(span)] for span in spans]
        layout = Layout([(columns[i - 1][1] + columns[i][0]) / 2 for i in range(1, len(columns))], len(columns),
                        {wanted[i] for i in numbers})
        table = [[span[2] for span in columns]]
        return table, _read_rows(view, table, lines[line_no + 1:], layout, _top(line), first_row=1)
    if carry is None or not carry.number_cols:
        return None, None
    for line_no, line in enumerate(lines):
        cells = _cells(line, carry)
        if all(any(ch.isdigit() for ch in cells[c]) for c in carry.number_cols):
            table = [cells]
            return table, _read_rows(view, table, lines[line_no + 1:], carry, _top(line), first_row=0)
    return None, None


def _read_rows(view: PageView, table: list[list[str]], lines: list[list[Phrase]], layout: Layout,
               previous_top: float, *, first_row: int) -> Layout | None:
    """Add the rows of `lines` to `table` (its rows start at `first_row`) until a gap taller than
    END_GAP_ROWS rows; the layout when the table ran to the page's end (a footer aside), else None."""
    for position, below in enumerate(lines):
        top = _top(below)
        gap = top - previous_top
        if layout.pitch is not None and gap > FOOTER_GAP_ROWS * layout.pitch:
            footer_only = all(_top(rest) > FOOTER_FROM * view.raw.height for rest in lines[position:])
            if footer_only:
                return layout  # only the page's footer ("Page 1 of 2") is left: the table may go on overleaf
            if gap > END_GAP_ROWS * layout.pitch:
                return None
        layout.pitch = layout.pitch or top - previous_top
        previous_top = top
        cells = _cells(below, layout)
        if len(table) > first_row and layout.number_cols and not any(cells[c] for c in layout.number_cols):
            table[-1] = [f"{a} {b}".strip() for a, b in zip(table[-1], cells)]  # a wrapped line
        else:
            table.append(cells)
    return layout


def _cells(line: list[Phrase], layout: Layout) -> list[str]:
    cells = [""] * layout.width
    for phrase in line:
        for word in phrase.words:
            middle = (word["x0"] + word["x1"]) / 2
            col = sum(1 for b in layout.bounds if middle >= b)
            cells[col] = f"{cells[col]} {word['text']}".strip()
    return cells


def _top(line: list[Phrase]) -> float:
    return min(phrase.top for phrase in line)


def _header_spans(line: list[Phrase], headers: list[list[str]]) -> list[tuple[float, float, str]] | None:
    """(x0, x1, text) of each header on this line, in the order of `headers`; None unless all are."""
    words = [w for phrase in line for w in phrase.words]
    keys = [header_key(w["text"]) for w in words]
    spans = []
    for options in headers:
        found = None
        for option in (header_key(o) for o in options):
            for start in range(len(words)):
                joined = ""
                for end in range(start, len(words)):
                    joined += keys[end]
                    if joined == option or (option and joined.startswith(option) and end == start):
                        found = (words[start]["x0"], words[end]["x1"],
                                 " ".join(w["text"] for w in words[start:end + 1]))
                        break
                    if not option.startswith(joined):
                        break
                if found:
                    break
            if found:
                break
        if found is None:
            return None
        spans.append(found)
    return spans


def _columns(line: list[Phrase], spans: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """The header line's columns left to right: the named headers, and the line's other phrases (a
    column nobody asked for still owns its words)."""
    others = [(p.x0, p.x1, p.text) for p in line
              if not any(p.x0 < x1 and p.x1 > x0 for x0, x1, _ in spans)]
    return sorted([*spans, *others], key=lambda span: span[0])
