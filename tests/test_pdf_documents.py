"""Documents as they come from many vendors: passwords, headers on two lines, totals under the items,
turned pages, one invoice per page, files that are not PDFs, and several tables on a page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_pdf_fields import ctx, extract, pdf  # noqa: F401 - the fixture

from orchestrator import actions
from orchestrator.errors import DocumentError

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
LINES = {"columns": {"description": "Description", "qty": "Qty", "price": "Unit price", "amount": "Amount"},
         "types": {"qty": "number", "price": "number", "amount": "number"}}


def call(ctx, name: str, raw):  # noqa: F811 - ctx is the fixture
    action = actions.get(name)
    return action.func(ctx, action.bind(raw))


def _canvas(path: Path, **options):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, **options)
    canvas.setFont("Helvetica", 10)
    return canvas


def _grid(canvas, x: float, top: float, widths: list[float], rows: list[list[str]]) -> None:
    """A ruled table: every cell boxed, amounts set right."""
    height = 18
    bottom = top - height * len(rows)
    for row_no, row in enumerate(rows):
        y = top - height * row_no
        canvas.line(x, y, x + sum(widths), y)
        left = x
        for col, (width, text) in enumerate(zip(widths, row)):
            if col and any(ch.isdigit() for ch in text):
                canvas.drawRightString(left + width - 3, y - height + 5, text)
            else:
                canvas.drawString(left + 3, y - height + 5, text)
            left += width
    canvas.line(x, bottom, x + sum(widths), bottom)
    left = x
    for width in [*widths, 0]:
        canvas.line(left, top, left, bottom)
        left += width


# 1. Passwords


def test_a_password_given_for_a_mixed_inbox_also_opens_pdfs_with_only_an_owner_password(ctx, tmp_path):  # noqa: F811
    from reportlab.lib.pdfencrypt import StandardEncryption

    for name, user in (("owner-only.pdf", ""), ("user.pdf", "s3cret")):
        canvas = _canvas(tmp_path / name, encrypt=StandardEncryption(user, ownerPassword="owner", canPrint=0))
        canvas.drawString(50, 750, "Total: 12.00")
        canvas.save()
    for password in ("s3cret", "비밀번호"):  # (RC4 takes no Korean password: pdfminer fails to encode it)
        assert call(ctx, "pdf.text", {"file": "owner-only.pdf", "password": password}) == "Total: 12.00"
    assert call(ctx, "pdf.text", {"file": "user.pdf", "password": "s3cret"}) == "Total: 12.00"
    with pytest.raises(DocumentError, match=r"^user.pdf: encrypted: the password given is wrong$"):
        call(ctx, "pdf.text", {"file": "user.pdf", "password": "wrong"})


# 2. Headers on two lines


def _two_line_header(path: Path, *, leading: float = 11) -> None:
    """`Unit` over `price` and `Amount` over `(EUR)`, set right above right-aligned amounts."""
    canvas = _canvas(path)
    for x, text in ((40, "No."), (70, "Description")):
        canvas.drawString(x, 700, text)
    for x, upper, lower in ((330, "Qty", ""), (420, "Unit", "price"), (540, "Amount", "(EUR)")):
        canvas.drawRightString(x, 700, upper)
        canvas.drawRightString(x, 700 - leading, lower)
    y = 700 - leading - 17
    for number, description, qty, price, amount in (("1", "Desk lamp", "2", "25.00", "50.00"),
                                                    ("2", "Office chair", "1", "1,299.00", "1,299.00")):
        canvas.drawString(40, y, number)
        canvas.drawString(70, y, description)
        for x, text in ((330, qty), (420, price), (540, amount)):
            canvas.drawRightString(x, y, text)
        y -= 14
    canvas.save()


@pytest.mark.parametrize(("unit_price", "amount"), [("Unit price", "Amount (EUR)"),
                                                   (["Unit price", "Unit"], "Amount")])
def test_a_header_set_on_two_lines_is_one_header_and_not_a_first_row(ctx, tmp_path, unit_price, amount):  # noqa: F811
    _two_line_header(tmp_path / "two-lines.pdf")
    table = {**LINES, "columns": {**LINES["columns"], "price": unit_price, "amount": amount}}
    got = extract(ctx, "two-lines.pdf", tables={"lines": table})
    assert got["lines"] == [{"description": "Desk lamp", "qty": 2, "price": 25.0, "amount": 50.0},
                            {"description": "Office chair", "qty": 1, "price": 1299.0, "amount": 1299.0}]


def test_the_first_row_of_a_table_without_numbers_is_not_taken_for_a_second_header_line(ctx, tmp_path):  # noqa: F811
    lines = [(50, 700, "Name"), (250, 700, "Role")]
    people = [("Alice Kim", "Buyer"), ("Bob Lee", "Approver"), ("Chan Park", "Clerk")]
    for n, (person, role) in enumerate(people):
        lines += [(50, 688 - 12 * n, person), (250, 688 - 12 * n, role)]
    name = pdf(tmp_path / "people.pdf", lines)
    got = extract(ctx, name, tables={"people": {"columns": {"name": "Name", "role": "Role"}}})
    assert got["people"][0] == {"name": "Alice Kim", "role": "Buyer"} and len(got["people"]) == 3


# 3. Totals under the items


@pytest.mark.parametrize("totals", [
    [(400, "Zwischensumme", "1,349.00"), (400, "MwSt. 19 %", "256.31"), (400, "Gesamtbetrag", "1,605.31")],
    [(400, "Total", "1,349.00")],
    [(430, "Shipping", "12.00"), (430, "Total due", "1,361.00")],
])
def test_a_totals_block_right_under_an_unruled_table_ends_the_items(ctx, tmp_path, totals):  # noqa: F811
    canvas = _canvas(tmp_path / "totals.pdf")
    for x, text in ((70, "Description"), (300, "Qty"), (380, "Unit price"), (500, "Amount")):
        canvas.drawString(x, 700, text)
    y = 700
    for description, qty, price, amount in (("Desk lamp", "2", "25.00", "50.00"),
                                            ("Office chair", "1", "1,299.00", "1,299.00")):
        y -= 16
        canvas.drawString(70, y, description)
        for x, text in ((318, qty), (425, price), (535, amount)):
            canvas.drawRightString(x, y, text)
    y -= 30  # under two rows' height: the gap alone does not end the table
    for x, label, value in totals:
        canvas.drawString(x, y, label)
        canvas.drawRightString(535, y, value)
        y -= 14
    canvas.save()
    got = extract(ctx, "totals.pdf", tables={"lines": LINES})
    assert [row["description"] for row in got["lines"]] == ["Desk lamp", "Office chair"]


def test_a_totals_row_at_the_end_of_a_ruled_table_is_not_a_line_item(ctx, tmp_path):  # noqa: F811
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("HYGothic-Medium"))
    canvas = _canvas(tmp_path / "grids.pdf")
    canvas.setFont("HYGothic-Medium", 9)
    _grid(canvas, 40, 800, [150, 60, 100, 100], [["품목", "수량", "공급가액", "세액"],
                                                 ["A4 복사용지", "10", "250,000", "25,000"],
                                                 ["토너 카트리지", "5", "750,000", "75,000"],
                                                 ["합계", "", "1,000,000", "100,000"]])
    _grid(canvas, 40, 600, [200, 60, 100], [["Description", "Qty", "Amount"], ["Chairs", "4", "400.00"],
                                            ["Subtotal", "", "400.00"], ["Desks", "2", "800.00"],
                                            ["Discount", "", "-20.00"], ["Subtotal", "", "1,180.00"],
                                            ["Tax 7%", "", "82.60"], ["Total due", "", "1,262.60"]])
    canvas.save()
    got = extract(ctx, "grids.pdf", tables={
        "ko": {"columns": {"item": "품목", "qty": "수량", "supply": "공급가액", "tax": "세액"},
               "types": {"qty": "number", "supply": "number", "tax": "number"}},
        "en": {"columns": {"description": "Description", "qty": "Qty", "amount": "Amount"},
               "types": {"qty": "number", "amount": "number"}}})
    assert [row["item"] for row in got["ko"]] == ["A4 복사용지", "토너 카트리지"]
    # a subtotal between groups of items stays; the totals block at the end goes
    assert [row["description"] for row in got["en"]] == ["Chairs", "Subtotal", "Desks", "Discount"]


# 4. Turned pages


@pytest.mark.parametrize(("rotate", "turn"), [(90, 0), (180, 0), (270, 0), (0, 90), (0, 270), (270, 90)])
def test_a_turned_page_or_sideways_text_is_read_upright(ctx, tmp_path, rotate, turn):  # noqa: F811
    """`rotate`: the page's /Rotate; `turn`: how the text is drawn on the page (90: bottom to top)."""
    from reportlab.lib.pagesizes import A4

    width, height = A4
    canvas = _canvas(tmp_path / "turned.pdf")
    if rotate:
        canvas.setPageRotation(rotate)
    canvas.translate(*{0: (40, height - 60), 90: (width - 60, 40), 270: (60, height - 40)}[turn])
    canvas.rotate(turn)
    canvas.drawString(0, 0, "Invoice No: ROT-1")
    canvas.drawString(300, 0, "Total: 1,500.00")
    canvas.drawString(0, -16, "Date: 2026-03-05")
    canvas.save()
    assert call(ctx, "pdf.text", "turned.pdf") == "Invoice No: ROT-1 Total: 1,500.00\nDate: 2026-03-05"
    fields = {"no": "Invoice No", "total": {"anchor": "Total", "type": "number"}}
    assert extract(ctx, "turned.pdf", fields=fields) == {"no": "ROT-1", "total": 1500.0}


