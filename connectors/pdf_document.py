"""Pages as the extractors see them (connectors/pdf_open.py opens the documents).

`PageView` computes a page's words, lines, phrases, text and tables once, for all fields of a step,
on the page turned upright when its text runs sideways. pdfplumber is imported inside functions only.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any


@dataclass
class Phrase:
    """Words of one line close enough to read as one phrase (a wide gap starts the next phrase)."""

    words: list[dict[str, Any]]

    @cached_property
    def text(self) -> str:  # read once the phrase is complete (every label of every field searches it)
        return " ".join(w["text"] for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0]["x0"]

    @property
    def x1(self) -> float:
        return self.words[-1]["x1"]

    @property
    def top(self) -> float:
        return min(w["top"] for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w["bottom"] for w in self.words)


class PageView:
    """One page (upright, faux bold removed when asked) with its words, lines and text computed on first
    use."""

    def __init__(self, page: Any, *, number: int, dedupe: bool = True):
        self.raw = page
        self.number = number
        self.dedupe = dedupe
        self._prepared = False
        self._lines: list[list[Phrase]] | None = None
        self._text: str | None = None
        self._tables: dict[str, list[list[list[str]]]] = {}
        self.label_hits: dict[str, list[tuple[int, int, int, int, str]]] = {}  # by connectors/pdf_extract.py

    @property
    def page(self) -> Any:
        """The page to read: upright, without doubled faux-bold characters when there are any and dedupe
        is on."""
        if not self._prepared:
            self.raw = upright(self.raw)
            chars = self.raw.chars
            _control_chars_as_spaces(chars)
            drop = doubled_chars(chars) if self.dedupe else set()
            if drop:  # in the page's own list of characters: a filtered copy of the page costs a third more
                self.raw.objects["char"] = [char for char in chars if id(char) not in drop]
            self._prepared = True
        return self.raw

    @property
    def has_text(self) -> bool:
        return bool(self.page.chars)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.page.extract_text()
        return self._text

    @property
    def lines(self) -> list[list[Phrase]]:
        """Lines top to bottom, each a list of phrases left to right."""
        if self._lines is None:
            self._lines = _lines(self.page.extract_words())
        return self._lines

    @cached_property
    def phrases(self) -> tuple[str, list[int], list[tuple[int, int, Phrase]]]:
        """Every phrase's text, one a line; where each phrase starts in it; each phrase's (line, position,
        phrase). A label is looked for in this text once, then only in the phrases where it was found."""
        where = [(line_no, phrase_no, phrase) for line_no, line in enumerate(self.lines)
                 for phrase_no, phrase in enumerate(line)]
        starts, offset = [], 0
        for _, _, phrase in where:
            starts.append(offset)
            offset += len(phrase.text) + 1
        return "\n".join(phrase.text for _, _, phrase in where), starts, where

    def tables(self, settings: dict[str, Any] | None = None) -> list[list[list[str]]]:
        """The page's tables as rows of cleaned cell texts (None -> "", whitespace collapsed)."""
        key = json.dumps(settings or {}, sort_keys=True, default=str)
        if key not in self._tables:
            found = self.page.extract_tables(settings or {})
            self._tables[key] = [[[" ".join((cell or "").split()) for cell in row] for row in table]
                                 for table in found]
        return self._tables[key]

    def region_text(self, box: list[float]) -> str:
        width, height = float(self.page.width), float(self.page.height)
        if all(0 <= v <= 1 for v in box):
            box = [box[0] * width, box[1] * height, box[2] * width, box[3] * height]
        x0, top, x1, bottom = max(0.0, box[0]), max(0.0, box[1]), min(width, box[2]), min(height, box[3])
        if x1 <= x0 or bottom <= top:
            return ""
        return self.page.within_bbox((x0, top, x1, bottom)).extract_text()

    def close(self) -> None:
        """Free the page's characters, words and text maps now: a page and its cached text map point at
        each other, so without this they wait for the garbage collector (slower, and more memory)."""
        self.raw.close()


def upright(page: Any) -> Any:
    """`page`, or the same page turned so that most of its text reads left to right: a page whose
    /Rotate shows its text sideways (rotated in a viewer and saved), or a landscape table printed
    across a portrait page. pdfminer places the characters as the page is shown, turned by its
    /Rotate: such a page is read once more with the turn that makes its text upright."""
    turn = _text_turn(page.chars)
    if turn == 0:
        return page
    from pdfplumber.page import Page

    shown = copy.copy(page.page_obj)
    shown.rotate = (page.rotation + turn) % 360
    shown.attrs = {**shown.attrs, "Rotate": shown.rotate}  # pdfplumber sizes the page by it
    turned = Page(page.pdf, shown, page_number=page.page_number, initial_doctop=page.initial_doctop)
    page.close()
    return turned


