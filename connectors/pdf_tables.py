"""Tables found on pages -> rows keyed by their header, a table continued on the next page included;
and the totals rows that end a table of line items."""

from __future__ import annotations

import re
from typing import Any

_NUMERIC = re.compile(r"^[\s\-−+(]*[^\d\s]{0,3}\s*\d[\d\s.,'’]*\)?\s*\S{0,3}$")

# The label of a totals row, whole (spaces, hyphens and case aside): "Subtotal", "Total TTC", "Summe netto",
# "Total (EUR):", "합 계". Several languages; a line item's description ("Total station") is no such label.
_TOTAL_WORDS = (
    "total", "totals", "subtotal", "grand total", "total due", "total amount", "amount due", "balance due",
    "total payable", "amount payable", "net total", "gross total", "invoice total", "sum",
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


def without_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line items without the totals block at the end of their table (a ruled grid often holds it too):
    from its first totals row, a row with a total label and an empty column (`합계 | | | 1,000,000`),
    when it and every row after it leave a column empty (`Tax 7% | | | 11.34`). A subtotal between
    groups of items is followed by full rows: it stays."""
    start = len(rows)
    while start > 0 and _has_gap(rows[start - 1]):
        start -= 1
    for position in range(start, len(rows)):
        if any(isinstance(v, str) and is_total_label(v) for v in rows[position].values()):
            return rows[:position]
    return rows


def _has_gap(row: dict[str, Any]) -> bool:
    return any(value is None or value == "" for value in row.values())


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
