"""table.read and table.write keep each value what it is: numbers of the file's locale, text cells,
dates, code pages, and appends that put every value under the column of its name."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook
from test_tables import call, ctx  # noqa: F401 - the fixture

from orchestrator.errors import BusinessError


def test_a_european_csv_reads_numbers_of_its_locale_and_leaves_dates_and_ids_as_text(ctx):  # noqa: F811
    ctx.resolve("r6.csv").write_text("Artikel;Preis;Datum;Nr\nStuhl;1.234,50;05.03.2026;1.2.3\n"
                                     "Tisch;99,90;06.03.2026;12.5\nBank;1.000;07.03.2026;7\n", encoding="utf-8")
    assert call(ctx, "table.read", {"path": "r6.csv", "decimal": ","}) == [
        {"Artikel": "Stuhl", "Preis": 1234.5, "Datum": "05.03.2026", "Nr": "1.2.3"},
        {"Artikel": "Tisch", "Preis": 99.9, "Datum": "06.03.2026", "Nr": "12.5"},
        {"Artikel": "Bank", "Preis": 1000, "Datum": "07.03.2026", "Nr": "7"}]


def test_only_empty_csv_cells_are_none_and_repeated_headers_are_numbered(ctx):  # noqa: F811
    ctx.resolve("na.csv").write_text("code,amount,amount, amount \nNA,1,2,3\nnull,,,\n", encoding="utf-8")
    assert call(ctx, "table.read", "na.csv") == [
        {"code": "NA", "amount": 1, "amount.1": 2, "amount.2": 3},
        {"code": "null", "amount": None, "amount.1": None, "amount.2": None}]


def test_csv_appends_line_up_with_the_header_by_name_and_a_new_column_is_added(ctx):  # noqa: F811
    call(ctx, "table.write", {"path": "out/r11.csv", "rows": [{"a": 1, "b": 2}]})
    call(ctx, "table.write", {"path": "out/r11.csv", "rows": [{"b": 3, "a": 4}], "append": True})
    call(ctx, "table.write", {"path": "out/r11.csv", "rows": [{"a": 5, "c": 6}], "append": True})
    assert call(ctx, "table.read", "out/r11.csv") == [
        {"a": 1, "b": 2, "c": None}, {"a": 4, "b": 3, "c": None}, {"a": 5, "b": None, "c": 6}]
    # a file from another system: its own delimiter, code page and header spacing are kept
    ctx.resolve("out/kr.csv").write_bytes(" 고객 ;금액\r\n한빛;100\r\n".encode("cp949"))
    call(ctx, "table.write", {"path": "out/kr.csv", "rows": [{"금액": 200, "고객": "대한"}], "append": True})
    assert ctx.resolve("out/kr.csv").read_bytes().decode("cp949") == " 고객 ;금액\r\n한빛;100\r\n대한;200\r\n"


def test_an_excel_append_keeps_text_cells_and_other_sheets_and_adds_new_columns(ctx):  # noqa: F811
    call(ctx, "table.write", {"path": "out/r12.xlsx", "rows": [{"zip": "01234", "city": "Seoul"}]})
    call(ctx, "table.write", {"path": "out/r12.xlsx", "rows": [{"city": "Busan", "zip": "04567", "n": 1}],
                              "append": True})
    call(ctx, "table.write", {"path": "out/r12.xlsx", "rows": [{"x": 1}], "sheet": "Other", "append": True})
    assert call(ctx, "table.read", "out/r12.xlsx") == [{"zip": "01234", "city": "Seoul", "n": None},
                                                       {"zip": "04567", "city": "Busan", "n": 1}]
    assert call(ctx, "table.read", {"path": "out/r12.xlsx", "sheet": "Other"}) == [{"x": 1}]


def test_excel_text_cells_keep_leading_zeros(ctx):  # noqa: F811
    book = Workbook()
    book.active.append(["id", "zip"])
    book.active.append(["00123", 4567])
    book.active.append(["00456", 1234])
    book.save(ctx.resolve("ids.xlsx"))
    assert call(ctx, "table.read", "ids.xlsx") == [{"id": "00123", "zip": 4567}, {"id": "00456", "zip": 1234}]
    assert call(ctx, "table.read", {"path": "ids.xlsx", "as_text": ["zip"]})[0] == {"id": "00123", "zip": "4567"}


def test_each_excel_cell_keeps_its_own_type(ctx):  # noqa: F811
    book = Workbook()
    sheet = book.active
    sheet.append(["price", "when", "count", dt.datetime(2026, 3, 5)])
    sheet.append([10.5, dt.datetime(2026, 3, 5), 3, "x"])
    sheet.append(["1,200.00", "soon", True, dt.datetime(2026, 3, 6, 9, 30)])
    book.save(ctx.resolve("mixed.xlsx"))
    assert call(ctx, "table.read", "mixed.xlsx") == [
        {"price": 10.5, "when": "2026-03-05", "count": 3, "2026-03-05": "x"},
        {"price": "1,200.00", "when": "soon", "count": True, "2026-03-05": "2026-03-06T09:30:00"}]


def test_text_is_written_as_text_never_as_a_formula_and_nested_values_as_json(ctx):  # noqa: F811
    rows = [{"vendor": "=1+1", "meta": {"tags": ["a", "b"]}, "n": -5}, {"vendor": "@SUM(A1)", "meta": [1], "n": 2}]
    call(ctx, "table.write", {"path": "out/r13.xlsx", "rows": rows})
    cell = load_workbook(ctx.resolve("out/r13.xlsx")).active["A2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    expected = [{"vendor": "=1+1", "meta": '{"tags": ["a", "b"]}', "n": -5},
                {"vendor": "@SUM(A1)", "meta": "[1]", "n": 2}]
    assert call(ctx, "table.read", "out/r13.xlsx") == expected
    call(ctx, "table.write", {"path": "out/r13.csv", "rows": rows})  # CSV is data: written as it is
    assert call(ctx, "table.read", "out/r13.csv") == expected


def test_a_short_windows_1252_csv_is_read_as_windows_1252_and_other_code_pages_still_work(ctx):  # noqa: F811
    ctx.resolve("w.csv").write_bytes("Name,City\nJosé,Málaga\nFrançois,Besançon\nZoë,Ærøskøbing\n".encode("cp1252"))
    assert call(ctx, "table.read", "w.csv") == [{"Name": "José", "City": "Málaga"},
                                                {"Name": "François", "City": "Besançon"},
                                                {"Name": "Zoë", "City": "Ærøskøbing"}]
    ctx.resolve("j.csv").write_bytes("名前,都市\n田中,東京\nソフトバンク,大阪\n".encode("shift_jis"))
    assert call(ctx, "table.read", "j.csv") == [{"名前": "田中", "都市": "東京"}, {"名前": "ソフトバンク", "都市": "大阪"}]
    ctx.resolve("k.csv").write_bytes("이름,도시\n김철수,서울\n".encode("euc-kr"))
    assert call(ctx, "table.read", "k.csv") == [{"이름": "김철수", "도시": "서울"}]
    for text, row in (("a,b\n1,가\n", {"a": 1, "b": "가"}), ("code,name\n1,김철수\n", {"code": 1, "name": "김철수"})):
        ctx.resolve("k2.csv").write_bytes(text.encode("cp949"))  # too short for a statistical guess
        assert call(ctx, "table.read", "k2.csv") == [row]


def test_a_list_row_of_the_wrong_length_is_refused_with_its_number(ctx):  # noqa: F811
    with pytest.raises(BusinessError, match=r"x.csv: row 2 has 1 value\(s\) for 2 columns \(id, name\)"):
        call(ctx, "table.write", {"path": "x.csv", "rows": [[1, "a"], [2]], "columns": ["id", "name"]})
