"""Line items read from documents as an outside tester wrote them: three-decimal quantities, a bank line
called "Total", carry-over rows at page breaks, long descriptions past their column, debit and credit
marks, scans without text, and headers that are not in the document."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pdf_fields import extract

from connectors.pdf_values import parse_number
from orchestrator import actions
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import BusinessError, DocumentError
from orchestrator.expressions import evaluate
from orchestrator.loader import load_project

LINES = {"columns": {"description": "Description", "qty": "Qty", "price": "Unit price", "amount": "Amount"},
         "types": {"qty": "number", "price": "number", "amount": "number"}}
BANK = {"columns": {"date": "Date", "description": "Description", "debit": "Debit", "credit": "Credit",
                    "balance": "Balance"},
        "types": {"date": "date", "debit": "number", "credit": "number", "balance": "number"},
        "decimal": ",", "formats": ["%d.%m.%Y"]}


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "robots.yaml").write_text("version: 1\nrobots:\n  r:\n    steps:\n      - log: hi\n")
    session = RunSession(project=load_project(tmp_path), robot_name="r", run_id="test", inputs={}, secrets={})
    return StepContext(session=session)


def call(ctx, name: str, raw):
    action = actions.get(name)
    return action.func(ctx, action.bind(raw))


def _document(path: Path, pages: list[list[tuple[float, float, str]]], *, size: float = 9) -> str:
    """An A4 PDF in Helvetica: each page a list of (x, y, text); a negative x sets the text right-aligned
    at -x (amounts), as invoices print them."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4)
    for number, page in enumerate(pages):
        if number:
            canvas.showPage()
        canvas.setFont("Helvetica", size)
        for x, y, text in page:
            if x < 0:
                canvas.drawRightString(-x, y, text)
            else:
                canvas.drawString(x, y, text)
    canvas.save()
    return path.name


def _invoice(rows: list[tuple[str, ...]], *, qty_header: str = "Qty", top: float = 720) -> list:
    """Description | Qty | Unit price | Amount at `top`, the numbers set right."""
    page = [(50, top, "Description"), (-340, top, qty_header), (-440, top, "Unit price"),
            (-540, top, "Amount")]
    y = top
    for description, *numbers in rows:
        y -= 14
        page.append((50, y, description))
        page += [(-x, y, text) for x, text in zip((340, 440, 540), numbers)]
    return page


# 1. Quantities with three decimals


@pytest.mark.parametrize(("qty", "prices", "expected"), [
    (["0.250", "1.500", "12.000", "2.125"], ["1,200.00", "24.00", "1.10", "80.00"], [0.25, 1.5, 12.0, 2.125]),
    (["1.500", "12.000", "2.125"], ["1,200.00", "1.10", "80.00"], [1.5, 12.0, 2.125]),  # the prices tell
    (["1.500", "2.000"], ["1.234,56", "12,50"], [1500, 2000]),  # a German invoice: fifteen hundred
])
def test_a_number_column_is_read_with_the_decimal_mark_its_numbers_and_the_table_show(
        ctx, tmp_path, qty, prices, expected):
    rows = [(f"Item {n}", q, p, "1.00") for n, (q, p) in enumerate(zip(qty, prices), start=1)]
    name = _document(tmp_path / "weights.pdf", [_invoice(rows, qty_header="Qty (kg)")])
    got = extract(ctx, name, tables={"lines": LINES})["lines"]
    assert [row["qty"] for row in got] == expected
    assert [type(row["qty"]) for row in got] == [type(v) for v in expected]


def test_without_evidence_in_the_table_the_document_tells_and_a_declared_mark_wins(ctx, tmp_path):
    page = [(50, 720, "Description"), (-340, 720, "Qty"), (50, 706, "Saffron"), (-340, 706, "1.500"),
            (50, 692, "Vanilla"), (-340, 692, "2.125"), (50, 640, "Total due: 1,234.50")]
    name = _document(tmp_path / "kg.pdf", [page])
    table = {"columns": {"description": "Description", "qty": "Qty"}, "types": {"qty": "number"}}
    assert [row["qty"] for row in extract(ctx, name, tables={"lines": table})["lines"]] == [1.5, 2.125]
    declared = extract(ctx, name, tables={"lines": {**table, "decimal": ","}})["lines"]
    assert [row["qty"] for row in declared] == [1500, 2125]


