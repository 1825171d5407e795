"""pdf.text, pdf.tables and pdf.extract on real PDFs: reference files, Korean, unreadable documents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backoffice.invoices import expected, generate
from orchestrator import actions
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import BusinessError, DocumentError
from orchestrator.loader import load_project

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
REFERENCES = sorted(p.stem for p in FIXTURES.glob("*.json") if p.with_suffix(".pdf").exists())
INVOICE_FIELDS = json.loads((FIXTURES / "invoice-template.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """A step context in a project holding the reference PDFs and a fresh set of generated invoices."""
    root = tmp_path_factory.mktemp("pdf-project")
    (root / "robots.yaml").write_text("version: 1\nrobots:\n  r:\n    steps:\n      - log: hi\n")
    shutil.copytree(FIXTURES, root / "ref")
    generate(root / "fresh")
    session = RunSession(project=load_project(root), robot_name="r", run_id="test", inputs={}, secrets={})
    return StepContext(session=session)


def call(ctx, name, raw):
    action = actions.get(name)
    return action.func(ctx, action.bind(raw))


def invoice_truth(path: Path) -> dict:
    truth = expected(path)
    return {**truth["fields"], "lines": truth["lines"]}


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_documents_give_their_expected_json(ctx, name):
    spec = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    assert call(ctx, "pdf.extract", {**spec["extract"], "file": f"ref/{name}.pdf"}) == spec["expected"]


@pytest.mark.parametrize("folder", ["ref/invoices", "fresh"])
def test_good_invoices_english_and_korean_match_the_json_beside_them(ctx, folder):
    checked = {"en": 0, "ko": 0}
    for pdf in sorted(ctx.resolve(folder).glob("*.pdf")):
        truth = expected(pdf)
        if truth["kind"] != "ok" or truth["missing"]:
            continue
        got = call(ctx, "pdf.extract", {**INVOICE_FIELDS, "file": f"{folder}/{pdf.name}"})
        assert got == invoice_truth(pdf), pdf.name
        checked[truth["language"]] += 1
    assert checked["en"] >= 4 and checked["ko"] >= 3


def test_korean_invoice_text_comes_out_exactly(ctx):
    text = call(ctx, "pdf.text", "ref/invoices/invoice-002.pdf")
    truth = expected(ctx.resolve("ref/invoices/invoice-002.pdf"))
    assert "거래명세서" in text and "송장 번호: KR-2026-0002" in text
    assert truth["fields"]["vendor"] in text and truth["lines"][0]["description"] in text


def test_faux_bold_characters_are_removed_unless_asked_to_keep_them(ctx):
    assert "견적 번호: Q-2026-0042" in call(ctx, "pdf.text", "ref/quotation-fauxbold-ko.pdf")
    doubled = call(ctx, "pdf.text", {"file": "ref/quotation-fauxbold-ko.pdf", "dedupe": False})
    assert "견견적적" in doubled


@pytest.mark.parametrize(("number", "reason", "words"), [
    ("004", "corrupt", "corrupt or not a PDF"),
    ("007", "encrypted", "needs a password"),
    ("010", "empty", "no pages"),
])
@pytest.mark.parametrize("action", ["pdf.text", "pdf.tables", "pdf.extract"])
def test_unreadable_documents_fail_with_the_file_and_the_reason(ctx, number, reason, words, action):
    raw = {"file": f"ref/invoices/invoice-{number}.pdf"}
    if action == "pdf.extract":
        raw.update(INVOICE_FIELDS)
    with pytest.raises(DocumentError) as caught:
        call(ctx, action, raw)
    assert isinstance(caught.value, BusinessError)
    assert caught.value.reason == reason and caught.value.file == f"ref/invoices/invoice-{number}.pdf"
    assert str(caught.value).startswith(f"ref/invoices/invoice-{number}.pdf: {reason}") and words in str(caught.value)


def test_an_encrypted_document_opens_with_its_password(ctx):
    from backoffice.invoices import PASSWORD

    text = call(ctx, "pdf.text", {"file": "ref/invoices/invoice-007.pdf", "password": PASSWORD})
    assert "INVOICE" in text
    with pytest.raises(DocumentError, match="password given is wrong"):
        call(ctx, "pdf.text", {"file": "ref/invoices/invoice-007.pdf", "password": "nope"})


def test_a_file_that_is_not_a_pdf_or_not_there_is_named(ctx):
    ctx.resolve("fresh/notes.pdf").write_text("these are notes, not a PDF")
    with pytest.raises(DocumentError, match=r"fresh/notes.pdf: corrupt or not a PDF"):
        call(ctx, "pdf.text", "fresh/notes.pdf")
    with pytest.raises(DocumentError, match=r"fresh/nowhere.pdf: missing"):
        call(ctx, "pdf.extract", {**INVOICE_FIELDS, "file": "fresh/nowhere.pdf"})


def test_a_blank_page_is_empty_unless_allowed(ctx, tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(ctx.resolve("fresh/blank.pdf")))
    canvas.showPage()
    canvas.save()
    with pytest.raises(DocumentError, match="empty: no text on page"):
        call(ctx, "pdf.text", "fresh/blank.pdf")
    with pytest.raises(DocumentError, match="empty: no text"):
        call(ctx, "pdf.extract", {**INVOICE_FIELDS, "file": "fresh/blank.pdf"})
    assert call(ctx, "pdf.text", {"file": "fresh/blank.pdf", "allow_empty": True}) == ""


def test_missing_required_fields_are_all_named_at_once(ctx):
    fields = {"po": {"anchor": "PO number", "required": True}, "iban": {"regex": r"IBAN \S+"},
              "due": {"anchor": "Due date", "type": "date"}}
    with pytest.raises(DocumentError) as caught:
        call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-006.pdf", "fields": fields,
                                  "required": ["iban"]})
    assert caught.value.fields == ["iban", "po"]
    assert "ref/invoices/invoice-006.pdf: required field(s) missing: iban, po" in str(caught.value)


def test_a_found_value_that_is_not_its_type_fails_with_the_text(ctx):
    with pytest.raises(DocumentError, match=r"vendor: 'Acme Trading Co.' is not a number"):
        call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-001.pdf",
                                  "fields": {"vendor": {"anchor": "Vendor", "type": "number"}}})


def test_anchor_labels_match_whatever_their_case_spacing_and_colon(ctx):
    fields = {"a": "INVOICE  NO", "b": "invoice no:", "c": {"anchor": "Invoiceno"}}
    got = call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-001.pdf", "fields": fields})
    assert got == {"a": "INV-2026-0001", "b": "INV-2026-0001", "c": "INV-2026-0001"}


def test_the_right_of_an_anchor_stops_at_the_next_column(ctx):
    got = call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-001.pdf", "fields": {
        "no": {"anchor": "Invoice no", "direction": "right"}, "date": {"anchor": "Date", "direction": "right"}}})
    assert got == {"no": "INV-2026-0001", "date": "2026-06-19"}


def test_pages_choose_where_fields_are_searched(ctx):
    spec = {"file": "ref/statement-multipage.pdf", "fields": {"closing": {"anchor": "Closing balance"}}}
    assert call(ctx, "pdf.extract", {**spec, "pages": 1}) == {"closing": None}
    assert call(ctx, "pdf.extract", {**spec, "pages": "last"}) == {"closing": "1.234,56"}
    with pytest.raises(BusinessError, match="not in this document of 3 page"):
        call(ctx, "pdf.extract", {**spec, "pages": 7})


def test_pdf_text_separates_pages_and_can_keep_the_layout(ctx):
    text = call(ctx, "pdf.text", {"file": "ref/statement-multipage.pdf", "pages": "2-3"})
    assert text.count("\f") == 1 and "Transfer 021" in text and "Transfer 001" not in text
    layout = call(ctx, "pdf.text", {"file": "ref/invoices/invoice-001.pdf", "layout": True})
    assert "Invoice no: INV-2026-0001" in layout and "\n" in layout and "   Date" in layout


def test_pdf_tables_gives_rows_by_header_across_pages(ctx):
    rows = call(ctx, "pdf.tables", "ref/statement-multipage.pdf")
    assert len(rows) == 60
    assert rows[0] == {"Booking date": "2026-02-02", "Text": "Transfer 001", "Amount (EUR)": "1.137,50"}
    assert rows[20]["Text"] == "Transfer 021" and rows[59]["Text"] == "Transfer 060"
    only = call(ctx, "pdf.tables", {"file": "ref/invoices/invoice-002.pdf", "table": 1, "header": False})
    assert only[0] == ["품목", "수량", "단가", "금액"]


def test_pdf_tables_passes_table_settings_and_rejects_bad_ones(ctx):
    rows = call(ctx, "pdf.tables", {"file": "ref/price-list-borderless.pdf",
                                    "settings": {"vertical_strategy": "text", "horizontal_strategy": "text"}})
    assert {"column_1": "A-100"}.items() <= rows[2].items() or any("A-100" in r.values() for r in rows)
    with pytest.raises(BusinessError, match="table settings"):
        call(ctx, "pdf.tables", {"file": "ref/price-list-borderless.pdf", "settings": {"bogus": 1}})


def test_line_item_columns_by_index_without_a_header(ctx):
    got = call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-001.pdf", "tables": {
        "cells": {"columns": {"what": 0, "qty": 1}, "header": False}}})
    assert got["cells"][:2] == [{"what": "Description", "qty": "Qty"}, {"what": "Filing cabinet", "qty": "18"}]


@pytest.mark.parametrize(("raw", "message"), [
    ({"fields": {"x": {"anchr": "Total"}}}, "Extra inputs are not permitted"),
    ({"fields": {"x": {"type": "number"}}}, "say where the field is"),
    ({"fields": {"x": {"regex": "(unclosed"}}}, "not a valid regular expression"),
    ({"fields": {"x": "Total"}, "required": ["y"]}, "required names no field"),
    ({}, "name what to extract"),
    ({"tables": {"t": {"columns": {"a": "A"}, "types": {"b": "number"}}}}, "not in `columns:`"),
])
def test_wrong_arguments_are_explained(ctx, raw, message):
    with pytest.raises(BusinessError, match=message):
        call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-001.pdf", **raw})


def test_chromium_printed_spaces_read_as_spaces(ctx):
    text = call(ctx, "pdf.text", "ref/quotation-chromium.pdf")
    assert "\x01" not in text and "Quote No. Q-99812" in text and "공급자: 주식회사 미래로" in text
    rows = call(ctx, "pdf.tables", "ref/quotation-chromium.pdf")
    assert rows[0] == {"No": "1", "Item": "노트북 거치대", "Quantity": "3", "Unit Price": "₩45,000",
                       "Line Total": "₩135,000"}


def test_line_items_without_rules_are_found_by_their_text_layout(ctx):
    spec = json.loads((FIXTURES / "price-list-borderless.json").read_text(encoding="utf-8"))
    table = dict(spec["extract"]["tables"]["prices"])
    del table["settings"]
    got = call(ctx, "pdf.extract", {"file": "ref/price-list-borderless.pdf", "tables": {"prices": table}})
    assert got == spec["expected"]


def test_line_items_end_at_the_row_named_by_until(ctx):
    got = call(ctx, "pdf.extract", {"file": "ref/price-list-borderless.pdf", "tables": {"prices": {
        "columns": {"sku": "SKU", "price": "Price"}, "until": "^B-"}}})
    assert got == {"prices": [{"sku": "A-100", "price": "1.20"}, {"sku": "A-200", "price": "8.75"}]}


def test_fields_as_a_named_list_and_integer_type(ctx):
    fields = [{"name": "no", "label": ["Invoice no", "송장 번호"]}, {"name": "total", "anchor": "합계", "type": "integer"}]
    got = call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-002.pdf", "fields": fields})
    assert got == {"no": "KR-2026-0002", "total": 10507900}
    fields[1]["anchor"] = "Total"
    with pytest.raises(DocumentError, match="total: 'USD 16,305.86' is not a whole number"):
        call(ctx, "pdf.extract", {"file": "ref/invoices/invoice-001.pdf", "fields": fields})


def test_a_field_can_be_looked_for_on_one_page(ctx):
    fields = {"first": {"regex": r"Page (\d) of 3", "page": 1}, "last": {"regex": r"Page (\d) of 3", "page": 3},
              "nowhere": {"anchor": "Account", "page": 2}}
    got = call(ctx, "pdf.extract", {"file": "ref/statement-multipage.pdf", "fields": fields})
    assert got == {"first": "1", "last": "3", "nowhere": None}


@pytest.mark.parametrize("damage", ["page content", "no objects"])
def test_damage_found_while_reading_a_page_is_a_corrupt_document(ctx, damage):
    raw = (FIXTURES / "invoices/invoice-001.pdf").read_bytes()
    if damage == "page content":
        start = raw.index(b"stream") + 7
        raw = raw[:start] + bytes(b ^ 0x5A for b in raw[start:start + 200]) + raw[start + 200:]
    else:
        raw = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    ctx.resolve("fresh/damaged.pdf").write_bytes(raw)
    for action in ("pdf.text", "pdf.tables"):
        with pytest.raises(DocumentError, match="fresh/damaged.pdf: corrupt or not a PDF") as caught:
            call(ctx, action, "fresh/damaged.pdf")
        assert caught.value.reason == "corrupt"


def _unruled_invoice(path: Path) -> None:
    """A layout of another kind: no ruling, an item number column nobody asks for, a description wrapped
    over two lines, right-aligned amounts wider than their header, qualified labels ("Tax (10%)")."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=letter)
    top = letter[1]
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(50, top - 60, "INVOICE")
    canvas.setFont("Helvetica", 10)
    canvas.drawString(400, top - 60, "Invoice #: INV-2026-0042")
    canvas.drawString(400, top - 75, "Date of issue")
    canvas.drawString(400, top - 88, "11/29/2026")
    canvas.drawString(50, top - 110, "Bill To:")
    canvas.drawString(50, top - 123, "Globex Corporation")
    y = top - 180
    for x, text in ((30, "#"), (50, "Description"), (300, "Qty"), (370, "Unit Price"), (500, "Total")):
        canvas.drawString(x, y, text)
    rows = [("1", "Widget, large", "2", "500.00", "1,000,000.00"), ("", "(blue, boxed)", "", "", ""),
            ("2", "Service fee", "1", "150.00", "150.00"), ("3", "Shipping", "1", "84.56", "84.56")]
    for number, description, qty, price, amount in rows:
        y -= 14
        canvas.drawString(30, y, number)
        canvas.drawString(50, y, description)
        canvas.drawRightString(318, y, qty)
        canvas.drawRightString(420, y, price)
        canvas.drawRightString(528, y, amount)
    y -= 40
    for label, value in (("Subtotal", "1,000,234.56"), ("Tax (10%)", "100,023.46"), ("Total due", "1,100,258.02")):
        canvas.drawString(370, y, label)
        canvas.drawRightString(528, y, value)
        y -= 14
    canvas.save()


