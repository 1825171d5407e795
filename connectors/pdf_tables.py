"""Tables found on pages -> rows keyed by their header, a table continued on the next page included;
the totals rows that end a table of line items, and the carry-over rows at its page breaks."""

from __future__ import annotations

import re
from typing import Any

_NUMERIC = re.compile(r"^[\s\-−+(]*[^\d\s]{0,3}\s*\d[\d\s.,'’]*\)?\s*\S{0,3}$")

# The label of a totals row, whole (spaces, hyphens and case aside): "Subtotal", "Total TTC", "Summe netto",
# "Total (EUR):", "합 계", a bank statement's "Closing balance". Several languages; a line item's description
# ("Total station") is no such label.
_TOTAL_WORDS = (
    "total", "totals", "subtotal", "grand total", "total due", "total amount", "amount due", "balance due",
    "total payable", "amount payable", "net total", "gross total", "invoice total", "sum",
    "closing balance", "new balance", "ending balance", "final balance", "neuer saldo", "endsaldo",
    "neuer kontostand", "nouveau solde", "solde final", "saldo final",
    "summe", "zwischensumme", "gesamt", "gesamtsumme", "gesamtbetrag", "endsumme", "endbetrag",
    "rechnungsbetrag", "rechnungssumme", "nettosumme", "bruttosumme", "nettobetrag", "bruttobetrag",
    "zu zahlen", "sous total", "montant total", "net à payer", "total à payer", "importe total",
    "total a pagar", "valor total", "totale", "subtotale", "totale fattura", "totaal", "subtotaal",
    "totaalbedrag", "te betalen", "summa", "totalt", "i alt", "yhteensä", "razem", "suma", "do zapłaty",
    "итого", "всего", "합계", "소계", "총계", "합계금액", "총액", "총합계",
    "合計", "小計", "総計", "合計金額", "総額", "税込合計",
    "合计", "小计", "总计", "总额", "价税合计", "合计金额",
)
# What may follow the label: "(EUR)", "incl. VAT", "netto", "TTC", a currency code or sign
_QUALIFIER = (r"(?:[(（\[][^)）\]]*[)）\]]|(?:incl|excl|inkl|exkl|zzgl|ttc|ht|net|netto|brutto|gross|due"
              r"|payable|including|excluding|hors|taxes?|vat|tva|mwst|ust|iva|gst)\b\.?|(?-i:[A-Z]{3})\b"
              r"|[^\w\s]{1,2})")


def _flexible(word: str) -> str:
    """`word` whatever its spaces and hyphens ("Sub-total", "sub total", "합 계")."""
    return r"[\s\-]*".join(map(re.escape, word.replace(" ", "")))


_TOTAL = re.compile(rf"^(?:{'|'.join(map(_flexible, _TOTAL_WORDS))})(?![^\W\d_])\.?\s*[:：]?"
                    rf"(?:\s*{_QUALIFIER}){{0,4}}\s*[:：]?$", re.IGNORECASE)


def is_total_label(text: str) -> bool:
    """A cell that says this row is a total ("Subtotal", "Gesamtbetrag inkl. MwSt.", "합계"), not an item."""
    return bool(_TOTAL.match(text.strip()))


# The label of a carry-over row at a page break: the running total taken to the next page ("Carried
# forward", "Übertrag", "À reporter") and brought from the previous one ("Brought forward", "Report").
_CARRY_WORDS = (
    r"(?:(?:sub[\s-]*)?total|balance|amount|sum)?\s*(?:carried|brought|carry|bring)\s*(?:forward|fwd\.?|over)",
    r"balance\s+forward", r"[cb]\s*/\s*f(?:wd)?\.?", r"(?:zwischensumme\s*)?(?:übertrag|uebertrag)",
    r"(?:à|a)\s+reporter", r"report(?:é|e)?", r"vortrag", r"suma\s+(?:y\s+sigue|anterior)",
    r"(?:a\s+)?riport(?:o|are)",
)
# ... and a page after it: "to page 2", "von Seite 1", "de la page précédente"
_CARRY_TAIL = (r"(?:\s+(?:(?:from|to|von|aus|auf|nach|de\s+la|à\s+la|de|sur|la)\s+)?(?:page|seite|p\.|s\.)"
               r"\s*\d+|\s+(?:de\s+la\s+)?page\s+pr[ée]c[ée]dente|\s+(?:von\s+)?(?:der\s+)?vorseite)?")
_CARRY = re.compile(rf"^(?:{'|'.join(_CARRY_WORDS)}){_CARRY_TAIL}\s*[:：]?(?:\s*{_QUALIFIER}){{0,2}}\s*[:：]?$",
                    re.IGNORECASE)
