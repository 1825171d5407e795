"""Tables found on pages -> rows keyed by their header, a table continued on the next page included."""

from __future__ import annotations

import re
from typing import Any

_NUMERIC = re.compile(r"^[\s\-−+(]*[^\d\s]{0,3}\s*\d[\d\s.,'’]*\)?\s*\S{0,3}$")


class TableRows:
    """Collects the rows of `pdf.tables`, table after table, page after page."""

    def __init__(self, *, header: bool = True, only: int | None = None):
        self.header = header
        self.only = only
        self.rows: list[Any] = []
        self._count = 0
        self._keys: list[str] | None = None
        self._last_on_page = False

    def add(self, table: list[list[str]], *, first_on_page: bool) -> None:
        if not table:
            return
        self._count += 1
        if self.only is not None and self._count != self.only:
            return
        if not self.header:
            self.rows.extend(list(row) for row in table)
            return
        first = table[0]
        if self._keys is not None and [_norm(c) for c in first] == [_norm(k) for k in self._keys]:
            body = table[1:]  # the same header repeated on a new page
        elif (self._keys is not None and self.only is None and first_on_page and len(first) == len(self._keys)
              and not _looks_like_header(first)):
            body = table  # continued from the previous page without a header row
        else:
            self._keys = _keys(first)
            body = table[1:]
        for row in body:
            if any(cell for cell in row):
                self.rows.append(dict(zip(self._keys, list(row) + [""] * (len(self._keys) - len(row)))))


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