def test_a_number_on_its_own_stays_a_guess_that_decimal_settles():
    assert parse_number("1.500") == 1500 and parse_number("0.250") == 0.25
    assert evaluate("{{ '1.500' | number }}", {}) == 1500
    assert evaluate("{{ '1.500' | number(decimal='.') }}", {}) == 1.5


# 2. A bank line called "Total"


def _statement(transactions: list[tuple[str, str, str, str, str]], closing: str | None) -> list:
    page = [(50, 700, "Date"), (120, 700, "Description"), (-400, 700, "Debit"), (-480, 700, "Credit"),
            (-560, 700, "Balance")]
    y = 700
    for date, text, debit, credit, balance in transactions:
        y -= 15
        page += [(50, y, date), (120, y, text), (-400, y, debit), (-480, y, credit), (-560, y, balance)]
    if closing:
        page += [(120, y - 25, "Closing balance"), (-560, y - 25, closing)]
    return [(x, y, text) for x, y, text in page if text]


TRANSACTIONS = [("02.01.2026", "Stadtwerke Strom", "182,40", "", "9.817,60"),
                ("03.01.2026", "Gutschrift Kunde", "", "4.760,00", "14.577,60"),
                ("09.01.2026", "Total", "12,00", "", "14.565,60"),  # a fuel station called Total
                ("12.01.2026", "Gutschrift Rechnung", "", "1.234,56", "15.800,16")]


def test_a_bank_line_called_total_followed_by_more_lines_does_not_end_them(ctx, tmp_path):
    name = _document(tmp_path / "statement.pdf", [_statement(TRANSACTIONS, "15.800,16")])
    got = extract(ctx, name, tables={"lines": BANK})["lines"]
    assert [(row["date"], row["description"], row["debit"]) for row in got] == [
        ("2026-01-02", "Stadtwerke Strom", 182.4), ("2026-01-03", "Gutschrift Kunde", None),
        ("2026-01-09", "Total", 12.0), ("2026-01-12", "Gutschrift Rechnung", None)]


def test_totals_false_turns_the_totals_rule_off(ctx, tmp_path):
    last = [*TRANSACTIONS[:2], TRANSACTIONS[3], ("14.01.2026", "Total", "20,00", "", "15.780,16")]
    name = _document(tmp_path / "statement.pdf", [_statement(last, None)])
    # the rule: a last "Total" is a total
    assert len(extract(ctx, name, tables={"lines": BANK})["lines"]) == 3
    got = extract(ctx, name, tables={"lines": {**BANK, "totals": False}})["lines"]
    assert [row["description"] for row in got][-1] == "Total" and got[-1]["debit"] == 20.0 and len(got) == 4


# 3. Carry-over rows at page breaks


@pytest.mark.parametrize(("carried", "brought"), [("Carried forward", "Brought forward"),
                                                  ("Übertrag", "Übertrag von Seite 1"),
                                                  ("À reporter", "Report"),
                                                  ("Subtotal carried over", "Subtotal brought forward")])
@pytest.mark.parametrize("repeat_header", [True, False])
def test_carry_over_rows_at_a_page_break_are_neither_items_nor_the_end(ctx, tmp_path, carried, brought,
                                                                       repeat_header):
    first = _invoice([("Item 001", "2", "6.10", "12.20"), ("Item 002", "3", "7.20", "21.60")])
    first += [(50, 674, carried), (-540, 674, "33.80"), (280, 40, "Page 1 of 2")]
    header = [(50, 780, "Description"), (-340, 780, "Qty"), (-440, 780, "Unit price"), (-540, 780, "Amount")]
    second = [*(header if repeat_header else []), (50, 766, brought), (-540, 766, "33.80"),
              (50, 752, "Item 003"), (-340, 752, "1"), (-440, 752, "8.30"), (-540, 752, "8.30"),
              (400, 720, "Total"), (-540, 720, "42.10"), (280, 40, "Page 2 of 2")]
    name = _document(tmp_path / "carry.pdf", [first, second])
    got = extract(ctx, name, tables={"lines": {**LINES, "required": True}})["lines"]
    assert [(row["description"], row["amount"]) for row in got] == [
        ("Item 001", 12.2), ("Item 002", 21.6), ("Item 003", 8.3)]


def test_carry_over_rows_of_a_ruled_table_are_skipped(ctx, tmp_path):
    from test_pdf_documents import _canvas, _grid

    canvas = _canvas(tmp_path / "ruled.pdf")
    _grid(canvas, 50, 760, [200, 60, 90, 90], [["Description", "Qty", "Unit price", "Amount"],
                                                ["Brought forward", "", "", "100.00"],
                                                ["Desk lamp", "2", "25.00", "50.00"],
                                                ["Carried forward", "", "", "150.00"]])
    canvas.save()
    assert extract(ctx, "ruled.pdf", tables={"lines": LINES})["lines"] == [
        {"description": "Desk lamp", "qty": 2, "price": 25.0, "amount": 50.0}]