def test_an_unruled_invoice_of_another_layout_gives_its_lines_by_their_headers(ctx):
    _unruled_invoice(ctx.resolve("fresh/unruled.pdf"))
    got = call(ctx, "pdf.extract", {
        "file": "fresh/unruled.pdf",
        "fields": {"invoice_no": "Invoice #", "date": {"anchor": "Date of issue", "type": "date"},
                   "tax": {"anchor": "Tax", "type": "number"}, "total": {"anchor": "Total due", "type": "number"}},
        "tables": {"lines": {"columns": {"description": "Description", "qty": "Qty", "price": "Unit price",
                                         "amount": "Total"},
                             "types": {"qty": "integer", "price": "number", "amount": "number"}}}})
    assert {k: got[k] for k in ("invoice_no", "date", "tax", "total")} == {
        "invoice_no": "INV-2026-0042", "date": "2026-11-29", "tax": 100023.46, "total": 1100258.02}
    assert got["lines"] == [
        {"description": "Widget, large (blue, boxed)", "qty": 2, "price": 500.0, "amount": 1000000.0},
        {"description": "Service fee", "qty": 1, "price": 150.0, "amount": 150.0},
        {"description": "Shipping", "qty": 1, "price": 84.56, "amount": 84.56}]


def _two_page_unruled_invoice(path: Path) -> None:
    """Line items that run onto a second page, which does not repeat the header; a footer on each page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4)
    width, top = A4
    canvas.setFont("Helvetica", 10)
    canvas.drawString(50, top - 60, "INVOICE INV-2026-0077")
    y = top - 120
    for x, text in ((50, "Item"), (330, "Qty"), (400, "Price"), (490, "Amount")):
        canvas.drawString(x, y, text)
    for number in range(1, 56):
        y -= 14
        if y < 70:  # the page is full: the rest goes on the next page, under its own title
            canvas.drawString(width / 2 - 30, 30, "Page 1 of 2")
            canvas.showPage()
            canvas.setFont("Helvetica", 10)
            canvas.drawString(50, top - 60, "INVOICE INV-2026-0077 (continued)")
            y = top - 100
        canvas.drawString(50, y, f"Part {number:02d}")
        canvas.drawRightString(350, y, str(number))
        canvas.drawRightString(440, y, "2.50")
        canvas.drawRightString(530, y, f"{number * 2.5:.2f}")
        if number == 52:  # a description wrapped onto a second line, on the second page
            y -= 14
            canvas.drawString(50, y, "(spare)")
    y -= 40
    canvas.drawString(400, y, "Total")
    canvas.drawRightString(530, y, "3,850.00")
    canvas.drawString(width / 2 - 30, 30, "Page 2 of 2")
    canvas.save()


def test_an_unruled_table_goes_on_onto_a_page_without_its_header(ctx):
    _two_page_unruled_invoice(ctx.resolve("fresh/two-pages.pdf"))
    got = call(ctx, "pdf.extract", {
        "file": "fresh/two-pages.pdf",
        "tables": {"lines": {"columns": {"item": "Item", "qty": "Qty", "price": "Price", "amount": "Amount"},
                             "types": {"qty": "integer", "price": "number", "amount": "number"}}}})
    lines = got["lines"]
    assert [line["qty"] for line in lines] == list(range(1, 56))  # no title, footer or total taken for a row
    assert lines[51] == {"item": "Part 52 (spare)", "qty": 52, "price": 2.5, "amount": 130.0}
    assert sum(line["amount"] for line in lines) == 3850.0
