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


FONT_FILES = {"DejaVu": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "Nanum": "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"}


def pdf(path: Path, lines: list[tuple[float, float, str]], *, pagesize: tuple[float, float] | None = None,
        font: str = "Helvetica", rules: tuple[tuple[float, float, float, float], ...] = (),
        unmapped: bool = False) -> str:
    """A one-page PDF with each (x, y, text) drawn in `font` 10 (a TrueType font of FONT_FILES, or
    reportlab's Japanese and Chinese CID fonts); "\f" as text starts a new page. `rules`: lines (x0, y0, x1,
    y1) drawn first (a ruled box). `unmapped`: the font loses its map to Unicode, so that pdfminer reads
    its glyphs as "(cid:N)", as in PDFs from some invoicing software."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    if font in FONT_FILES:
        if not Path(FONT_FILES[font]).exists():
            pytest.skip(f"needs the {font} font")
        pdfmetrics.registerFont(TTFont(font, FONT_FILES[font]))
    elif font != "Helvetica":
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    canvas = Canvas(str(path), pagesize=pagesize or letter)
    for x0, y0, x1, y1 in rules:
        canvas.line(x0, y0, x1, y1)
    canvas.setFont(font, 10)
    for x, y, text in lines:
        if text == "\f":
            canvas.showPage()
            canvas.setFont(font, 10)
        else:
            canvas.drawString(x, y, text)
    canvas.save()
    if unmapped:  # a key of the same length: the file's offsets stay right
        path.write_bytes(path.read_bytes().replace(b"/ToUnicode", b"/ToUnicodX"))
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


def test_a_label_heading_a_row_of_labels_takes_the_value_under_it_not_the_next_label(ctx, tmp_path):
    labels = ["Invoice Number", "Invoice Date", "Customer No", "PO Number"]
    values = ["77123", "5 Mar 2026", "C-0042", "PO-12345"]
    box = tuple((x, 712, x, 680) for x in (40, 170, 300, 430, 560)) + tuple((40, y, 560, y) for y in (712, 696, 680))
    grid = pdf(tmp_path / "grid.pdf", [(43 + 130 * i, 700, text) for i, text in enumerate(labels)]
               + [(43 + 130 * i, 684, text) for i, text in enumerate(values)], rules=box)
    loose = pdf(tmp_path / "loose.pdf", [(40, 750, "Invoice number"), (220, 750, "Invoice date"),
                                         (400, 750, "Amount due"), (40, 736, "NL-2026-555"), (220, 736, "2026-03-05"),
                                         (400, 736, "USD 9,870.00")])
    assert extract(ctx, grid, fields={"invoice_no": "Invoice Number"}) == {"invoice_no": "77123"}
    assert extract(ctx, loose, fields={"invoice_no": "Invoice number"}) == {"invoice_no": "NL-2026-555"}
    # lines of "label  value" are no row of labels, even with a date on the line under them
    pairs = pdf(tmp_path / "pairs.pdf", [(50, 750, "Vendor"), (150, 750, "Acme Corp"), (50, 736, "Date"),
                                         (150, 736, "2026-03-05")])
    assert extract(ctx, pairs, fields={"vendor": "Vendor"}) == {"vendor": "Acme Corp"}


def test_a_value_belongs_to_the_whole_label_before_it_not_to_a_word_of_it_or_to_the_line_below(ctx, tmp_path):
    one_line = pdf(tmp_path / "line.pdf", [(50, 750, "Total incl. VAT 1,190.00"), (50, 734, "Paid: 250.00")])
    columns = pdf(tmp_path / "columns.pdf", [(50, 750, "Total incl. VAT"), (250, 750, "1,190.00"), (50, 734, "Paid"),
                                             (250, 734, "250.00")])
    fields = {"total": {"anchor": "Total", "type": "number"}, "vat": {"anchor": "VAT", "type": "number"}}
    for name in (one_line, columns):
        assert extract(ctx, name, fields=fields) == {"total": 1190.0, "vat": None}
    assert extract(ctx, one_line, fields={"vat": {"anchor": "VAT", "type": "number"}}) == {"vat": None}  # "incl. VAT"
    compound = pdf(tmp_path / "compound.pdf", [(50, 750, "Total VAT 190.00"), (50, 734, "Total 1,190.00")])
    assert extract(ctx, compound, fields=fields) == {"total": 1190.0, "vat": 190.0}  # a total of VAT is the VAT's
    # another field's longer label is that field's: "Total due" is not the place of "Total"
    due = pdf(tmp_path / "due.pdf", [(50, 750, "Total due: 1,234.00"), (50, 734, "Total 1,300.00")])
    got = extract(ctx, due, fields={"total": {"anchor": "Total", "type": "number"},
                                    "due": {"anchor": "Total due", "type": "number"}})
    assert got == {"total": 1300.0, "due": 1234.0}
    # two labels that both begin with the anchor: which one is meant is not guessed
    both = pdf(tmp_path / "both.pdf", [(50, 750, "Total excl. VAT 1,000.00"), (50, 734, "Total incl. VAT 1,190.00")])
    with pytest.raises(DocumentError, match=r"several labels begin with 'Total' .*'Total excl. VAT', 'Total incl. "):
        extract(ctx, both, fields={"total": {"anchor": "Total", "type": "number"}})
    assert extract(ctx, both, fields={"total": {"anchor": "Total incl. VAT", "type": "number"}}) == {"total": 1190.0}


def test_a_labelled_line_under_an_anchor_is_not_its_value(ctx, tmp_path):
    name = pdf(tmp_path / "iso.pdf", [(50, 750, "Invoice No: ISO-1"), (50, 734, "Date: 2026-03-05T14:30:00")])
    with pytest.raises(DocumentError, match="'ISO-1' is not one number"):  # not the 00 of the time below
        extract(ctx, name, fields={"number": {"anchor": "Invoice No", "type": "number"}})


def test_a_rate_after_a_tax_label_is_passed_over_for_the_amount_after_it(ctx, tmp_path):
    name = pdf(tmp_path / "rates.pdf", [(50, 750, "VAT 19%"), (250, 750, "190.00"), (50, 734, "MwSt. 19 %"),
                                        (250, 734, "535,27"), (50, 718, "GST @ 10% 12.50"), (50, 702, "Tax rate: 7%")])
    got = extract(ctx, name, fields={
        "vat": {"anchor": "VAT", "type": "number"}, "mwst": {"anchor": "MwSt.", "type": "number"},
        "gst": {"anchor": "GST", "type": "number"}, "rate": {"anchor": "Tax rate", "type": "number"},
        "vat_rate": {"anchor": "VAT", "type": "number", "regex": r"([\d.,]+)\s*%"}})
    assert got == {"vat": 190.0, "mwst": 535.27, "gst": 12.5, "rate": 7, "vat_rate": 19}
    box = tuple((x, 712, x, 680) for x in (370, 450, 545)) + tuple((370, y, 545, y) for y in (712, 696, 680))
    cells = pdf(tmp_path / "cells.pdf", [(373, 700, "Subtotal"), (500, 700, "162.00"), (373, 684, "Tax 7%"),
                                         (500, 684, "11.34")], rules=box)
    assert extract(ctx, cells, fields={"tax": {"anchor": "Tax", "type": "number"}}) == {"tax": 11.34}


def test_glyphs_without_a_character_are_no_numbers_and_a_text_layer_of_them_says_so(ctx, tmp_path):
    german = pdf(tmp_path / "de.pdf", [(50, 750, "Müller GmbH"), (50, 734, "Gesamtbetrag"), (300, 734, "3.352,47 €"),
                                       (50, 718, "Total   1,234.00 €")], font="DejaVu", unmapped=True)
    got = extract(ctx, german, fields={"gesamt": {"anchor": "Gesamtbetrag", "type": "number"},
                                       "total": {"anchor": "Total", "type": "number"}})
    assert got == {"gesamt": 3352.47, "total": 1234.0}  # "3.352,47 (cid:3)" is not 3
    korean = pdf(tmp_path / "ko.pdf", [(50, 750, "거래명세서"), (50, 734, "합계금액: ₩ 1,100,000"),
                                       (50, 718, "공급가액 1,000,000 세액 100,000")], font="Nanum", unmapped=True)
    with pytest.raises(DocumentError, match="total: the PDF's text layer has no Unicode mapping for its font"):
        extract(ctx, korean, fields={"total": {"anchor": "합계금액", "type": "number", "required": True}})


def test_japanese_and_chinese_amounts_and_dates_in_full_width_forms(ctx, tmp_path):
    japanese = pdf(tmp_path / "ja.pdf", [(50, 750, "合計金額：￥1,234,567－"), (50, 734, "ご請求金額：１，２３４，５６７円"),
                                         (50, 718, "発行日：２０２６－０３－０５"), (50, 702, "税込：¥1,234,567-")],
                   font="HeiseiKakuGo-W5")
    got = extract(ctx, japanese, fields={"total": {"anchor": "合計金額", "type": "number"},
                                         "billed": {"anchor": "ご請求金額", "type": "number"},
                                         "date": {"anchor": "発行日", "type": "date"},
                                         "taxed": {"anchor": "税込", "type": "number"}})
    assert got == {"total": 1234567, "billed": 1234567, "date": "2026-03-05", "taxed": 1234567}
    chinese = pdf(tmp_path / "zh.pdf", [(50, 750, "合计金额：￥1,092.53")], font="STSong-Light")
    assert extract(ctx, chinese, fields={"total": {"anchor": "合计金额", "type": "number"}}) == {"total": 1092.53}


def test_dates_with_month_names_in_european_languages(ctx, tmp_path):
    name = pdf(tmp_path / "dates.pdf", [(50, 750, "Rechnungsdatum: 3. März 2026"), (50, 734, "Date : 1er mars 2026"),
                                        (50, 718, "Due: March 5th, 2026")])
    got = extract(ctx, name, fields={"de": {"anchor": "Rechnungsdatum", "type": "date"},
                                     "fr": {"anchor": "Date", "type": "date"},
                                     "en": {"anchor": "Due", "type": "date"},
                                     "given": {"anchor": "Rechnungsdatum", "type": "date", "formats": ["%d. %B %Y"]}})
    assert got == {"de": "2026-03-03", "fr": "2026-03-01", "en": "2026-03-05", "given": "2026-03-03"}


def test_a_declared_decimal_mark_refuses_a_number_written_the_other_way(ctx, tmp_path):
    name = pdf(tmp_path / "de.pdf", [(50, 750, "Total: 1.234,56 EUR")])
    with pytest.raises(DocumentError, match=r"'1.234,56 EUR' is not a number with the decimal mark '\.'"):
        extract(ctx, name, fields={"total": {"anchor": "Total", "type": "number", "decimal": "."}})
    got = extract(ctx, name, fields={"total": {"anchor": "Total", "type": "number", "decimal": ","}})
    assert got == {"total": 1234.56}
