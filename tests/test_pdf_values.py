"""Numbers in local formats, dates and page selections read the way documents write them."""

from __future__ import annotations

import pytest

from connectors.pdf_values import convert, parse_date, parse_number, select_pages


@pytest.mark.parametrize(("text", "number"), [
    ("1,234,567", 1234567), ("1.234,56", 1234.56), ("1 234,56", 1234.56), ("1\u00a0234,56", 1234.56),
    ("USD 16,305.86", 16305.86), ("10,507,900원", 10507900), ("₩1,234,567", 1234567), ("1.234,56 €", 1234.56),
    ("CHF 1'234.50", 1234.5), ("(120.00)", -120.0), ("-120.00", -120.0), ("1.234,56-", -1234.56),
    ("18", 18), ("0.125", 0.125), ("12,34", 12.34), ("1.234.567", 1234567), ("Total due: 1,234", 1234),
])
def test_numbers_are_read_in_their_local_format(text, number):
    value = parse_number(text)
    assert value == number and type(value) is type(number)


def test_an_explicit_decimal_mark_settles_the_ambiguous_cases():
    assert parse_number("1,234", decimal=",") == 1.234
    assert parse_number("1.234", decimal=".") == 1.234
    assert parse_number("1.234", decimal=",") == 1234


@pytest.mark.parametrize(("text", "decimal"), [("1.234,56", "."), ("1,234.56", ","), ("1.234,5", "."),
                                               ("EUR 1.234,56", "."), ("12,345.6", ",")])
def test_a_number_written_against_the_declared_decimal_mark_is_refused_not_rescaled(text, decimal):
    with pytest.raises(ValueError, match=f"is not a number with the decimal mark '\\{decimal}'"):
        parse_number(text, decimal=decimal)


@pytest.mark.parametrize(("text", "number"), [
    ("￥1,234,567－", 1234567), ("¥1,234,567-", 1234567), ("１，２３４，５６７円", 1234567), ("合计金额：￥1,092.53", 1092.53),
    ("￥１，２３４，５６７−", 1234567), ("₩1,000,000-", 1000000), ("１，２３４.５６", 1234.56),
])
def test_full_width_forms_read_and_a_dash_closing_a_yen_or_won_amount_is_no_minus(text, number):
    value = parse_number(text)
    assert value == number and type(value) is type(number)


@pytest.mark.parametrize(("text", "number"), [("1,234.00 (cid:4)", 1234.0), ("3.352,47 (cid:4)", 3352.47),
                                              ("(cid:3) 1,234", 1234), ("(cid:3)1,234", 1234)])
def test_a_glyph_without_a_character_stands_like_a_currency_sign_and_is_never_a_number(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["(cid:4)", "(cid:12)(cid:13) 5", "2026-03-05T14:30:00", "1.234,56 ¹"])
def test_placeholders_times_and_footnote_marks_are_not_numbers(text):
    with pytest.raises(ValueError, match="not (one )?a? ?number"):
        parse_number(text)


@pytest.mark.parametrize("text", ["", "n/a", "USD"])
def test_text_without_digits_is_not_a_number(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text)


@pytest.mark.parametrize("text", ["Page 1 of 2", "PO-55123", "INV-12345", "2026-03-05", "05.03.2026", "call 555-1234",
                                  "Shipping 12.00", "1,234,56", "10 to 12"])
def test_other_words_a_second_number_or_an_id_make_a_text_not_a_number(text):
    with pytest.raises(ValueError, match="not (one )?a? ?number"):
        parse_number(text)


@pytest.mark.parametrize(("text", "number"), [
    ("($240.00)", -240.0), ("(USD 12.00)", -12.0), ("(€1.234,50)", -1234.5), ("(₩1,234,000)", -1234000),
    ("(1,234.50 €)", -1234.5), ("(1,234원)", -1234), ("$(240.00)", -240.0), ("-$12.00", -12.0), ("€ -5", -5),
    ("일금 일백만원정 (₩1,000,000)", 1000000), ("VAT 20%: 175.00", 175.0), ("12 pcs", 12), ("Rs. 1,20,000", 120000),
    ("R$ 1.234,56", 1234.56), ("US$ 12.5", 12.5), ("#12", 12),
])
def test_brackets_signs_and_currency_around_a_number(text, number):
    value = parse_number(text)
    assert value == number and type(value) is type(number)


