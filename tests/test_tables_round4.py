"""What outside testers found silently wrong in tables: zeros shown by an Excel number format, numbers too
long for Excel, patterns shown with doubled backslashes, ISO dates refused beside `formats:`, CSV for a
European system, and exports only their owner could read."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from openpyxl import Workbook, load_workbook
from test_tables import call, ctx  # noqa: F401 - the fixture

from connectors import tables_excel
from orchestrator.errors import BusinessError


def _orders_export(path):
    """The tester's sheet: a title row and a group row above the header; row 7 holds the customer number
    and the zip code as numbers that Excel shows with their zeros through the format `00000`."""
    book = Workbook()
    page = book.active
    page.title = "Orders"
    page["A1"] = "Order export - Nordwind GmbH - January 2026"
    page["A2"] = "Customer"
    page.append(["Customer no", "Name", "Zip", "Social", "Amount", "Plain"])
    page.append(["00123", "Text zeros", "01067", "078-05-1120", 1234.56, 7])
    page.append([123, "Numeric Id AG", 1067, 78051120, 12.5, 8])  # 12.5 formatted 00000 stays a number
    page.append([123456, "Longer than the format", 4, 5, 99.9, 9])
    for ref in ("A5", "C5", "A6", "C6", "E5"):
        page[ref].number_format = "00000"
    for ref in ("D5", "D6"):
        page[ref].number_format = "000-00-0000"
    page["B6"].number_format = "00000"  # a text cell with the format stays the text it is
    book.save(path)


def test_an_excel_number_with_a_zero_padded_format_reads_as_the_text_excel_shows(ctx):  # noqa: F811
    _orders_export(ctx.resolve("orders.xlsx"))
    rows = call(ctx, "table.read", {"path": "orders.xlsx", "skip_rows": 2})
    assert rows == [
        {"Customer no": "00123", "Name": "Text zeros", "Zip": "01067", "Social": "078-05-1120", "Amount": 1234.56,
         "Plain": 7},
        {"Customer no": "00123", "Name": "Numeric Id AG", "Zip": "01067", "Social": "078-05-1120", "Amount": 12.5,
         "Plain": 8},
        {"Customer no": "123456", "Name": "Longer than the format", "Zip": "00004", "Social": "000-00-0005", "Amount": 99.9,
         "Plain": 9}]
    as_text = call(ctx, "table.read", {"path": "orders.xlsx", "skip_rows": 2, "as_text": ["Customer no", "Zip"]})
    assert [(r["Customer no"], r["Zip"]) for r in as_text] == [("00123", "01067"), ("00123", "01067"),
                                                               ("123456", "00004")]
    checked = call(ctx, "table.validate", {"rows": rows, "columns": {"Zip": {"pattern": r"\d{5}"}}})
    assert checked["errors"] == []


def test_a_zero_padded_format_may_have_quoted_text_between_its_zeros_and_one_zero_pads_nothing(ctx):  # noqa: F811
    book = Workbook()
    book.active.append(["id", "zip"])
    book.active.append([1, 501])
    book.active["B2"].number_format = '00000" "0000'  # a zip+4 style format with quoted text between
    book.active["A2"].number_format = "0"  # a single zero pads nothing
    book.save(ctx.resolve("zip4.xlsx"))
    assert call(ctx, "table.read", "zip4.xlsx") == [{"id": 1, "zip": "00000 0501"}]


def test_the_sheet_is_not_searched_when_the_workbook_has_no_zero_padded_format(ctx, monkeypatch):  # noqa: F811
    book = Workbook()
    book.active.append(["id", "amount", "day"])
    book.active.append([123, 4.5, dt.date(2026, 1, 5)])
    book.active["B2"].number_format = "#,##0.00"
    book.save(ctx.resolve("plain.xlsx"))

    def searched(*_args):
        raise AssertionError("the sheet's XML was searched for a format the workbook does not have")

    monkeypatch.setattr(tables_excel, "padded_cells", lambda raw, styles: searched() if styles else {})
    assert call(ctx, "table.read", "plain.xlsx") == [{"id": 123, "amount": 4.5, "day": "2026-01-05"}]


def test_a_whole_number_longer_than_excel_keeps_is_written_as_text_and_read_back_unchanged(ctx):  # noqa: F811
    rows = [{"id": "00019", "extra": 12345678901234567890, "fifteen": 123456789012345, "round": 10**20,
             "negative": -12345678901234567}]
    call(ctx, "table.write", {"path": "out/api.xlsx", "rows": rows})
    page = load_workbook(ctx.resolve("out/api.xlsx")).active
    assert [(c.value, c.data_type) for c in page[2]] == [
        ("00019", "s"), ("12345678901234567890", "s"), (123456789012345, "n"), (10**20, "n"),
        ("-12345678901234567", "s")]
    assert call(ctx, "table.read", "out/api.xlsx") == [
        {"id": "00019", "extra": "12345678901234567890", "fifteen": 123456789012345, "round": 10**20,
         "negative": "-12345678901234567"}]
    call(ctx, "table.write", {"path": "out/api.csv", "rows": rows})  # CSV and JSON hold every digit
    assert call(ctx, "table.read", "out/api.csv")[0]["extra"] == 12345678901234567890


def test_a_long_number_saved_in_a_workbook_reads_to_15_significant_digits(ctx):  # noqa: F811
    book = Workbook()
    book.active.append(["big", "exact"])
    book.active.append([1.234567890123457e19, 999999999999999.0])  # as another program saves the id
    book.save(ctx.resolve("big.xlsx"))
    assert call(ctx, "table.read", "big.xlsx") == [{"big": 12345678901234600000, "exact": 999999999999999}]


def test_a_failed_pattern_is_shown_as_the_yaml_wrote_it(ctx):  # noqa: F811
    rows = [{"Customer no": 123}, {"Customer no": "00456"}]
    result = call(ctx, "table.validate", {"rows": rows, "columns": {"Customer no": {"pattern": r"\d{5}"}}})
    assert result["errors"] == [r"row 1: Customer no 123 does not match the pattern '\d{5}'"]
    with pytest.raises(BusinessError) as failed:
        call(ctx, "table.validate", {"row": rows[0], "columns": {"Customer no": {"pattern": r"\d{5}"}}})
    assert str(failed.value) == r"invalid row: Customer no 123 does not match the pattern '\d{5}'"


def test_a_date_column_with_formats_also_takes_iso_dates_and_date_times(ctx):  # noqa: F811
    rows = [{"day": "2026-01-08T14:30:00"}, {"day": "2026-01-05"}, {"day": "05.01.2026"}, {"day": "2026-02-30"},
            {"day": "soon"}, {"day": "2026-01-08 14:30"}]
    result = call(ctx, "table.validate", {"rows": rows, "columns": {"day": {"type": "date",
                                                                            "formats": ["%d.%m.%Y", "%Y-%m-%d"]}}})
    assert [r["day"] for r in result["valid"]] == ["2026-01-08", "2026-01-05", "2026-01-05", "2026-01-08"]
    assert [e.split(" is not")[0] for e in result["errors"]] == ["row 4: day '2026-02-30'", "row 5: day 'soon'"]
    only_german = call(ctx, "table.validate", {"rows": [{"day": "2026-01-08T14:30:00"}],
                                               "columns": {"day": {"type": "date", "formats": ["%d.%m.%Y"]}}})
    assert only_german["valid"] == [{"day": "2026-01-08"}]


def test_a_csv_for_a_european_system_gets_decimal_commas_and_semicolons(ctx):  # noqa: F811
    rows = [{"Kundennr": "00123", "Betrag": 1234.56, "Menge": 12000.0, "Stück": 3, "Satz": 1.5e-07, "Ort": "a;b"},
            {"Kundennr": "01000", "Betrag": -99.9, "Menge": None, "Stück": 0, "Satz": 0.5, "Ort": "Köln"}]
    call(ctx, "table.write", {"path": "out/eu.csv", "rows": rows, "decimal": ",", "encoding": "cp1252"})
    assert ctx.resolve("out/eu.csv").read_bytes().decode("cp1252") == (
        "Kundennr;Betrag;Menge;Stück;Satz;Ort\n"
        "00123;1234,56;12000;3;0,00000015;\"a;b\"\n"
        "01000;-99,9;;0;0,5;Köln\n")
    call(ctx, "table.write", {"path": "out/eu.csv", "rows": [{"Betrag": 0.25, "Kundennr": "02000"}],
                              "decimal": ",", "append": True})
    back = call(ctx, "table.read", {"path": "out/eu.csv", "decimal": ",", "as_text": ["Kundennr"]})
    assert [(r["Kundennr"], r["Betrag"], r["Menge"]) for r in back] == [
        ("00123", 1234.56, 12000), ("01000", -99.9, None), ("02000", 0.25, None)]


def test_a_whole_float_is_written_to_csv_as_it_shows(ctx):  # noqa: F811
    call(ctx, "table.write", {"path": "out/us.csv", "rows": [{"amount": 12000.0, "rate": 0.1, "big": 1e16}]})
    assert ctx.resolve("out/us.csv").read_text(encoding="utf-8") == "amount,rate,big\n12000,0.1,10000000000000000\n"
    with pytest.raises(BusinessError, match="decimal: Input should be"):
        call(ctx, "table.write", {"path": "out/x.csv", "rows": [{"a": 1}], "decimal": ";"})


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["umask-022", "umask-027"])
@pytest.mark.parametrize("target", ["out/x.csv", "out/x.xlsx", "out/x.json", "out/x.jsonl"])
def test_a_written_file_gets_the_permissions_of_any_new_file(ctx, umask, target):  # noqa: F811
    old = os.umask(umask)
    try:
        call(ctx, "table.write", {"path": target, "rows": [{"a": 1}]})
        call(ctx, "table.write", {"path": target, "rows": [{"a": 2}], "append": True})  # replaced or appended
    finally:
        os.umask(old)
    assert stat.S_IMODE(ctx.resolve(target).stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in ctx.resolve("out").iterdir()] == [target.split("/")[1]]  # no temporary file left
