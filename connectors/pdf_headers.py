"""A table's header: which cells, or which words of a line, are the headers a robot names in `columns:`.

A header matches a whole header cell, whatever its case, spacing and colon: `Unit` does not find the
`Unit` of `Unit price` (the column would take the unit prices, or nothing), and `Description` does not
find `Descriptions`. A qualifier may follow it in its cell (`Amount (EUR)`, `Qty (kg)`, `Amount EUR`,
`Betrag €`, `VAT %`). In a table without rules the cells are the header line's phrases; headers set close
together (one phrase) are still told apart when each is a header the robot names.

When no table has all the headers named, `missing_headers` says which ones the line holding most of them
lacks, and what that line holds, so that the robot author can write the header as printed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from connectors.pdf_document import Phrase
from connectors.pdf_values import CURRENCY_CODES

if TYPE_CHECKING:
    from connectors.pdf import TableSpec
    from connectors.pdf_document import PageView

_SPACES_COLONS = re.compile(r"[\s:：]+")
# What may follow a header in its cell: brackets, signs and marks, a currency code ("(EUR)", "€", "%", "EUR")
_QUALIFIER = re.compile(r"[(\[（].*|[^\w\s]+|(?i:" + CURRENCY_CODES + r")[^\w\s]*")
Span = tuple[float, float, str]


def header_key(text: str) -> str:
    """A header or label as compared: without spaces and colons, case folded (`Unit  price:` = `unitprice`)."""
    return _SPACES_COLONS.sub("", str(text)).casefold()


def is_qualifier(key: str) -> bool:
    """Whether `key` (what follows a header in its cell, as `header_key` writes it) only qualifies it."""
    return not key or bool(_QUALIFIER.fullmatch(key))


def cell_matches(cell: str, option: str) -> bool:
    """Whether a table cell is the header `option`: the same, or the same with a qualifier after it."""
    key, wanted = header_key(cell), header_key(option)
    return bool(wanted) and key.startswith(wanted) and is_qualifier(key[len(wanted):])


def match_header(cells: list[str], spec: TableSpec) -> dict[str, int] | None:
    """Output name -> column index when every named column is in this header row (None otherwise); a
    cell that is the header exactly is preferred to one that qualifies it."""
    mapping: dict[str, int] = {}
    for name, wanted in spec.columns.items():
        if isinstance(wanted, int):
            mapping[name] = wanted
            continue
        options = [wanted] if isinstance(wanted, str) else list(wanted)
        keys = [header_key(c) for c in cells]
        index = next((i for i, key in enumerate(keys) for o in options if key == header_key(o) and key), None)
        if index is None:  # "Unit price (USD)" still answers to "Unit price"
            index = next((i for i, cell in enumerate(cells) for o in options if cell_matches(cell, o)), None)
        if index is None:
            return None
        mapping[name] = index
    return mapping


def find_header(table: list[list[str]], spec: TableSpec) -> tuple[int, dict[str, int] | None]:
    """The header row of a table (not always the first: text-based settings take titles in too)."""
    for position, row in enumerate(table):
        found = match_header(row, spec)
        if found is not None:
            return position, found
    return 0, None


def header_spans(line: list[Phrase], headers: list[list[str]]) -> list[Span] | None:
    """(x0, x1, text) of each header on this line, in the order of `headers` (a list of alternatives
    each); None unless all are. A span takes the qualifier after its header in (`Qty (kg)`)."""
    words, chosen = _matches(line, headers)
    spans = []
    for match in chosen:
        if match is None:
            return None
        cells = words[match[0]:match[1] + 1]
        spans.append((*extent(cells), " ".join(w["text"] for w in cells)))
    return spans


def _matches(line: list[Phrase], headers: list[list[str]]) -> tuple[list[dict], list[tuple[int, int] | None]]:
    """The line's words, and for each header the (first, last) word of its whole match on the line."""
    words = [w for phrase in line for w in phrase.words]
    phrase_of = [n for n, phrase in enumerate(line) for _ in phrase.words]
    found = [_candidates(words, options) for options in headers]
    chosen: list[tuple[int, int] | None] = []
    for index, candidates in enumerate(found):
        starts = {s for other, c in enumerate(found) if other != index for s, _ in c}
        ends = {e for other, c in enumerate(found) if other != index for _, e in c}
        match = next((c for c in candidates if _whole(words, phrase_of, c, starts, ends)), None)
        chosen.append(match and _with_qualifier(words, phrase_of, match, starts))
    return words, chosen


def _candidates(words: list[dict], options: list[str]) -> list[tuple[int, int]]:
    """(first, last) word of every place the header's words are, the first alternative's first."""
    keys = [header_key(w["text"]) for w in words]
    found = []
    for option in (header_key(o) for o in options):
        for start in range(len(words) if option else 0):
            joined = ""
            for end in range(start, len(words)):
                joined += keys[end]
                if joined == option or (end == start and cell_matches(words[start]["text"], option)):
                    found.append((start, end))  # ("Amount(EUR)": one word with its qualifier)
                    break
                if not option.startswith(joined):
                    break
    return found


def _whole(words: list[dict], phrase_of: list[int], match: tuple[int, int], starts: set[int],
           ends: set[int]) -> bool:
    """Whether the words of `match` are a whole header: in their phrase, the word before them on their
    line ends another named header, and the word after them begins one or qualifies them."""
    start, end = match
    before = _neighbour(words, phrase_of, start, range(start - 1, -1, -1))
    after = _neighbour(words, phrase_of, start, range(end + 1, len(words)))
    if before is not None and before not in ends:
        return False  # `Unit` in `Net unit`
    return after is None or after in starts or is_qualifier(header_key(words[after]["text"]))


