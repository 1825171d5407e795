"""table.read/write/filter/validate on real CSV, Excel and JSON files, and rows as items of a robot."""

from __future__ import annotations

import json

import pytest

from orchestrator import actions, projects
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import BusinessError
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "robots.yaml").write_text("version: 1\nrobots:\n  r:\n    steps:\n      - log: hi\n")
    session = RunSession(project=load_project(tmp_path), robot_name="r", run_id="test", inputs={}, secrets={})
    return StepContext(session=session)


def call(ctx, name, raw):
    action = actions.get(name)
    return action.func(ctx, action.bind(raw))


def test_csv_delimiter_and_korean_encoding_are_sniffed_blank_rows_skipped_headers_trimmed(ctx):
    ctx.resolve("orders.csv").write_bytes(
        " 주문번호 ;고객 ; 금액\n1001;한빛상사;1200.5\n\n;;\n1002;대한물산;\n".encode("cp949"))
    rows = call(ctx, "table.read", "orders.csv")
    assert rows == [{"주문번호": 1001, "고객": "한빛상사", "금액": 1200.5},
                    {"주문번호": 1002, "고객": "대한물산", "금액": None}]


def test_a_european_csv_with_decimal_commas(ctx):
    ctx.resolve("eu.csv").write_text("Artikel;Preis\nStuhl;1.234,56\nTisch;99,5\n", encoding="utf-8")
    assert call(ctx, "table.read", {"path": "eu.csv", "decimal": ","}) == [
        {"Artikel": "Stuhl", "Preis": 1234.56}, {"Artikel": "Tisch", "Preis": 99.5}]


def test_csv_with_explicit_options_and_text_columns(ctx):
    ctx.resolve("zip.csv").write_text("zip|city\n01234|Seoul\n", encoding="utf-8")
    assert call(ctx, "table.read", {"path": "zip.csv", "delimiter": "|"}) == [{"zip": 1234, "city": "Seoul"}]
    assert call(ctx, "table.read", {"path": "zip.csv", "as_text": ["zip"]}) == [{"zip": "01234", "city": "Seoul"}]
    assert call(ctx, "table.read", {"path": "zip.csv", "as_text": True, "limit": 0}) == []


def test_excel_round_trip_with_sheets_by_name_and_index(ctx):
    rows = [{"Invoice no": "INV-1", "Amount": 10.5, "Date": "2026-03-01"},
            {"Invoice no": "INV-2", "Amount": None, "Date": "2026-03-02"}]
    assert call(ctx, "table.write", {"path": "out/book.xlsx", "rows": rows, "sheet": "March"}) == "out/book.xlsx"
    call(ctx, "table.write", {"path": "out/book.xlsx", "rows": [{"Invoice no": "INV-3", "Amount": 7}],
                              "sheet": "April", "append": True})
    assert call(ctx, "table.read", {"path": "out/book.xlsx", "sheet": "March"}) == rows
    assert call(ctx, "table.read", {"path": "out/book.xlsx", "sheet": "april"}) == [{"Invoice no": "INV-3", "Amount": 7}]
    assert call(ctx, "table.read", {"path": "out/book.xlsx", "sheet": 0}) == rows
    with pytest.raises(BusinessError, match="no sheet 'May'; sheets: March, April"):
        call(ctx, "table.read", {"path": "out/book.xlsx", "sheet": "May"})


def test_excel_dates_blank_rows_and_nan_come_out_plain(ctx):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["  Name ", "Joined", "Score", None])
    sheet.append(["Kim", __import__("datetime").datetime(2026, 1, 2), 3.5, None])
    sheet.append([None, None, None, None])
    sheet.append(["Lee", None, None, None])
    book.save(ctx.resolve("people.xlsx"))
    assert call(ctx, "table.read", "people.xlsx") == [{"Name": "Kim", "Joined": "2026-01-02", "Score": 3.5},
                                                      {"Name": "Lee", "Joined": None, "Score": None}]


def test_a_legacy_xls_workbook_reads_like_xlsx(ctx):
    import datetime as dt

    import xlwt  # writes the Excel 97-2003 format that old back-office systems still export

    book = xlwt.Workbook()
    sheet = book.add_sheet("Export")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for col, title in enumerate(["Vendor ", "Invoice date", "Amount"]):
        sheet.write(0, col, title)
    sheet.write(1, 0, "한빛상사")
    sheet.write(1, 1, dt.datetime(2026, 11, 29), dates)
    sheet.write(1, 2, 1250000)
    book.save(str(ctx.resolve("legacy.xls")))
    assert call(ctx, "table.read", {"path": "legacy.xls", "sheet": "export"}) == [
        {"Vendor": "한빛상사", "Invoice date": "2026-11-29", "Amount": 1250000}]
    with pytest.raises(BusinessError, match=r"legacy.xls: .xls files are read, not written; write an .xlsx"):
        call(ctx, "table.write", {"path": "legacy.xls", "rows": [{"Vendor": "x"}], "append": True})
    assert call(ctx, "table.read", "legacy.xls")[0]["Vendor"] == "한빛상사"  # the file is untouched


