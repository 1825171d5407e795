"""Excel number formats that pad with zeros, for connectors/tables_excel.py: zip codes and ids typed as numbers.

A cell holding the number 1067 with the number format `00000` shows `01067` in Excel, but calamine gives
the number 1067: the zeros the reader sees would be lost, even with `as_text`. In an .xlsx or .xlsm
file the cell's style (`s="2"` in the sheet's XML) leads, through the cellXfs of xl/styles.xml, to its
number format. A format made of zeros only, with dashes, spaces or quoted text between them (`00000`,
`00000-0000`, `000-00-0000`), makes a whole number from 0 up read as the text Excel shows. Excel's
built-in formats (ids below 164) pad no number with zeros, so only the workbook's own formats count.

Most workbooks have no such format: styles.xml is looked at first, and the sheet's XML is searched
only when the workbook has one, for the cells of those styles alone (a cell is placed by its `r="A7"`,
which Excel, LibreOffice and openpyxl always write).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_STYLES_TYPE = "/officeDocument/2006/relationships/styles"
# a format's pieces: a digit placeholder, a quoted text, an escaped character, a dash or a space, a colour
_TOKEN = re.compile(r'0|"[^"]*"|\\.|[- ]|\[[A-Za-z]+\]')
_OWN_FORMAT = re.compile(rb"<(?:\w+:)?numFmt\s")
Pieces = tuple[str | None, ...]  # a padded format: None for each digit, the texts between them
_REF = re.compile(rb"""\br=["']([A-Z]+)(\d+)["']""")
_STYLE = re.compile(rb"""\bs=["'](\d+)["']""")


def padded_styles(archive: zipfile.ZipFile) -> dict[int, Pieces]:
    """{style index (a cell's `s=`): the format's pieces} for the cell styles whose number format pads with
    zeros; empty for most workbooks."""
    raw = _read(archive, _styles_part(archive))
    if not _OWN_FORMAT.search(raw):  # no format of the workbook's own: nothing to pad
        return {}
    root = ElementTree.parse(io.BytesIO(raw)).getroot()
    padded = {}
    for entry in root.iter(f"{_MAIN}numFmt"):
        pieces = placeholders(entry.get("formatCode", ""))
        if pieces:
            padded[int(entry.get("numFmtId", "-1"))] = pieces
    if not padded:
        return {}
    found = {}
    for xfs in root.iter(f"{_MAIN}cellXfs"):
        for index, xf in enumerate(xfs.iter(f"{_MAIN}xf")):
            number = int(xf.get("numFmtId", "0"))
            if number in padded:
                found[index] = padded[number]
    return found


def padded_cells(raw: bytes, styles: dict[int, Pieces]) -> dict[tuple[int, int], Pieces]:
    """{(row from 1, column from 0): the format's pieces} of the cells of a sheet's XML with one of `styles`.

    Only the cell tags with one of those `s=` are matched (by the regular expression engine, not by
    Python, cell after cell): most cells of a sheet have other styles, or none."""
    if not styles:
        return {}
    numbers = b"|".join(str(index).encode() for index in styles)
    tags = re.compile(rb"<(?:\w+:)?c\s([^>]*?\bs=[\"'](?:" + numbers + rb")[\"'][^>]*)>")
    found: dict[tuple[int, int], Pieces] = {}
    columns: dict[bytes, int] = {}
    for match in tags.finditer(raw):
        attributes = match.group(1)
        place, style = _REF.search(attributes), _STYLE.search(attributes)
        if place and style:
            letters = place.group(1)
            if letters not in columns:
                columns[letters] = column_number(letters.decode())
            found[(int(place.group(2)), columns[letters])] = styles[int(style.group(1))]
    return found


def placeholders(code: str) -> Pieces | None:
    """The pieces of a format that pads with zeros (`000-00-0000`: 3 digits, `-`, 2, `-`, 4), else None.

    Only the first section counts (the one for numbers from 0 up); at least two zeros, and nothing that
    would change the number: no decimal point, `#`, `,`, `%`, exponent or condition."""
    section = _first_section(code).strip()
    pieces = _TOKEN.findall(section)
    if "".join(pieces) != section or pieces.count("0") < 2:
        return None
    # None for a digit, a literal as shown (a quoted "0" is text); a colour changes nothing in the text
    return tuple(None if p == "0" else _literal(p) for p in pieces if not p.startswith("["))


def shown_padded(value: Any, pieces: Pieces) -> Any:
    """A whole number from 0 up as Excel shows it with a zero-padded format: 1067 with `00000` is `01067`,
    123456789 with `000-00-0000` is `123-45-6789`; more digits than zeros go before the first zero, as in
    Excel. Other values (text, decimals, negative numbers, true/false) stay as they are."""
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or value < 0:
        return value
    zeros = pieces.count(None)
    digits = str(value).zfill(zeros)
    if zeros == len(pieces):  # `00000`, the zip code: the common case
        return digits
    extra = len(digits) - zeros
    text, used = [], 0
    for piece in pieces:
        if piece is None:
            take = extra + 1 if used == 0 else 1
            text.append(digits[used:used + take])
            used += take
        else:
            text.append(piece)
    return "".join(text)


def _literal(piece: str) -> str:
    if piece.startswith('"'):
        return piece[1:-1]
    return piece.removeprefix("\\")


def _first_section(code: str) -> str:
    """The format up to its first `;` outside quotes."""
    quoted = False
    for index, char in enumerate(code):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return code[:index]
    return code


def _styles_part(archive: zipfile.ZipFile) -> str:
    """The zip member of the workbook's styles, through its relationships (xl/styles.xml as a rule)."""
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return "xl/styles.xml"
    for rel in rels.iter(_PACKAGE_REL):
        if rel.get("Type", "").endswith(_STYLES_TYPE):
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return "xl/styles.xml"


def _read(archive: zipfile.ZipFile, part: str) -> bytes:
    try:
        return archive.read(part)
    except KeyError:
        return b""


def column_number(letters: str) -> int:
    """A column's number from 0 from its letters: A is 0, AA is 26."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1
