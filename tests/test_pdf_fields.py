"""`pdf.extract` on small documents of layouts it has not seen: the right value or none, never another's."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator import actions
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import DocumentError
from orchestrator.loader import load_project


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "robots.yaml").write_text("version: 1\nrobots:\n  r:\n    steps:\n      - log: hi\n")
    session = RunSession(project=load_project(tmp_path), robot_name="r", run_id="test", inputs={}, secrets={})
    return StepContext(session=session)


def pdf(path: Path, lines: list[tuple[float, float, str]], *, pagesize: tuple[float, float] | None = None) -> str:
    """A one-page PDF with each (x, y, text) drawn in Helvetica 10; "\f" as text starts a new page."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=pagesize or letter)
    canvas.setFont("Helvetica", 10)
    for x, y, text in lines:
        if text == "\f":
            canvas.showPage()
            canvas.setFont("Helvetica", 10)
        else:
            canvas.drawString(x, y, text)
    canvas.save()
    return path.name


def extract(ctx, name: str, **spec) -> dict:
    action = actions.get("pdf.extract")
    return action.func(ctx, action.bind({"file": name, **spec}))


def test_a_number_field_is_not_taken_from_another_label_or_from_text_around_a_number(ctx, tmp_path):
    name = pdf(tmp_path / "totals.pdf", [(50, 750, "Total Tax 10.00"), (50, 734, "Total 110.00"),
                                         (50, 718, "VAT 20%: 175.00"), (50, 702, "Balance: TBD"),
                                         (50, 686, "Shipping 12.00"), (50, 670, "Credit: ($240.00)"),
                                         (50, 654, "PO: PO-55123")])
    got = extract(ctx, name, fields={"total": {"anchor": "Total", "type": "number"},
                                     "vat": {"anchor": "VAT", "type": "number"},
                                     "credit": {"anchor": "Credit", "type": "number"},
                                     "po": {"anchor": "PO", "type": "text"}})
    assert got == {"total": 110.0, "vat": 175.0, "credit": -240.0, "po": "PO-55123"}
    with pytest.raises(DocumentError, match="balance: 'TBD' is not a number"):
        extract(ctx, name, fields={"balance": {"anchor": "Balance", "type": "number"}})


def test_an_ambiguous_date_is_refused_rather_than_replaced_by_the_next_date(ctx, tmp_path):
    name = pdf(tmp_path / "dates.pdf", [(50, 750, "Date: 05/03/2026"), (50, 734, "Due date: 2026-04-30")])
    with pytest.raises(DocumentError, match="could be day/month or month/day"):
        extract(ctx, name, fields={"date": {"anchor": "Date", "type": "date"}})
    got = extract(ctx, name, fields={"date": {"anchor": "Date", "type": "date", "formats": ["%d/%m/%Y"]},
                                     "due": {"anchor": "Due date", "type": "date"}})
    assert got == {"date": "2026-03-05", "due": "2026-04-30"}


@pytest.mark.parametrize("written", ["Invoice No.: 555", "Invoice No. 555", "INVOICE NO. 555", "Invoice No.555",
                                     "Invoice no: 555"])
def test_an_anchor_matches_with_or_without_an_abbreviation_s_period(ctx, tmp_path, written):
    name = pdf(tmp_path / "no.pdf", [(50, 750, written), (300, 750, "Date.: 2026-03-05")])
    got = extract(ctx, name, fields={"a": {"anchor": "Invoice No", "type": "integer"},
                                     "b": {"anchor": "Invoice No.", "type": "integer"}, "date": "Date"})
    assert got == {"a": 555, "b": 555, "date": "2026-03-05"}


def test_a_page_footer_just_under_the_last_row_is_not_a_line_item(ctx, tmp_path):
    lines: list[tuple[float, float, str]] = [(50, 760, "Description"), (330, 760, "Qty"), (450, 760, "Amount")]
    y = 760
    for number in range(1, 61):
        y -= 14
        if y < 60:
            lines += [(260, 30, "Page 1 of 2"), (0, 0, "\f")]
            y = 760
        lines += [(50, y, f"Item {number}"), (330, y, str(number)), (450, y, f"{number * 1.5:.2f}")]
    lines.append((260, 30, "Page 2 of 2"))
    name = pdf(tmp_path / "long.pdf", lines)
    got = extract(ctx, name, tables={"lines": {
        "columns": {"description": "Description", "qty": "Qty", "amount": "Amount"},
        "types": {"qty": "integer", "amount": "number"}}})
    assert [row["qty"] for row in got["lines"]] == list(range(1, 61))
    assert all(row["description"] == f"Item {row['qty']}" for row in got["lines"])


def test_a_column_header_yaml_reads_as_a_boolean_is_refused_with_the_quotes_to_write():
    from orchestrator.errors import BusinessError

    with pytest.raises(BusinessError, match=r'column item: YAML read the header as false, not as text: write it in '
                                            r'quotes \("No"\)'):
        actions.get("pdf.extract").bind({"file": "x.pdf", "tables": {"t": {"columns": {"item": False}}}})
