"""Anchors: the text a label points at on a page, to the right of it or below it.

A label is found at the start of a phrase (a run of words without a wide gap) or inside one. Which text
is its value follows a few rules, each against a way a neighbour's value was taken for the field's own:

- a label inside a longer label is only its qualifier when the word before it is one such as `incl.`
  (`VAT` in `Total incl. VAT 1,190.00`), or when another field's label reaches over it (`Due date`);
- a rate right after the label (`VAT 19%  190.00`) is part of the label when a number follows it on the
  line and the field is a number without a `regex` (a field that wants the rate gives a `regex`);
- the phrase right of a label standing alone is not its value when it heads a row of labels (it is
  another field's label or ends with a colon; or no phrase of the line holds a digit while the line
  under it has a cell under each of several labels, most of them with digits): the value is below;
- a label that goes on past the anchor in a few words without digits (`Total incl. VAT 1,190.00` for
  `Total`) gives the value after those words, after every plain `Total` failed, and only when one such
  label is on the pages (`Total excl. VAT` and `Total incl. VAT` both: the field fails, name the label);
- the line under a label is not its value when it begins with a label and a colon of its own (`Paid:`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from connectors.pdf_headers import header_key

if TYPE_CHECKING:
    from connectors.pdf import FieldSpec
    from connectors.pdf_document import PageView, Phrase


class FieldValueError(ValueError):
    """A field was found but its text does not read as its type."""


_DIGIT = re.compile(r"\d")
_LEADER = re.compile(r"^[.·…_]{2,}\s*")
# Words that make the label after them a qualifier of a longer label: "Total incl. VAT", "Netto zzgl. MwSt."
_QUALIFIERS = frozenset(("incl", "inkl", "including", "inclusive", "excl", "exkl", "excluding", "exclusive", "zzgl",
                         "plus", "with", "without", "w/o", "before", "after", "ohne", "mit", "hors", "avec", "sans",
                         "con", "sin", "compris"))
# "19%", "19 %", "@ 19%", "zu 19 %", "al 21%": a rate written after a tax label
_RATE = re.compile(r"^(?:(?:@|at|zu|à|al?)\s*)?\d{1,3}(?:[.,]\d{1,4})?\s*%\s*[:：]?\s*", re.IGNORECASE)
# a line that begins with a label of its own: "Paid: 250.00", "合計：..."; not "https://..." or "14:30"
_LABELLED = re.compile(r"^[^\W\d_][^\d:：]{0,40}?(?::(?=\s|$)|：)")
_CONTINUATION_WORDS = 4


def anchored(views: list[PageView], spec: FieldSpec, stops: tuple[str, ...], direction: str) -> Iterator[str]:
    """Texts the field's anchor points at on `views`, best first, in one direction: `right` (after the
    label on its line), `continued` (after a label that goes on past the anchor) or `below`.

    `stops` are the other fields' labels."""
    if direction == "continued":
        yield from _continued(views, spec, stops)
        return
    for view in views:
        for line_no, phrase_no, start, rest in _hits(view, spec, stops):
            if direction == "below":
                text = _below(view, line_no, view.lines[line_no][phrase_no], start, count=spec.lines)
            else:
                text = _right(view, spec, stops, line_no, phrase_no, rest)
            if text:
                yield text


def _hits(view: PageView, spec: FieldSpec, stops: tuple[str, ...]) -> Iterator[tuple[int, int, int, str]]:
    """(line, phrase, first label word, text after the label) of the anchor's labels on the page, best
    first: a label with a colon at a phrase's start ("Total: 12"), a label at a phrase's start, then a
    label inside a phrase (not one that only qualifies a longer label); each in reading order."""
    labels = [spec.anchor] if isinstance(spec.anchor, str) else list(spec.anchor or [])
    hits = sorted((hit for label in labels for hit in _label_hits(view, label)), key=lambda hit: hit[:3])
    for _, line_no, phrase_no, start, rest in hits:
        phrase = view.lines[line_no][phrase_no]
        if start and _qualifies_a_longer_label(phrase, start, stops):
            continue
        if _begins_a_longer_label(" ".join(w["text"] for w in phrase.words[start:]), rest, stops):
            continue  # "Total due: 1,234" is the value of a field anchored "Total due", not of "Total"
        yield line_no, phrase_no, start, rest


def _begins_a_longer_label(text: str, rest: str, stops: tuple[str, ...]) -> bool:
    """Whether another field's label begins where the anchor does in `text` and reaches further."""
    for label in stops:
        match = _label(label).match(text)
        if match and len(match.group("rest").strip()) < len(rest):
            return True
    return False


def _qualifies_a_longer_label(phrase: Phrase, start: int, stops: tuple[str, ...]) -> bool:
    """Whether the label found inside `phrase` at word `start` only qualifies a longer label: it follows
    an "incl."-like word ("Total incl. VAT" for "VAT"; not "Total VAT", the VAT's total), or another
    field's label that begins the phrase reaches over it ("Due date" for "Date")."""
    if _is_qualifier(phrase.words[start - 1]["text"]):
        return True
    head = len(" ".join(w["text"] for w in phrase.words[:start]))
    return any((match := _label(label).match(phrase.text)) and match.end("label") > head for label in stops)


def _is_qualifier(word: str) -> bool:
    return word.lstrip("([").rstrip(".").casefold() in _QUALIFIERS