# 4. A long description past its column's edge


def _units(long_row: tuple[str, str]) -> list[tuple[float, float, str]]:
    """Pos | Description | Unit | Qty | Unit price | Amount; rows 1-3 with a unit, then `long_row`."""
    page = [(50, 720, "Pos"), (80, 720, "Description"), (300, 720, "Unit"), (-370, 720, "Qty"),
            (-450, 720, "Unit price"), (-540, 720, "Amount")]
    rows = [("Office chair", "pcs"), ("Desk", "set"), ("Lamp", "pcs"), long_row]
    for n, (description, unit) in enumerate(rows, start=1):
        y = 720 - 14 * n
        page += [(50, y, str(n)), (80, y, description), (300, y, unit), (-370, y, "2"), (-450, y, "10.00"),
                 (-540, y, "20.00")]
    return [(x, y, text) for x, y, text in page if text]


@pytest.mark.parametrize("unit", ["pcs", ""])
def test_a_long_description_keeps_its_words_from_the_unit_column(ctx, tmp_path, unit):
    name = _document(tmp_path / "units.pdf", [_units(("Ergonomic standing desk with electric motor", unit))])
    table = {**LINES, "columns": {"description": "Description", "unit": "Unit", **{
        k: v for k, v in LINES["columns"].items() if k != "description"}}}
    got = extract(ctx, name, tables={"lines": table})["lines"]
    assert got[3] == {"description": "Ergonomic standing desk with electric motor", "unit": unit or None,
                      "qty": 2, "price": 10.0, "amount": 20.0}
    assert [row["unit"] for row in got[:3]] == ["pcs", "set", "pcs"]


def test_a_long_description_keeps_its_word_from_a_number_column(ctx, tmp_path):
    page = [(50, 720, "Pos"), (80, 720, "Description"), (-350, 720, "Qty"), (-440, 720, "Unit price"),
            (-540, 720, "Amount"), (50, 706, "1"), (80, 706, "Ergonomic standing desk with electric motor"),
            (-350, 706, "6"), (-440, 706, "167.45"), (-540, 706, "1,004.70"), (80, 692, "height adjustment")]
    name = _document(tmp_path / "desk.pdf", [page])
    assert extract(ctx, name, tables={"lines": LINES})["lines"] == [
        {"description": "Ergonomic standing desk with electric motor height adjustment", "qty": 6,
         "price": 167.45, "amount": 1004.7}]
    statement = [("03.01.2026", "Gutschrift Kunde Müller & Söhne KG", "", "4.760,00", "14.577,60")]
    name = _document(tmp_path / "kg.pdf", [_statement(statement, None)])
    got = extract(ctx, name, tables={"lines": BANK})["lines"]
    assert [(row["description"], row["debit"], row["credit"]) for row in got] == [
        ("Gutschrift Kunde Müller & Söhne KG", None, 4760.0)]


def test_edges_place_the_columns_by_hand(ctx, tmp_path):
    name = _document(tmp_path / "statement.pdf", [_statement(TRANSACTIONS, "15.800,16")])
    edges = [45, 115, 340, 410, 490, 570]
    got = extract(ctx, name, tables={"lines": {**BANK, "edges": edges}})["lines"]
    assert [row["balance"] for row in got] == [9817.6, 14577.6, 14565.6, 15800.16]
    with pytest.raises(DocumentError, match="edges: no column between the edges is the header 'Description'"):
        extract(ctx, name, tables={"lines": {**BANK, "edges": [45, 115, 390, 410, 490, 570]}})
    both = {**BANK, "edges": edges, "settings": {"vertical_strategy": "text"}}
    with pytest.raises(BusinessError, match="give `edges:` or `settings:`, not both"):
        extract(ctx, name, tables={"lines": both})
    explicit = {"vertical_strategy": "explicit", "explicit_vertical_lines": edges,
                "horizontal_strategy": "text"}
    with pytest.raises(DocumentError, match=r"page 1 has the header line Date \| Description .* `edges:`"):
        extract(ctx, name, tables={"lines": {**BANK, "settings": explicit, "required": True}})


# 5. Debit and credit marks


