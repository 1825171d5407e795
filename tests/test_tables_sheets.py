"""Spreadsheets as people and other programs make them: formulas never calculated, error cells, hidden
sheets, day numbers, sheet names Excel refuses, files with an Excel name that are no workbook, nested
JSON, failed rows named by the row Excel shows, and scanners' files named X.PDF."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import Workbook, load_workbook
from test_tables import call, ctx  # noqa: F401 - the fixture

from orchestrator import projects
from orchestrator.errors import BusinessError, ConfigError
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded


def test_a_formula_never_calculated_fails_the_read_naming_the_file_sheet_and_cell(ctx):  # noqa: F811
    book = Workbook()
    book.active.title = "Data"
    book.active.append(["id", "qty", "price", "amount"])
    book.active.append([1, 2, 3.5, "=B2*C2"])  # openpyxl writes the formula, never its value
    book.save(ctx.resolve("nocache.xlsx"))
    with pytest.raises(BusinessError, match=r"nocache.xlsx: sheet Data, cell D2 holds the formula =B2\*C2 without "
                                            r"a value: the file's formulas were never calculated"):
        call(ctx, "table.read", "nocache.xlsx")


def test_an_error_cell_reads_as_its_error_text_and_validate_refuses_it(ctx):  # noqa: F811
    book = Workbook()
    book.active.append(["id", "ratio", "lookup", "sum"])
    book.active.append([1, "#DIV/0!", "#N/A", 6])  # error cells (t="e"), as Excel saves =1/0 and =NA()
    book.save(ctx.resolve("cells.xlsx"))
    _with_formulas(ctx.resolve("cells.xlsx"), {'r="B2" t="e">': "1/0", 'r="D2" t="n">': "2*3"})
    rows = call(ctx, "table.read", "cells.xlsx")
    assert rows == [{"id": 1, "ratio": "#DIV/0!", "lookup": "#N/A", "sum": 6}]
    result = call(ctx, "table.validate", {"rows": rows, "columns": {"ratio": {"type": "number"}}})
    assert result["errors"] == ["row 1: ratio '#DIV/0!' is not a number"]


def _with_formulas(path, formulas):
    """Give cells a formula beside their saved value, as Excel saves a calculated formula."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, formula in formulas.items():
        assert f"<c {cell}<v>" in sheet
        sheet = sheet.replace(f"<c {cell}<v>", f"<c {cell}<f>{formula}</f><v>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_the_default_sheet_and_sheet_numbers_skip_hidden_sheets(ctx):  # noqa: F811
    book = Workbook()
    book.active.title = "Lookup"
    book.active.append(["secret"])
    book.active.sheet_state = "hidden"
    shown = book.create_sheet("Orders")
    shown.append(["id", "name"])
    shown.append([1, "a"])
    shown.append([2, "b"])
    shown.row_dimensions[3].hidden = True  # a hidden row is data all the same
    book.save(ctx.resolve("hidden.xlsx"))
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert call(ctx, "table.read", "hidden.xlsx") == rows
    assert call(ctx, "table.read", {"path": "hidden.xlsx", "sheet": 0}) == rows
    assert call(ctx, "table.read", {"path": "hidden.xlsx", "sheet": "lookup"}) == []  # by name: hidden ones too
    with pytest.raises(BusinessError, match=r"no sheet number 1 .*; sheets: Lookup \(hidden\), Orders"):
        call(ctx, "table.read", {"path": "hidden.xlsx", "sheet": 1})


def test_a_date_column_accepts_excel_day_numbers(ctx):  # noqa: F811
    rows = [{"due": 46090}, {"due": "46086"}, {"due": 46086.75}, {"due": 123}]
    result = call(ctx, "table.validate", {"rows": rows, "columns": {"due": {"type": "date"}}})
    assert [r["due"] for r in result["valid"]] == ["2026-03-09", "2026-03-05", "2026-03-05"]
    assert result["errors"] == ["row 4: due 123 is not a date"]


def test_yes_and_no_in_german_french_and_spanish_are_booleans(ctx):  # noqa: F811
    rows = [{"ok": word} for word in ("ja", "Nein", "oui", "non", "sí", "Si", "no", "네", "아니요")]
    result = call(ctx, "table.validate", {"rows": rows, "columns": {"ok": {"type": "boolean"}}})
    assert [r["ok"] for r in result["valid"]] == [True, False, True, False, True, True, False, True, False]


def test_a_sheet_name_excel_refuses_is_a_mistake_of_the_step(ctx, make_project):  # noqa: F811
    with pytest.raises(BusinessError, match=r"sheet name 'Orders March 2026 final version for the audit' has 45 "
                                            r"characters: Excel allows 31 at most"):
        call(ctx, "table.write", {"path": "out/x.xlsx", "rows": [{"a": 1}],
                                  "sheet": "Orders March 2026 final version for the audit"})
    with pytest.raises(BusinessError, match=r"sheet name 'A/B' has /: Excel refuses any of \[\]:\*\?/\\ in"):
        call(ctx, "table.write", {"path": "out/x.xlsx", "rows": [{"a": 1}], "sheet": "A/B"})
    assert not ctx.resolve("out/x.xlsx").exists()
    root = make_project("""
        robots:
          r:
            steps:
              - table.write: {path: out/x.xlsx, rows: [{a: 1}], sheet: "March?"}
    """)
    with pytest.raises(ConfigError, match=r"robots.yaml:\d+:\d+: table.write: sheet name 'March\?' has \?"):
        load_project(root)


def test_dates_are_written_to_excel_as_date_cells(ctx):  # noqa: F811
    rows = [{"due": "2026-03-05", "at": "2026-03-05T09:30:00", "when": dt.date(2026, 3, 6), "id": "2026-03-07",
             "note": "2026-03-05 or later"}]
    call(ctx, "table.write", {"path": "out/d.xlsx", "rows": rows, "as_text": ["id"]})
    cells = load_workbook(ctx.resolve("out/d.xlsx")).active[2]
    assert [c.value for c in cells] == [dt.datetime(2026, 3, 5), dt.datetime(2026, 3, 5, 9, 30),
                                        dt.datetime(2026, 3, 6), "2026-03-07", "2026-03-05 or later"]
    assert [c.number_format for c in cells[:3]] == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"]
    assert call(ctx, "table.read", "out/d.xlsx") == [
        {"due": "2026-03-05", "at": "2026-03-05T09:30:00", "when": "2026-03-06", "id": "2026-03-07",
         "note": "2026-03-05 or later"}]


def test_nested_json_is_read_with_json_path_and_the_error_names_it(ctx):  # noqa: F811
    ctx.resolve("nested.json").write_text(json.dumps({"meta": {"n": 2}, "data": {"items": [{"id": 1}, {"id": 2}]}}))
    with pytest.raises(BusinessError, match=r"nested.json: a JSON table is a list of objects .*say where the list "
                                            r"is with `json_path: data.items`"):
        call(ctx, "table.read", "nested.json")
    assert call(ctx, "table.read", {"path": "nested.json", "json_path": "data.items"}) == [{"id": 1}, {"id": 2}]
    assert call(ctx, "table.read", {"path": "nested.json", "json_path": "$.data.items", "limit": 1}) == [{"id": 1}]
    with pytest.raises(BusinessError, match=r"json_path 'data.itms': no 'itms' in data; keys there: items"):
        call(ctx, "table.read", {"path": "nested.json", "json_path": "data.itms"})


@pytest.mark.parametrize(("content", "said"), [
    (b"<html><body><table><tr><th>id</th></tr></table></body></html>", "the file is an HTML page"),
    (b"id\tamount\n1\t10\n", "the file is text with tabs between the columns .* read it with `format: csv`"),
    ("id\tname\n1\t김\n".encode("utf-16"), "the file is text with tabs"),
    (b"id;amount\n1;10\n", r"the file is text \(CSV\) with an Excel name, not a workbook"),
    (b"", r"the file is empty \(0 bytes\)"),
])
def test_a_file_with_an_excel_name_that_is_no_workbook_says_what_it_is(ctx, content, said):  # noqa: F811
    ctx.resolve("export.xls").write_bytes(content)
    with pytest.raises(BusinessError, match=f"^export.xls: {said}"):
        call(ctx, "table.read", "export.xls")


def test_a_tsv_named_xls_reads_with_format_csv(ctx):  # noqa: F811
    ctx.resolve("export.xls").write_bytes(b"id\tamount\n1\t10\n")
    assert call(ctx, "table.read", {"path": "export.xls", "format": "csv"}) == [{"id": 1, "amount": 10}]


def test_a_failed_row_item_names_the_row_people_see_in_the_file(embedded, make_project):
    root = make_project("""
        robots:
          csv_rows:
            manual_minutes: 1
            items: "{{ read_table('data/noid.csv') }}"
            steps:
              - table.validate: {row: "{{ item }}", columns: {Kunde: {required: true}, Betrag: {type: number}}}
          report_rows:
            manual_minutes: 1
            items: "{{ read_table('data/report.xlsx', sheet='Orders', skip_rows=2) | selectattr('id') | list }}"
            steps:
              - table.validate: {row: "{{ item }}", columns: {amount: {type: number, min: 1}}}
          plain_items:
            manual_minutes: 1
            items: [{Kunde: null}]
            steps:
              - table.validate: {row: "{{ item }}", columns: {Kunde: {required: true}}}
    """)
    (root / "data").mkdir()
    # a blank line and a quoted line break: the row numbers are those a spreadsheet shows
    (root / "data/noid.csv").write_text('Kunde;Betrag\nA;10\n\n;20\n"C\nD";x\n', encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = "Orders"
    for row in (["Order list"], [], ["id", "amount"], ["A-1", 5], [None, None], ["A-2", 0], [None, 9], ["A-3", 0]):
        sheet.append(row)
    book.save(root / "data/report.xlsx")
    loaded = load_project(root)

    def messages(robot):
        run = run_embedded(loaded, robot, {})
        return [i["error_message"] for i in projects.ledger_for(loaded).run_items(run["id"]) if i["error_message"]]

    assert messages("csv_rows") == ["invalid row 4 of data/noid.csv: Kunde is missing",
                                    "invalid row 5 of data/noid.csv: Betrag 'x' is not a number"]
    assert messages("report_rows") == [
        "invalid row 6 of data/report.xlsx (sheet Orders): amount 0 is below the minimum 1",
        "invalid row 8 of data/report.xlsx (sheet Orders): amount 0 is below the minimum 1"]
    assert messages("plain_items") == ["invalid row: Kunde is missing"]


def test_file_patterns_match_names_in_any_case_unless_asked(ctx):  # noqa: F811
    from connectors.files import any_case

    for name in ("a.pdf", "B.PDF", "c.Pdf", "d.txt", "sub/e.PDF"):
        ctx.resolve(f"inbox/{name}").parent.mkdir(parents=True, exist_ok=True)
        ctx.resolve(f"inbox/{name}").write_text("x")
    session = ctx.session
    assert session.files("inbox", "*.pdf") == ["inbox/B.PDF", "inbox/a.pdf", "inbox/c.Pdf"]
    assert session.files("inbox", "*.pdf", case_sensitive=True) == ["inbox/a.pdf"]
    assert call(ctx, "files.list", {"dir": "inbox", "pattern": "*.pdf", "recursive": True}) == [
        "inbox/B.PDF", "inbox/a.pdf", "inbox/c.Pdf", "inbox/sub/e.PDF"]
    assert call(ctx, "files.list", {"dir": "inbox", "pattern": "*.PDF", "case_sensitive": True}) == ["inbox/B.PDF"]
    assert any_case("[!a-c]x.[pP]df") == "[!a-cA-C][Xx].[pPPp][Dd][Ff]"


def test_runs_show_piped_prints_a_failed_rows_message_whole_under_its_item(make_project):
    from test_cli import retake

    root = make_project("""
        robots:
          rows:
            manual_minutes: 1
            items: "{{ read_table('data/orders.csv') }}"
            item_key: "{{ item.order }}"
            steps:
              - table.validate: {row: "{{ item }}", columns: {customer: {required: true}, amount: {type: number}}}
    """, files={"data/orders.csv": "order,customer,amount\nA-1,Kim,5\nA-2,,x\n"})
    run_id = json.loads(retake(root, "run", "rows", "--json").stdout)["run_id"]
    done = retake(root, "runs", "show", run_id, env={"COLUMNS": "80"})  # a pipe is 80 columns wide
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    failed = lines.index("  1  A-2  failed, business at table.validate, 1 failed try")
    below = [line for line in lines[failed + 1:failed + 3] if line.startswith("     ")]  # wrapped, indented
    assert " ".join(line.strip() for line in below) == ("invalid row 3 of data/orders.csv: customer is missing; "
                                                        "amount 'x' is not a number")


def test_numbers_are_read_as_excel_shows_them_to_15_significant_digits(tmp_path):
    """LibreOffice saves the value of =1234.56+234.57 as 1469.1299999999999; Excel and people see 1469.13."""
    import openpyxl

    from connectors.tables_io import read_rows

    book = openpyxl.Workbook()
    book.active.append(["Net", "VAT", "Gross", "Tiny"])
    book.active.append([1234.56, 234.57, 1469.1299999999999, 1.5e-20])
    book.save(tmp_path / "sums.xlsx")
    assert read_rows(tmp_path / "sums.xlsx", name="sums.xlsx") == [
        {"Net": 1234.56, "VAT": 234.57, "Gross": 1469.13, "Tiny": 1.5e-20}]
