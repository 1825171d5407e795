"""Line-item tables without ruling, read by the columns their header names.

pdfplumber's text strategy finds columns from the gaps of the whole page, so a title, an address block
or a right-aligned amount can cut a table's words in two ("Unit P" | "rice"). When a robot names the
columns it wants by their header text, the header line tells where each column is (connectors/
pdf_headers.py finds it): every word of the lines under it goes to the column whose span (from the
middle of the gap before its header to the middle of the gap after it) holds the word's centre. A long
description that runs past that middle keeps its words when they would spoil the next column (a word in
a number column, a second value in a column that has one). With `edges:` the robot gives the columns'
edges itself, and every word goes by them.

The table is returned as rows of cell texts, header first, like pdfplumber's tables, so that
`pdf_extract` reads it the same way (header match, `until`, types, pages). It ends at a gap taller than
two and a half rows, at a totals line, or at the page's end. A line that leaves every number column
empty, right after a row, continues that row (a description wrapped over two lines); a carry-over line
("Carried forward  4,090.50") is skipped. A table that runs to the end of its page (a footer aside) goes
on on the next page with the same columns, from the first line with a number in every number column,
when that page does not repeat the header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.pdf_anchors import FieldValueError
from connectors.pdf_document import PageView, Phrase
from connectors.pdf_headers import cell_matches, extent, header_line, top
from connectors.pdf_tables import is_carry_row, is_total_label
from connectors.pdf_values import parse_number

__all__ = ["Layout", "word_table"]

END_GAP_ROWS = 2.5
FOOTER_GAP_ROWS = 1.5  # a footer is set apart from the last row by a little more than a row
FOOTER_FROM = 0.88  # lines below this share of the page's height are its footer ("Page 1 of 2")


@dataclass
class Layout:
    """Where a word table's columns are, carried to the next page when the table runs off its page."""

    bounds: list[float]
    width: int
    number_cols: set[int]
    pitch: float | None = None
    left: float | None = None  # with `edges:`, words outside the outer edges are not the table's
    right: float | None = None
    longest: dict[int, int] = field(default_factory=dict)  # column -> most words a row had in it
    totals: bool = True  # a totals line ends the table

    @property
    def explicit(self) -> bool:
        return self.left is not None


def word_table(view: PageView, headers: list[list[str]], numbers: set[int], carry: Layout | None = None, *,
               edges: list[float] | None = None,
               totals: bool = True) -> tuple[list[list[str]] | None, Layout | None]:
    """The table under the first line holding every header (a list of alternatives each), and its layout
    when the table runs to the page's end (only a footer below); `numbers`: indexes (in `headers`) of
    the columns typed as numbers; `edges`: the columns' edges, left to right, instead of the header's
    words; `totals: False` reads on past totals lines. A page without the header goes on with `carry`,
    the previous page's layout, from its first line with a number in every number column."""
    lines = view.lines
    for line_no in range(len(lines)):
        found = header_line(lines, line_no, headers)
        if found is None:
            continue
        line, spans, used = found
        if edges:
            layout = Layout(list(edges[1:-1]), len(edges) - 1, set(), left=edges[0], right=edges[-1],
                            totals=totals)
            table = [_cells(line, layout)]
            wanted = [_edge_column(table[0], options) for options in headers]
            layout.number_cols = {wanted[i] for i in numbers}
        else:
            columns = _columns(line, spans)
            order = {id(span): i for i, span in enumerate(columns)}
            wanted = [order[id(span)] for span in spans]
            layout = Layout([(columns[i - 1][1] + columns[i][0]) / 2 for i in range(1, len(columns))],
                            len(columns), {wanted[i] for i in numbers}, totals=totals)
            table = [[span[2] for span in columns]]
        return table, _read_rows(view, table, lines[line_no + used:], layout, top(lines[line_no + used - 1]),
                                 first_row=1)
    if carry is None or not carry.number_cols:
        return None, None
    for line_no, line in enumerate(lines):
        cells = _cells(line, carry)
        if all(any(ch.isdigit() for ch in cells[c]) for c in carry.number_cols) and not is_carry_row(cells):
            table = [cells]
            return table, _read_rows(view, table, lines[line_no + 1:], carry, top(line), first_row=0)
    return None, None


def _edge_column(cells: list[str], options: list[str]) -> int:
    """The column between `edges:` that holds a header; FieldValueError when the edges cut it."""
    for index, cell in enumerate(cells):
        if any(cell_matches(cell, option) for option in options):
            return index
    raise FieldValueError(f"edges: no column between the edges is the header {options[0]!r}: the header line "
                          f"reads {' | '.join(cells)} (put an edge between every two headers)")