def test_json_and_csv_writes_and_appends(ctx):
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    call(ctx, "table.write", {"path": "x.json", "rows": rows})
    assert json.loads(ctx.resolve("x.json").read_text()) == rows
    assert call(ctx, "table.read", "x.json") == rows
    call(ctx, "table.write", {"path": "x.csv", "rows": [[1, "a"]], "columns": ["id", "name"]})
    call(ctx, "table.write", {"path": "x.csv", "rows": [{"id": 2, "name": "b"}], "append": True})
    assert call(ctx, "table.read", "x.csv") == rows


def test_unreadable_and_outside_paths_are_business_errors(ctx):
    ctx.resolve("bad.xlsx").write_text("not a workbook")
    with pytest.raises(BusinessError, match="bad.xlsx: cannot be read as excel"):
        call(ctx, "table.read", "bad.xlsx")
    with pytest.raises(BusinessError, match="missing.csv: no such file"):
        call(ctx, "table.read", "missing.csv")
    ctx.resolve("x.dat").write_text("a,b\n1,2\n")
    with pytest.raises(BusinessError, match="format from '.dat'"):
        call(ctx, "table.read", "x.dat")
    with pytest.raises(BusinessError, match="outside the project"):
        call(ctx, "table.write", {"path": "../escape.csv", "rows": [{"a": 1}]})


ROWS = [{"id": 1, "status": "open", "amount": 120.0, "Unit price": 3},
        {"id": 2, "status": "closed", "amount": 80.0, "Unit price": 5},
        {"id": 3, "status": "open", "amount": 40.0, "Unit price": 7}]


def test_filter_by_condition_equality_and_membership(ctx):
    def ids(raw):
        return [r["id"] for r in call(ctx, "table.filter", {"rows": ROWS, **raw})]

    assert ids({"where": "amount > 50 and status == 'open'"}) == [1]
    assert ids({"where": "row['Unit price'] >= 5"}) == [2, 3]
    assert ids({"equals": {"status": "open"}}) == [1, 3]
    assert ids({"in": {"id": [2, 3]}, "not_in": {"status": ["closed"]}}) == [3]
    assert call(ctx, "table.filter", {"rows": ROWS, "columns": ["id"], "limit": 2}) == [{"id": 1}, {"id": 2}]
    with pytest.raises(BusinessError, match="'amout' is undefined.*; columns: id, status"):
        call(ctx, "table.filter", {"rows": ROWS, "where": "amout > 1"})


RULES = {"required": ["id"], "columns": {
    "amount": {"type": "number", "min": 0, "max": 1000, "required": True},
    "email": {"type": "email"}, "code": {"pattern": "[A-Z]{2}-\\d+"}, "due": {"type": "date"},
    "status": {"in": ["open", "closed"]}}}


def test_validate_one_row_returns_it_typed_or_fails_with_every_reason(ctx):
    good = {"id": 7, "amount": "1.234,5", "email": "a@b.co", "code": "KR-12", "due": "2026.03.04", "status": "open"}
    with pytest.raises(BusinessError) as caught:
        call(ctx, "table.validate", {"row": good, **RULES})
    assert "amount '1.234,5' is above the maximum 1000" in str(caught.value)
    good["amount"] = "999,50"
    assert call(ctx, "table.validate", {"row": good, **RULES})["amount"] == 999.5
    bad = {"amount": -1, "email": "nope", "code": "kr-1", "due": "someday", "status": "lost"}
    with pytest.raises(BusinessError) as caught:
        call(ctx, "table.validate", {"row": bad, **RULES})
    message = str(caught.value)
    for reason in ("column 'id' is missing", "amount -1 is below the minimum 0", "email 'nope' is not an e-mail",
                   "code 'kr-1' does not match", "due 'someday' is not a date", "status 'lost' is not one of"):
        assert reason in message


def test_validate_a_whole_table_splits_valid_and_invalid_rows(ctx):
    rows = [{"id": 1, "amount": 5}, {"id": 1, "amount": "x"}, {"id": 2, "amount": 3}]
    result = call(ctx, "table.validate", {"rows": rows, "columns": {"amount": {"type": "integer"}},
                                          "unique": ["id"]})
    assert [r["id"] for r in result["valid"]] == [1, 2]
    assert result["invalid"] == [{"row": 2, "data": rows[1], "errors": [
        "amount 'x' is not a whole number", "id=1 repeats row 1"]}]
    with pytest.raises(BusinessError, match="1 invalid row"):
        call(ctx, "table.validate", {"rows": rows, "unique": ["id"], "fail": True})