def _with_qualifier(words: list[dict], phrase_of: list[int], match: tuple[int, int],
                    starts: set[int]) -> tuple[int, int]:
    start, end = match
    after = _neighbour(words, phrase_of, start, range(end + 1, len(words)))
    if after == end + 1 and after not in starts and is_qualifier(header_key(words[after]["text"])):
        return start, after
    return match


def _neighbour(words: list[dict], phrase_of: list[int], at: int, order: range) -> int | None:
    """The first word in `order` of the phrase of word `at`, on the same text line (a header set on two
    lines has the words of both in its phrases: `Unit` over `price` is `Unit`, and `Unit price`)."""
    height = words[at]["bottom"] - words[at]["top"]
    for index in order:
        if phrase_of[index] != phrase_of[at]:
            return None
        if abs(words[index]["top"] - words[at]["top"]) < 0.5 * height:
            return index
    return None


def header_line(lines: list[list[Phrase]], at: int,
                headers: list[list[str]]) -> tuple[list[Phrase], list[Span], int] | None:
    """The header starting on line `at`: its phrases (one per column, the lines of a header set on two
    or three lines joined), the spans of the headers asked for, and how many lines it takes; None when
    the line starts no header. A header cell set on two lines ("Unit" over "price") is "Unit price"."""
    line = lines[at]
    spans = header_spans(line, headers)
    used = 1
    if spans is None:
        below = lines[at + 1] if at + 1 < len(lines) else None
        if below is None or not _under_header(line, below) or header_spans(below, headers) is not None:
            return None  # (a header wholly on the next line is found there, without this line)
        line, used = _joined(line, below), 2
        spans = header_spans(line, headers)
        if spans is None:
            return None
    # Lines that go on the header's cells ("(EUR)" under "Amount") are the header, not a first row: they
    # lie under its cells, and closer to it than the line after them (rows of words are evenly spaced).
    while used < 3 and at + used < len(lines) and _under_header(line, lines[at + used], inside=True):
        after = lines[at + used + 1] if at + used + 1 < len(lines) else None
        if after is not None and gap(lines[at + used], after) <= gap(line, lines[at + used]) + 1:
            break
        line, used = _joined(line, lines[at + used]), used + 1
    return line, spans, used


def _under_header(header: list[Phrase], line: list[Phrase], *, inside: bool = False) -> bool:
    """Whether `line` can be the next line of a header set on several lines: set tight under it (less
    than 0.6 of a line apart), and without a digit (the first row has numbers). `inside`: each of its
    phrases also lies under a phrase of the header."""
    height = max(w["bottom"] - w["top"] for phrase in line for w in phrase.words)
    if gap(header, line) > 0.6 * height:
        return False
    if any(ch.isdigit() for phrase in line for ch in phrase.text):
        return False
    return not inside or all(any(_overlap(p, h) > 0 for h in header) for p in line)


def gap(upper: list[Phrase], lower: list[Phrase]) -> float:
    return top(lower) - max(phrase.bottom for phrase in upper)


def top(line: list[Phrase]) -> float:
    return min(phrase.top for phrase in line)


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
    return sorted([*joined, *alone], key=lambda p: extent(p.words)[0])


def _overlap(a: Phrase, b: Phrase) -> float:
    (a0, a1), (b0, b1) = extent(a.words), extent(b.words)
    return min(a1, b1) - max(a0, b0)


def extent(words: list[dict]) -> tuple[float, float]:
    """From the leftmost to the rightmost of `words` (the words of a joined header phrase are not in
    left-to-right order)."""
    return min(w["x0"] for w in words), max(w["x1"] for w in words)


def missing_headers(views: list[PageView], spec: TableSpec, *, required: bool) -> str | None:
    """Why no table was found, for a table whose headers are not all on one header line: the headers
    the line holding most of them lacks, and what that line holds. Said when that line holds at least
    two of them and half (the table is there, a header is misnamed), or for a `required` table always;
    and when the line holds them all but the tables of `settings:` do not."""
    headers = [[v] if isinstance(v, str) else list(v) for v in spec.columns.values()]
    best: tuple[int, int, list[Phrase], list[bool]] | None = None
    for view in views:
        lines = view.lines
        for at in range(len(lines)):
            if header_line(lines, at, headers) is not None:
                return _settings_missed(view, lines[at]) if spec.settings is not None else None
            found = [match is not None for match in _matches(lines[at], headers)[1]]
            if best is None or sum(found) > sum(best[3]):
                best = (view.number, at, lines[at], found)
    count = sum(best[3]) if best else 0
    if not required and (count < 2 or 2 * count < len(headers)):
        return None
    wanted = [" or ".join(repr(o) for o in options) for options in headers]
    if best is None or count == 0:
        return (f"no table with the header(s) {', '.join(wanted)}: none of them is on the pages read (write "
                "each header as printed)")
    page, _, line, found = best
    missing = [text for text, here in zip(wanted, found) if not here]
    cells = " | ".join(phrase.text for phrase in line)
    return (f"header(s) not found: {', '.join(missing)}; the header line on page {page} has: {cells} (write "
            "each header as printed, whole, or take the column out of `columns:`)")


def _settings_missed(view: PageView, line: list[Phrase]) -> str:
    """The header is on the page, but no table of pdfplumber's `settings:` has it in one row."""
    cells = " | ".join(phrase.text for phrase in line)
    return (f"page {view.number} has the header line {cells}, but no table found with `settings:` has all "
            "those headers in one row (to place the columns by hand, give `edges:` instead of `settings:`)")
