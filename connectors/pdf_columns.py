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
from connectors.pdf_tables import is_total_label
from connectors.pdf_values import parse_number

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
    for line_no in range(len(lines)):
        found = _header(lines, line_no, headers)
        if found is None:
            continue
        line, spans, used = found
        columns = _columns(line, spans)
        order = {id(span): i for i, span in enumerate(columns)}
        wanted = [order[id(span)] for span in spans]
        layout = Layout([(columns[i - 1][1] + columns[i][0]) / 2 for i in range(1, len(columns))], len(columns),
                        {wanted[i] for i in numbers})
        table = [[span[2] for span in columns]]
        last = lines[line_no + used - 1]
        return table, _read_rows(view, table, lines[line_no + used:], layout, _top(last), first_row=1)
    if carry is None or not carry.number_cols:
        return None, None
    for line_no, line in enumerate(lines):
        cells = _cells(line, carry)
        if all(any(ch.isdigit() for ch in cells[c]) for c in carry.number_cols):
            table = [cells]
            return table, _read_rows(view, table, lines[line_no + 1:], carry, _top(line), first_row=0)
    return None, None


def _header(lines: list[list[Phrase]], at: int,
            headers: list[list[str]]) -> tuple[list[Phrase], list[tuple[float, float, str]], int] | None:
    """The header starting on line `at`: its phrases (one per column, the lines of a header set on two
    or three lines joined), the spans of the headers asked for, and how many lines it takes; None when
    the line starts no header. A header cell set on two lines ("Unit" over "price") is "Unit price"."""
    line = lines[at]
    spans = _header_spans(line, headers)
    used = 1
    if spans is None:
        below = lines[at + 1] if at + 1 < len(lines) else None
        if below is None or not _under_header(line, below) or _header_spans(below, headers) is not None:
            return None  # (a header wholly on the next line is found there, without this line)
        line, used = _joined(line, below), 2
        spans = _header_spans(line, headers)
        if spans is None:
            return None
    # Lines that go on the header's cells ("(EUR)" under "Amount") are the header, not a first row: they
    # lie under its cells, and closer to it than the line after them (rows of words are evenly spaced).
    while used < 3 and at + used < len(lines) and _under_header(line, lines[at + used], inside=True):
        after = lines[at + used + 1] if at + used + 1 < len(lines) else None
        if after is not None and _gap(lines[at + used], after) <= _gap(line, lines[at + used]) + 1:
            break
        line, used = _joined(line, lines[at + used]), used + 1
    return line, spans, used


def _under_header(header: list[Phrase], line: list[Phrase], *, inside: bool = False) -> bool:
    """Whether `line` can be the next line of a header set on several lines: set tight under it (less
    than 0.6 of a line apart), and without a digit (the first row has numbers). `inside`: each of its
    phrases also lies under a phrase of the header."""
    height = max(w["bottom"] - w["top"] for phrase in line for w in phrase.words)
    if _gap(header, line) > 0.6 * height:
        return False
    if any(ch.isdigit() for phrase in line for ch in phrase.text):
        return False
    return not inside or all(any(_overlap(p, h) > 0 for h in header) for p in line)


def _gap(upper: list[Phrase], lower: list[Phrase]) -> float:
    return _top(lower) - max(phrase.bottom for phrase in upper)


def _joined(header: list[Phrase], line: list[Phrase]) -> list[Phrase]:
    """`header` with the phrases of the line under it joined to the header phrase each lies under; a
    phrase under none is a column of its own. The words of a joined phrase: each header word followed by
    the words under it nearest to it ("Qty Unit" over "pcs price": "Qty pcs Unit price")."""
    under: dict[int, list[dict]] = {id(w): [] for phrase in header for w in phrase.words}
    alone = []
    for phrase in line:
        above = max(header, key=lambda h: _overlap(phrase, h))
        if _overlap(phrase, above) <= 0:
            alone.append(phrase)
            continue
        for word in phrase.words:
            middle = (word["x0"] + word["x1"]) / 2
            nearest = min(above.words, key=lambda w: abs((w["x0"] + w["x1"]) / 2 - middle))
            under[id(nearest)].append(word)
    joined = [Phrase([x for w in phrase.words for x in (w, *under[id(w)])]) for phrase in header]
    return sorted([*joined, *alone], key=lambda p: _extent(p.words)[0])


def _overlap(a: Phrase, b: Phrase) -> float:
    (a0, a1), (b0, b1) = _extent(a.words), _extent(b.words)
    return min(a1, b1) - max(a0, b0)


def _extent(words: list[dict]) -> tuple[float, float]:
    """From the leftmost to the rightmost of `words` (the words of a joined header phrase are not in
    left-to-right order)."""
    return min(w["x0"] for w in words), max(w["x1"] for w in words)


def _read_rows(view: PageView, table: list[list[str]], lines: list[list[Phrase]], layout: Layout,
               previous_top: float, *, first_row: int) -> Layout | None:
    """Add the rows of `lines` to `table` (its rows start at `first_row`) until a gap taller than
    END_GAP_ROWS rows or a totals line; the layout when the table ran to the page's end (a footer
    aside), else None."""
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
        if _totals_line(cells, layout.number_cols):
            return None  # the totals under the items ("Subtotal  1,234.00"): the items end here
        if len(table) > first_row and layout.number_cols and not any(cells[c] for c in layout.number_cols):
            table[-1] = [f"{a} {b}".strip() for a, b in zip(table[-1], cells)]  # a wrapped line
        else:
            table.append(cells)
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
                        cells = words[start:end + 1]
                        found = (*_extent(cells), " ".join(w["text"] for w in cells))
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
    others = [(*_extent(p.words), p.text) for p in line
              if not any(_extent(p.words)[0] < x1 and _extent(p.words)[1] > x0 for x0, x1, _ in spans)]
    return sorted([*spans, *others], key=lambda span: span[0])