def test_a_ruled_table_on_a_turned_page_keeps_its_rows(ctx, tmp_path):  # noqa: F811
    canvas = _canvas(tmp_path / "turned-grid.pdf")
    canvas.setPageRotation(90)
    _grid(canvas, 40, 800, [200, 60, 100], [["Description", "Qty", "Amount"], ["Chairs", "4", "400.00"]])
    canvas.save()
    rows = call(ctx, "pdf.tables", "turned-grid.pdf")
    assert rows == [{"Description": "Chairs", "Qty": "4", "Amount": "400.00"}]


# 5. One invoice per page


def test_items_can_be_the_pages_of_a_pdf_with_one_invoice_per_page(embedded, make_project):
    from orchestrator import projects
    from orchestrator.loader import load_project
    from orchestrator.submit import run_embedded

    root = make_project("""
        robots:
          split:
            manual_minutes: 1
            items: "{{ range(1, pdf_pages('batch.pdf') + 1) | list }}"
            steps:
              - id: inv
                pdf.extract:
                  file: batch.pdf
                  pages: "{{ item }}"
                  fields: {invoice_no: {anchor: Invoice No, required: true}}
              - set: {invoice: "{{ steps.inv.invoice_no }}"}
    """)
    canvas = _canvas(root / "batch.pdf")
    for number in (1, 2, 3):
        canvas.setFont("Helvetica", 10)
        canvas.drawString(50, 750, f"Invoice No: B-{number}")
        canvas.showPage()
    canvas.save()
    loaded = load_project(root)  # `retake validate` knows the function

    run = run_embedded(loaded, "split", {})

    items = projects.ledger_for(loaded).run_items(run["id"])
    assert (run["status"], run["items_total"]) == ("succeeded", 3)
    assert sorted(item["output"]["invoice"] for item in items) == ["B-1", "B-2", "B-3"]