def _text_turn(chars: list[dict[str, Any]]) -> int:
    """How far (0, 90, 180 or 270 degrees, clockwise) the page must turn for most of its text to read
    left to right; 0 when most of it does, or when no direction has most of it. A sample of the
    characters is enough, and costs little on pages of thousands."""
    if not chars:
        return 0
    sample = chars[:: max(1, len(chars) // 200)]
    votes = Counter(_baseline_angle(char.get("matrix")) for char in sample)
    angle, count = votes.most_common(1)[0]
    return angle if 2 * count > len(sample) else 0


def _baseline_angle(matrix: tuple[float, ...] | None) -> int:
    """The direction a character's baseline runs in, counterclockwise from left-to-right, to 90 degrees:
    a page turned clockwise by that much reads it upright."""
    if not matrix:
        return 0
    return round(math.degrees(math.atan2(matrix[1], matrix[0])) / 90) * 90 % 360


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _control_chars_as_spaces(chars: list[dict[str, Any]]) -> None:
    """Chromium's PDFs with some TrueType fonts (NanumGothic...) map the space glyph to U+0001: read
    control characters as the spaces they print as, so words, labels and cells split where they should."""
    if not _CONTROL.search("".join(map(itemgetter("text"), chars))):
        return  # most pages: none, found without a Python step per character
    for char in chars:
        text = char["text"]
        if len(text) == 1 and ord(text) < 32 and text not in "\t\n\r":
            char["text"] = " "


def doubled_chars(chars: list[dict[str, Any]], tolerance: float = 1.0) -> set[int]:
    """The ids of characters that repeat an earlier one (same text, font and size, within `tolerance`
    points): faux bold. A grid lookup in one pass, where pdfplumber's dedupe_chars() sorts and groups
    every character; the characters kept are the same (the first of each cluster).

    One grid per text (a character seen first costs one lookup), cells 2 * tolerance wide: a twin is in
    the character's cell or in the next cell on the side of the cell it is closest to. A cell is named by
    one float, column * 2**26 + row (whole numbers: exact below 2**27 cells, 268 million points at the
    default tolerance), cheaper than a tuple or an int() per character on pages of thousands."""
    size = 2 * tolerance
    column = float(1 << 26)
    grids: dict[str, dict[float, list[dict[str, Any]]]] = {}
    drop: set[int] = set()
    for char in chars:
        x, y = char["x0"], char["top"]
        gx, gy = x // size, y // size
        here = gx * column + gy
        grid = grids.get(char["text"])
        if grid is None:
            grids[char["text"]] = {here: [char]}
            continue
        side = -column if x - gx * size < tolerance else column
        up = -1.0 if y - gy * size < tolerance else 1.0
        cells = (grid.get(here), grid.get(here + side), grid.get(here + up), grid.get(here + side + up))
        if cells == (None, None, None, None):  # most characters: no same text near
            grid[here] = [char]
            continue
        if any(abs(other["x0"] - x) <= tolerance and abs(other["top"] - y) <= tolerance
               and other["fontname"] == char["fontname"] and other["size"] == char["size"]
               for cell in cells if cell for other in cell):
            drop.add(id(char))
        elif cells[0] is None:
            grid[here] = [char]
        else:
            cells[0].append(char)
    return drop


def _lines(words: list[dict[str, Any]]) -> list[list[Phrase]]:
    lines: list[list[dict[str, Any]]] = []
    middles: list[float] = []  # of the last line's words
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        middle = (word["top"] + word["bottom"]) / 2
        height = word["bottom"] - word["top"]
        if lines:
            last = lines[-1]
            line_middle = sum(middles) / len(middles)
            if abs(middle - line_middle) <= 0.5 * min(height, last[0]["bottom"] - last[0]["top"]):
                last.append(word)
                middles.append(middle)
                continue
        lines.append([word])
        middles = [middle]
    result = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        phrases = [Phrase([line[0]])]
        for word in line[1:]:
            previous = phrases[-1].words[-1]
            size = max(word["bottom"] - word["top"], previous["bottom"] - previous["top"])
            if word["x0"] - previous["x1"] > 0.8 * size:
                phrases.append(Phrase([word]))
            else:
                phrases[-1].words.append(word)
        result.append(phrases)
    return result