def _right(view: PageView, spec: FieldSpec, stops: tuple[str, ...], line_no: int, phrase_no: int,
           rest: str) -> str:
    following = view.lines[line_no][phrase_no + 1:]
    if spec.type in ("number", "integer") and spec.regex is None:
        rest = _without_rate(rest, following)
    right = _cut(rest, stops)
    if right or rest:
        return right
    for phrase in following:  # the label stands alone: the next phrase (past dot leaders)
        if spec.direction == "auto" and _heads_a_row_of_labels(view, line_no, phrase, stops):
            return ""  # the values are below
        right = _cut(phrase.text, stops)
        if right:
            return right
    return ""


def _without_rate(rest: str, following: list[Phrase]) -> str:
    """`rest` without a rate in front when a number follows it on the line: the amount of `VAT 19%  190.00`."""
    rate = _RATE.match(rest)
    if rate is None:
        return rest
    after = rest[rate.end():]
    if _DIGIT.search(after) or any(_DIGIT.search(p.text) for p in following):
        return after
    return rest


def _heads_a_row_of_labels(view: PageView, line_no: int, phrase: Phrase, stops: tuple[str, ...]) -> bool:
    """Whether `phrase`, right of a label standing alone, is the next label of a row of labels (a header
    whose values are on the line below), not the label's value."""
    if _is_label(phrase.text, stops) or phrase.text.endswith((":", "：")):
        return True
    line = view.lines[line_no]
    below = _next_line(view, line_no)
    if below is None or len(below) < 2 or any(_DIGIT.search(p.text) for p in line):
        return False
    if any(_is_label(p.text, stops) for p in below):
        return False  # labels under labels: lines of "label  value"
    columns = {_column(line, cell) for cell in below}
    with_digits = sum(1 for cell in below if _DIGIT.search(cell.text))
    return len(columns) == len(below) and 2 * with_digits > len(below)


def _next_line(view: PageView, line_no: int) -> list[Phrase] | None:
    """The line under `line_no` when it is close enough to be its next row (less than two lines' gap)."""
    if line_no + 1 >= len(view.lines):
        return None
    line, below = view.lines[line_no], view.lines[line_no + 1]
    bottom = max(p.bottom for p in line)
    height = max(p.bottom - p.top for p in line)
    return below if min(p.top for p in below) - bottom <= 2 * height else None


def _column(line: list[Phrase], cell: Phrase) -> int:
    """The index of the phrase of `line` that `cell` stands under: the one whose span, from the middle of
    the gap before it to the middle of the gap after it, holds the cell's centre (right-aligned amounts
    under left-aligned labels included)."""
    bounds = [(line[i - 1].x1 + line[i].x0) / 2 for i in range(1, len(line))]
    return bisect_right(bounds, (cell.x0 + cell.x1) / 2)


def _continued(views: list[PageView], spec: FieldSpec, stops: tuple[str, ...]) -> Iterator[str]:
    """Values after labels that begin with the anchor and go on in a few words without digits
    (`Total incl. VAT  1,190.00` for `Total`); FieldValueError when two different such labels have
    values (`Total excl. VAT`, `Total incl. VAT`): which one is meant is not for Retake to guess."""
    if spec.type not in ("number", "integer", "date"):
        return  # a text's value is words: there is no telling them from the label's
    found: list[tuple[str, str]] = []
    for view in views:
        for line_no, phrase_no, start, rest in _hits(view, spec, stops):
            labelled = _continuation(view, line_no, phrase_no, start, rest, stops)
            if labelled is not None:
                found.append(labelled)
    written = list(dict.fromkeys(label for label, _ in found))
    if len({header_key(label) for label in written}) > 1:
        shown = ", ".join(repr(label) for label in written[:4])
        raise FieldValueError(f"several labels begin with {spec.anchor!r} and are followed by a value ({shown}): "
                              "give the whole label of the one meant as the anchor")
    for _, value in found:
        yield value


def _continuation(view: PageView, line_no: int, phrase_no: int, start: int, rest: str,
                  stops: tuple[str, ...]) -> tuple[str, str] | None:
    """(the whole label, the value after it) when the label goes on past the anchor and a value with
    digits follows it, in the same phrase or in the next one."""
    words = rest.split()
    at = next((i for i, word in enumerate(words) if _DIGIT.search(word)), len(words))
    if not 0 < at <= _CONTINUATION_WORDS:
        return None
    if _qualifies_another_label(words[:at], stops):
        return None
    if at < len(words):
        value = " ".join(words[at:])
    else:
        value = next((text for p in view.lines[line_no][phrase_no + 1:] if (text := _cut(p.text, stops))), "")
    if not _DIGIT.search(value):
        return None
    whole = " ".join(w["text"] for w in view.lines[line_no][phrase_no].words[start:])
    label = " ".join((whole[: len(whole) - len(rest)] + " ".join(words[:at])).split())
    return label, value


def _qualifies_another_label(words: list[str], stops: tuple[str, ...]) -> bool:
    """Whether the words after the anchor are another field's label that the anchor qualifies ("Total
    Tax" for a field anchored "Tax"; not "Total incl. VAT", where VAT is the qualifier)."""
    return any(_is_label(" ".join(words[i:]), stops)
               for i in range(len(words)) if i == 0 or not _is_qualifier(words[i - 1]))


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
    """The text under the label: phrases on the next lines that overlap the label's width. A first line
    that begins with a label and a colon of its own ("Paid: 250.00") is that label's, not this one's."""
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
        if under[0].top - bottom > 3 * max(height, 1) or (not taken and _LABELLED.match(under[0].text)):
            break
        taken.append(under[0].text)
        bottom = under[0].bottom
    return "\n".join(taken)