_AMBIGUOUS_CARRY = re.compile(r"^(?:report|vortrag)[\s:：]*$", re.IGNORECASE)  # also an item: a report, a talk


def is_carry_row(cells: list[str]) -> bool:
    """A row that carries the running total over a page break ("Carried forward | | | 4,090.50"): not an
    item, and not the end of the items. A bare "Report" or "Vortrag" is one only beside an empty cell."""
    labels = [cell for cell in cells if cell and _CARRY.match(cell.strip())]
    if not labels:
        return False
    return any(not cell for cell in cells) or not all(_AMBIGUOUS_CARRY.match(label) for label in labels)


def without_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line items without the totals block at the end of their table (a ruled grid often holds it too):
    from its first totals row, a row with a total label and an empty column (`합계 | | | 1,000,000`),
    when it and every row after it leave a column empty (`Tax 7% | | | 11.34`). A subtotal between
    groups of items is followed by full rows: it stays; so does a row with a total label followed by
    rows that still look like items (a bank's line for a fuel station called "Total")."""
    start = len(rows)
    while start > 0 and _has_gap(rows[start - 1]):
        start -= 1
    for position in range(start, len(rows)):
        if _has_total_label(rows[position]) and not _items_go_on(rows, position):
            return rows[:position]
    return rows


def _items_go_on(rows: list[dict[str, Any]], position: int) -> bool:
    """Whether a row after the totals row at `position` is a line item: it has no total label and fills
    every column that all the items before fill, two at least besides the label's column (the date and
    the balance of a bank statement's lines). A totals block fills a label and amounts only."""
    labelled = {key for key, value in rows[position].items()
                if isinstance(value, str) and is_total_label(value)}
    before = rows[:position]
    always = [key for key in rows[position] if key not in labelled and before
              and all(not _blank(row.get(key)) for row in before)]
    if len(always) < 2:
        return False
    return any(not _has_total_label(row) and all(not _blank(row.get(key)) for key in always)
               for row in rows[position + 1:])


def _has_total_label(row: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and is_total_label(v) for v in row.values())


def _has_gap(row: dict[str, Any]) -> bool:
    return any(_blank(value) for value in row.values())


def _blank(value: Any) -> bool:
    return value is None or value == ""


class TableRows:
    """Collects the rows of `pdf.tables`, table after table, page after page; `tables` keeps them apart."""

    def __init__(self, *, header: bool = True, only: int | None = None):
        self.header = header
        self.only = only
        self.tables: list[dict[str, Any]] = []  # {"pages": [...], "header": [...], "rows": [...]} each
        self._count = 0
        self._keys: list[str] | None = None

    @property
    def rows(self) -> list[Any]:
        return [row for table in self.tables for row in table["rows"]]

    def add(self, table: list[list[str]], *, first_on_page: bool, page: int = 0) -> None:
        if not table:
            return
        self._count += 1
        if self.only is not None and self._count != self.only:
            return
        if not self.header:
            self._start(page, []).extend(list(row) for row in table)
            return
        first = table[0]
        if self._keys is not None and [_norm(c) for c in first] == [_norm(k) for k in self._keys]:
            # the same header: repeated on a new page, or another table like it on this page
            body, rows = table[1:], self._go_on(page) if first_on_page else self._start(page, self._keys)
        elif (self._keys is not None and self.only is None and first_on_page and len(first) == len(self._keys)
              and not _looks_like_header(first)):
            body, rows = table, self._go_on(page)  # continued from the previous page without a header row
        else:
            self._keys = _keys(first)
            body, rows = table[1:], self._start(page, self._keys)
        for row in body:
            if any(cell for cell in row):
                rows.append(dict(zip(self._keys, list(row) + [""] * (len(self._keys) - len(row)))))

    def _start(self, page: int, header: list[str]) -> list[Any]:
        self.tables.append({"pages": [page], "header": list(header), "rows": []})
        return self.tables[-1]["rows"]

    def _go_on(self, page: int) -> list[Any]:
        """The rows of the table before, which goes on here (on `page`)."""
        last = self.tables[-1]
        if last["pages"][-1] != page:
            last["pages"].append(page)
        return last["rows"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text or "").casefold()


def _looks_like_header(cells: list[str]) -> bool:
    """A header row names columns: no cell of it is a number or an amount."""
    filled = [c for c in cells if c]
    return bool(filled) and not any(_NUMERIC.match(c) for c in filled)


def _keys(cells: list[str]) -> list[str]:
    keys: list[str] = []
    for position, cell in enumerate(cells, start=1):
        key = cell or f"column_{position}"
        base, n = key, 2
        while key in keys:
            key, n = f"{base}_{n}", n + 1
        keys.append(key)
    return keys