@pytest.mark.parametrize(("text", "number"), [
    ("1,234.50 CR", 1234.5), ("1,234.50 DR", -1234.5), ("1.234,56 S", -1234.56), ("1.234,56 H", 1234.56),
    ("EUR 1.234,56 S", -1234.56), ("1,234.50Dr", -1234.5), ("1,234.50 cr", 1234.5), ("12 pcs", 12),
])
def test_debit_and_credit_marks_give_the_sign(text, number):
    assert parse_number(text) == number
    assert evaluate("{{ text | number }}", {"text": text}) == number


def test_a_debit_amount_field_is_negative(ctx, tmp_path):
    page = [(50, 720, "Amount I: 1,234.50 DR"), (50, 700, "Amount J: 99.00 CR"),
            (50, 680, "Saldo: 1.234,56 S")]
    name = _document(tmp_path / "marks.pdf", [page])
    got = extract(ctx, name, fields={"i": {"anchor": "Amount I", "type": "number"},
                                     "j": {"anchor": "Amount J", "type": "number"},
                                     "saldo": {"anchor": "Saldo", "type": "number"}})
    assert got == {"i": -1234.5, "j": 99.0, "saldo": -1234.56}


# 8. A scan


def test_pdf_tables_on_a_scan_without_text_fails_like_pdf_text(ctx, tmp_path):
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(tmp_path / "scan.pdf"))
    canvas.drawImage(ImageReader(Image.new("RGB", (200, 100), "white")), 50, 500, width=400, height=200)
    for y in (500, 600, 700):  # a grid with its cells in the image
        canvas.line(50, y, 450, y)
    for x in (50, 250, 450):
        canvas.line(x, 500, x, 700)
    canvas.save()
    for raw in ("scan.pdf", {"file": "scan.pdf", "by_table": True, "header": False}):
        with pytest.raises(DocumentError, match=r"scan.pdf: empty: no text on page\(s\) 1 \(a blank page, "
                                                r"or a scanned image"):
            call(ctx, "pdf.tables", raw)


# 9. A header that is not in the document


def test_a_header_is_matched_whole_and_one_not_found_is_named(ctx, tmp_path):
    name = _document(tmp_path / "no-unit.pdf", [_invoice([("Desk", "2", "10.00", "20.00")])])
    table = {**LINES, "columns": {**LINES["columns"], "unit": "Unit"}}
    with pytest.raises(DocumentError, match=r"no-unit.pdf: lines: header\(s\) not found: 'Unit'; the header "
                                            r"line on page 1 has: Description \| Qty \| Unit price \| Amount"):
        extract(ctx, name, tables={"lines": table})


def test_a_ruled_header_cell_is_not_matched_by_its_first_word(ctx, tmp_path):
    from test_pdf_documents import _canvas, _grid

    canvas = _canvas(tmp_path / "ruled.pdf")
    _grid(canvas, 50, 760, [200, 90, 90], [["Description", "Unit price", "Amount (EUR)"],
                                            ["Desk lamp", "25.00", "50.00"]])
    canvas.save()
    columns = {"description": "Description", "unit": "Unit", "amount": "Amount"}
    with pytest.raises(DocumentError, match=r"header\(s\) not found: 'Unit'"):
        extract(ctx, "ruled.pdf", tables={"lines": {"columns": columns}})
    columns["unit"] = "Unit price"  # and "Amount" still finds "Amount (EUR)"
    assert extract(ctx, "ruled.pdf", tables={"lines": {"columns": columns}})["lines"] == [
        {"description": "Desk lamp", "unit": "25.00", "amount": "50.00"}]


def test_a_required_table_not_found_names_its_headers(ctx, tmp_path):
    name = _document(tmp_path / "other.pdf", [_invoice([("Desk", "2", "10.00", "20.00")])])
    table = {"columns": {"description": "Beschreibung", "qty": "Menge"}, "required": True}
    with pytest.raises(DocumentError, match=r"lines: no table with the header\(s\) 'Beschreibung', 'Menge'"):
        extract(ctx, name, tables={"lines": table})
    table = {"columns": {"description": "Description", "qty": "Quantity", "amount": "Amount"},
             "required": True}
    with pytest.raises(DocumentError, match=r"header\(s\) not found: 'Quantity'; .* has: Description \| Qty"):
        extract(ctx, name, tables={"lines": table})
    # not required, and not one header of it there: a document without such a table
    other = {"columns": {"description": "Beschreibung", "qty": "Menge"}}
    assert extract(ctx, name, tables={"lines": other}) == {"lines": []}