def _read_rows(view: PageView, table: list[list[str]], lines: list[list[Phrase]], layout: Layout,
               previous_top: float, *, first_row: int) -> Layout | None:
    """Add the rows of `lines` to `table` (its rows start at `first_row`) until a gap taller than
    END_GAP_ROWS rows or a totals line; the layout when the table ran to the page's end (a footer
    aside), else None."""
    for position, below in enumerate(lines):
        line_top = top(below)
        gap = line_top - previous_top
        if layout.pitch is not None and gap > FOOTER_GAP_ROWS * layout.pitch:
            footer_only = all(top(rest) > FOOTER_FROM * view.raw.height for rest in lines[position:])
            if footer_only:
                return layout  # only the page's footer ("Page 1 of 2") is left: the table may go on overleaf
            if gap > END_GAP_ROWS * layout.pitch:
                return None
        layout.pitch = layout.pitch or line_top - previous_top
        previous_top = line_top
        cells = _cells(below, layout)
        if not any(cells) or is_carry_row(cells):
            continue  # "Carried forward  4,090.50": the running total at a page break is no item
        if layout.totals and _totals_line(cells, layout.number_cols):
            return None  # the totals under the items ("Subtotal  1,234.00"): the items end here
        if len(table) > first_row and layout.number_cols and not any(cells[c] for c in layout.number_cols):
            table[-1] = [f"{a} {b}".strip() for a, b in zip(table[-1], cells)]  # a wrapped line
        else:
            table.append(cells)
            for col, cell in enumerate(cells):
                layout.longest[col] = max(layout.longest.get(col, 0), len(cell.split()))
    return layout


def _totals_line(cells: list[str], number_cols: set[int]) -> bool:
    """A line of the totals block under the items: a total label in a number column (`Zwischensumme`
    under the unit prices, its amount under the amounts), or a word there with the columns left of it
    empty (`Shipping  12.00`, set right). An item's label is in its description, left of its numbers;
    a dash for "none" is no label (it stays an error)."""
    for col in sorted(number_cols):
        text = cells[col]
        if text and (is_total_label(text) or (col > 0 and not any(cells[:col]) and _is_label(text))):
            return True
    return False


def _is_label(text: str) -> bool:
    if not any(ch.isalpha() for ch in text):
        return False
    try:
        parse_number(text)  # "12 pcs", "USD 12.00"
    except ValueError:
        return True
    return False


def _cells(line: list[Phrase], layout: Layout) -> list[str]:
    """The line's text in each column (a column without words: "")."""
    placed = [[(_column(word, layout), word) for word in phrase.words] for phrase in line]
    if not layout.explicit:
        placed = [_kept_together(n, placed, layout) for n in range(len(placed))]
    cells = [""] * layout.width
    for words in placed:
        for col, word in words:
            if col is not None:
                cells[col] = f"{cells[col]} {word['text']}".strip()
    return cells


def _column(word: dict, layout: Layout) -> int | None:
    """The column that holds the word's centre; None outside the outer `edges:`."""
    middle = (word["x0"] + word["x1"]) / 2
    left, right = layout.left, layout.right
    if left is not None and right is not None and not left <= middle <= right:
        return None
    return sum(1 for b in layout.bounds if middle >= b)


def _kept_together(index: int, placed: list[list[tuple[int | None, dict]]],
                   layout: Layout) -> list[tuple[int | None, dict]]:
    """The words of phrase `index` by column, those of a text column's phrase that run past the column's
    edge kept in it when they would spoil the next column: "Ergonomic standing desk with electric motor"
    whose last words reach over the middle towards the `Qty` or `Unit` header."""
    words = placed[index]
    home = words[0][0]
    if home is None or home in layout.number_cols:
        return words
    taken = {col for n, other in enumerate(placed) if n != index for col, _ in other}
    kept: list[tuple[int | None, dict]] = []
    keep, previous = False, home
    for position, (col, word) in enumerate(words):
        if col is not None and col != previous and not keep:  # a run of words in the next column begins
            run = [w["text"] for c, w in words[position:] if c == col]
            keep = _spoils(col, run, taken, layout)
        kept.append((home if keep else col, word))
        previous = col
    return kept


def _spoils(col: int, run: list[str], taken: set[int | None], layout: Layout) -> bool:
    """Whether words that go on a phrase would make column `col`'s value wrong: a word in a number
    column, words glued to the value of another phrase there, or several words in a column whose rows
    so far held one word each (a unit: `pcs`)."""
    if col in taken:
        return True
    if col in layout.number_cols:
        try:
            parse_number(" ".join(run))
        except ValueError:
            return True
        return False
    return len(run) > 1 and layout.longest.get(col) == 1


def _columns(line: list[Phrase], spans: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """The header line's columns left to right: the named headers, and the line's other phrases (a
    column nobody asked for still owns its words)."""
    others = [(*extent(p.words), p.text) for p in line
              if not any(extent(p.words)[0] < x1 and extent(p.words)[1] > x0 for x0, x1, _ in spans)]
    return sorted([*spans, *others], key=lambda span: span[0])