# 6. Files that are not PDFs


@pytest.mark.parametrize(("content", "reason", "message"), [
    (b"", "empty", "empty file (0 bytes)"),
    (b"<!DOCTYPE html><html><head><title>Session expired</title></head></html>", "corrupt",
     ("corrupt or not a PDF (not a PDF: the file starts with '<!DOCTYPE html><html><head><title>Sessio…': "
      "an HTML page)")),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "corrupt",
     "corrupt or not a PDF (not a PDF: the file starts with the bytes of a PNG image)"),
    (b"PK\x03\x04\x14\x00\x06\x00", "corrupt",
     "the bytes of a ZIP archive or an Office document (docx, xlsx, odt)"),
    (b"Invoice 12\nTotal 3.00\n", "corrupt",
     "not a PDF: the file starts with 'Invoice 12 Total 3.00': text)"),
])
def test_an_empty_file_or_one_that_is_not_a_pdf_says_what_it_is(ctx, tmp_path, content, reason, message):  # noqa: F811
    (tmp_path / "odd.pdf").write_bytes(content)
    for action in ("pdf.text", "pdf.tables"):
        with pytest.raises(DocumentError) as caught:
            call(ctx, action, "odd.pdf")
        assert str(caught.value).startswith("odd.pdf: ") and message in str(caught.value)
        assert (caught.value.reason, caught.value.file) == (reason, "odd.pdf")


# 7. Several tables


def test_pdf_tables_by_table_keeps_each_table_with_its_pages_and_header(ctx, tmp_path):  # noqa: F811
    canvas = _canvas(tmp_path / "two-tables.pdf")
    _grid(canvas, 40, 800, [150, 150], [["Order no", "Date"], ["A-1", "2026-03-05"]])
    _grid(canvas, 40, 700, [150, 60, 100], [["Item", "Qty", "Amount"], ["Chairs", "4", "400.00"],
                                            ["Desks", "2", "800.00"]])
    canvas.save()
    flat = call(ctx, "pdf.tables", "two-tables.pdf")
    assert flat == [{"Order no": "A-1", "Date": "2026-03-05"},
                    {"Item": "Chairs", "Qty": "4", "Amount": "400.00"},
                    {"Item": "Desks", "Qty": "2", "Amount": "800.00"}]
    tables = call(ctx, "pdf.tables", {"file": "two-tables.pdf", "by_table": True})
    assert [(t["pages"], t["header"], len(t["rows"])) for t in tables] == [
        ([1], ["Order no", "Date"], 1), ([1], ["Item", "Qty", "Amount"], 2)]
    assert tables[1]["rows"] == flat[1:]


def test_pdf_tables_by_table_keeps_a_table_continued_overleaf_as_one(ctx, tmp_path):  # noqa: F811
    shutil.copy(FIXTURES / "statement-multipage.pdf", tmp_path / "statement.pdf")
    tables = call(ctx, "pdf.tables", {"file": "statement.pdf", "by_table": True})
    assert [(t["pages"], t["header"], len(t["rows"])) for t in tables] == [
        ([1, 2, 3], ["Booking date", "Text", "Amount (EUR)"], 60)]
    cells = call(ctx, "pdf.tables", {"file": "statement.pdf", "by_table": True, "header": False})
    assert cells[0]["header"] == [] and cells[0]["rows"][0] == ["Booking date", "Text", "Amount (EUR)"]