def test_rows_of_a_sheet_as_items_each_invalid_row_fails_its_item_with_the_reason(embedded, make_project):
    root = make_project("""
        robots:
          orders:
            manual_minutes: 2
            items: "{{ read_table('data/orders.xlsx', sheet='Orders') }}"
            item_key: "{{ item['Order no'] }}"
            steps:
              - id: order
                table.validate:
                  row: "{{ item }}"
                  required: [Order no]
                  columns:
                    Amount: {type: number, min: 1}
                    Customer: {required: true}
              - id: big
                table.filter: {rows: ["{{ steps.order }}"], where: "Amount >= 100"}
              - table.write:
                  path: "out/{{ key }}.csv"
                  rows: "{{ steps.big }}"
    """)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Orders"
    for row in (["Order no", "Customer", "Amount"], ["A-1", "Kim", 150], ["A-2", None, 30], ["A-3", "Lee", 0],
                [None, None, None], ["A-4", "Park", "1,200"]):
        sheet.append(row)
    (root / "data").mkdir()
    book.save(root / "data/orders.xlsx")
    loaded = load_project(root)

    run = run_embedded(loaded, "orders", {})

    items = {i["key"]: i for i in projects.ledger_for(loaded).run_items(run["id"])}
    assert (run["status"], run["items_total"], run["items_failed"]) == ("partial", 4, 2)
    # named as people see the row in Excel: the header is row 1, so A-2 is on row 3
    assert items["A-2"]["error_message"] == "invalid row 3 of data/orders.xlsx (sheet Orders): Customer is missing"
    assert items["A-3"]["error_message"] == ("invalid row 4 of data/orders.xlsx (sheet Orders): Amount 0 is below "
                                             "the minimum 1")
    assert {items[k]["error_kind"] for k in ("A-2", "A-3")} == {"business"}
    assert call_read(root, "out/A-4.csv") == [{"Order no": "A-4", "Customer": "Park", "Amount": 1200}]


def call_read(root, rel):
    from connectors.tables_io import read_rows

    return read_rows(root / rel, name=rel)


def test_items_appending_to_one_sheet_from_several_threads_lose_no_row(ctx):
    from concurrent.futures import ThreadPoolExecutor

    def add(n):
        call(ctx, "table.write", {"path": "out/all.xlsx", "rows": [{"n": n}], "append": True})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(add, range(12)))
    assert sorted(r["n"] for r in call(ctx, "table.read", "out/all.xlsx")) == list(range(12))


def test_validation_accepts_the_in_argument_of_table_filter(make_project):
    root = make_project("""
        robots:
          r:
            steps:
              - id: rows
                table.read: data.csv
              - table.filter: {rows: "{{ steps.rows }}", in: {id: [1, 2]}, not_in: {id: [3]}}
    """)
    assert "r" in load_project(root).spec.robots


def test_filter_a_row_with_an_empty_cell_does_not_match_a_comparison_on_it(ctx):
    rows = [{"id": 1, "amount": 3}, {"id": 2, "amount": None}, {"id": 3, "amount": 0}]
    assert call(ctx, "table.filter", {"rows": rows, "where": "amount > 1"}) == [rows[0]]
    assert call(ctx, "table.filter", {"rows": rows, "where": "amount is none or amount > 1"}) == rows[:2]
    with pytest.raises(BusinessError, match="failed on row 1"):  # a real type mistake still says so
        call(ctx, "table.filter", {"rows": [{"amount": "x"}], "where": "amount > 1"})


def test_validate_names_a_misspelled_column_with_the_columns_there_are(ctx):
    with pytest.raises(BusinessError, match=r"no column 'Amout' in the rows \(did you mean 'Amount'\?\); "
                                            r"columns: Amount, Note"):
        call(ctx, "table.validate", {"rows": [{"Amount": "5", "Note": ""}],
                                     "columns": {"Amout": {"type": "number", "min": 10}}})
    with pytest.raises(BusinessError, match=r"column 'Amout' is missing \(did you mean 'Amount'\?\)"):
        call(ctx, "table.validate", {"row": {"Amount": "5"}, "columns": {"Amout": {"required": True}}})
    with pytest.raises(BusinessError, match=r"no column 'Id' in the rows \(did you mean 'id'\?\)"):
        call(ctx, "table.validate", {"rows": [{"id": 1}], "unique": ["Id"]})


def test_validate_trims_text_before_comparing_it_with_the_allowed_values(ctx):
    result = call(ctx, "table.validate", {"rows": [{"status": "closed "}, {"status": " lost"}],
                                          "columns": {"status": {"in": ["open", "closed"]}}})
    assert result["valid"] == [{"status": "closed"}]
    assert result["errors"] == ["row 2: status ' lost' is not one of: open, closed"]


def test_a_rule_bound_that_is_not_a_number_is_an_error_about_the_rule(ctx):
    with pytest.raises(BusinessError, match=r"columns.amount: Value error, min 'abc' is not a number"):
        call(ctx, "table.validate", {"rows": [{"amount": 5}], "columns": {"amount": {"min": "abc"}}})
    with pytest.raises(BusinessError, match=r"max is for numbers and dates, not for type text"):
        call(ctx, "table.validate", {"rows": [{"name": "a"}], "columns": {"name": {"type": "text", "max": 3}}})


def test_filter_suggests_the_column_meant(ctx):
    with pytest.raises(BusinessError, match=r"'amout' is undefined \(did you mean 'amount'\?\)"):
        call(ctx, "table.filter", {"rows": ROWS, "where": "amout > 1"})