@pytest.mark.parametrize(("text", "iso"), [
    ("2026-06-19", "2026-06-19"), ("08.08.2026", "2026-08-08"), ("14 Mar 2026", "2026-03-14"),
    ("2026년 2월 9일", "2026-02-09"), ("2026.04.10", "2026-04-10"), ("March 14, 2026", "2026-03-14"),
    ("Date: 2026-06-19 (Fri)", "2026-06-19"), ("2026. 3. 14.", "2026-03-14"), ("2026年3月14日", "2026-03-14"),
    ("2026-03-14T10:30:00", "2026-03-14"), ("20260314", "2026-03-14"),
])
def test_dates_come_out_in_iso_format(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(("text", "iso"), [
    ("3. März 2026", "2026-03-03"), ("5 mars 2026", "2026-03-05"), ("5. Mai 2026", "2026-05-05"),
    ("1er mars 2026", "2026-03-01"), ("5 Mar 2026", "2026-03-05"), ("March 5th, 2026", "2026-03-05"),
    ("05-Mar-26", "2026-03-05"), ("5 de marzo de 2026", "2026-03-05"), ("5 marzo 2026", "2026-03-05"),
    ("5 maart 2026", "2026-03-05"), ("5 de março de 2026", "2026-03-05"),
    ("Donnerstag, 5. Dezember 2026", "2026-12-05"),
    ("12 févr. 2026", "2026-02-12"), ("Sept. 30, 2026", "2026-09-30"), ("2026년 3월 5일", "2026-03-05"),
    ("２０２６－０３－０５", "2026-03-05"), ("2026−03−05", "2026-03-05"), ("1 Jan-31 Dec 2026", "2026-12-31"),
])
def test_dates_with_month_names_in_seven_languages_and_full_width_dates(text, iso):
    assert parse_date(text) == iso


def test_given_formats_read_month_names_of_other_languages():
    assert parse_date("3. März 2026", formats=["%d. %B %Y"]) == "2026-03-03"
    assert parse_date("5 March 2026", formats=["%d %b %Y"]) == "2026-03-05"
    with pytest.raises(ValueError, match="formats tried"):
        parse_date("5 Mar 2026", formats=["%Y-%m-%d"])


def test_a_date_in_an_unlisted_format_names_the_formats_tried():
    assert parse_date("03/04/2026", formats=["%m/%d/%Y"]) == "2026-03-04"
    with pytest.raises(ValueError, match="formats tried"):
        parse_date("31/02/2026")


@pytest.mark.parametrize(("text", "iso"), [
    ("29/11/2026", "2026-11-29"), ("11/29/2026", "2026-11-29"), ("29-11-2026", "2026-11-29"),
    ("Due 12/31/26 (net 30)", "2026-12-31"), ("05/05/2026", "2026-05-05"), ("29-Nov-2026", "2026-11-29"),
])
def test_day_and_month_read_themselves_when_one_is_above_12(text, iso):
    assert parse_date(text) == iso


def test_a_date_that_could_be_day_or_month_first_is_refused_with_the_formats_to_give():
    with pytest.raises(ValueError, match=r"could be day/month or month/day: give `formats: \['%d/%m/%Y'\]`"):
        parse_date("03/04/2026")


def test_convert_keeps_blank_as_none_and_tidies_text():
    assert convert("  ", "number") is None
    assert convert("Harbor   Warehouse\n 12  Quay Road ", "text") == "Harbor Warehouse\n12 Quay Road"


@pytest.mark.parametrize(("spec", "pages"), [
    ("all", [0, 1, 2, 3, 4]), (None, [0, 1, 2, 3, 4]), (1, [0]), (-1, [4]), ("last", [4]), ("2-4", [1, 2, 3]),
    ("1,3,5-7", [0, 2, 4]), ([1, 3], [0, 2]), ("3-last", [2, 3, 4]), (9, []),
])
def test_page_selections(spec, pages):
    assert select_pages(spec, 5) == pages


def test_a_bad_page_selection_says_what_is_accepted():
    with pytest.raises(ValueError, match="ranges"):
        select_pages("first two", 5)
