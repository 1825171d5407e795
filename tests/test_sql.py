"""sql.query / sql.execute / query(...) on a real SQLite file and a real PostgreSQL database: bound
parameters, `many` in one transaction, JSON-friendly rows, and database errors as business or
application failures."""

from __future__ import annotations

import json

import pytest
from robot_support import output_of, run

SQLITE_URL = "sqlite:///data/app.db"  # a file in the project folder
PASSWORD = "pw-5e6f7a8b9c"

SETUP = """\
              - sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "create table invoices (number varchar(20) primary key, vendor varchar(50), total numeric(12,2),
                        due date)"
              - id: inserted
                sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "insert into invoices (number, vendor, total, due) values (:number, :vendor, :total, :due)"
                  many:
                    - {number: A-1, vendor: ACME, total: 12.50, due: "2026-03-14"}
                    - {number: A-2, vendor: "O'Brien; drop table invoices --", total: 99, due: "2026-04-01"}
                    - {number: A-3, vendor: ACME, total: 1000.25, due: "2026-05-02"}
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, monkeypatch) -> str:
    url = SQLITE_URL if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("DB_URL", url)
    return url


def project(make_project, body: str):
    return make_project(body, files={"data/.keep": ""})



def test_rows_come_back_as_plain_mappings_with_bound_parameters(make_project, embedded, db_url) -> None:
    root = project(make_project, """\
        robots:
          books:
            secrets: [DB_URL]
            steps:
SETUP
              - id: acme
                sql.query:
                  url: "{{ secrets.DB_URL }}"
                  sql: "select number, vendor, total, due from invoices where vendor = :vendor order by number"
                  params: {vendor: ACME}
              - id: odd
                sql.query:
                  url: "{{ secrets.DB_URL }}"
                  sql: "select number from invoices where vendor = :vendor"
                  params: {vendor: "O'Brien; drop table invoices --"}
              - id: paid
                sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "update invoices set vendor = :vendor where total > :over"
                  params: {vendor: PAID, over: 50}
              - id: added
                sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "insert into invoices (number, vendor) values (:number, :vendor) returning number"
                  params: {number: A-9, vendor: NEW}
              - set:
                  added: "{{ steps.added }}"
                  inserted: "{{ steps.inserted }}"
                  acme: "{{ steps.acme }}"
                  odd: "{{ steps.odd }}"
                  paid: "{{ steps.paid }}"
        """.replace("SETUP\n", SETUP))
    out, _ = output_of(root, "books")
    assert out["inserted"] == {"rowcount": 3}
    assert out["acme"] == [{"number": "A-1", "vendor": "ACME", "total": 12.5, "due": "2026-03-14"},
                           {"number": "A-3", "vendor": "ACME", "total": 1000.25, "due": "2026-05-02"}]
    assert out["odd"] == [{"number": "A-2"}]  # the quote and semicolon were a value, never SQL
    assert out["paid"] == {"rowcount": 2}
    assert out["added"] == {"rowcount": 1, "rows": [{"number": "A-9"}]}
    if db_url == SQLITE_URL:
        assert (root / "data" / "app.db").is_file()  # a relative SQLite path is in the project


def test_a_duplicate_key_is_a_business_failure_and_many_is_one_transaction(make_project, embedded, db_url) -> None:
    root = project(make_project, """\
        robots:
          twice:
            secrets: [DB_URL]
            steps:
SETUP
              - sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "insert into invoices (number, vendor) values (:number, :vendor)"
                  many: [{number: B-1, vendor: X}, {number: A-2, vendor: Y}, {number: B-3, vendor: Z}]
            on_failure:
              - id: left
                sql.query: {url: "{{ secrets.DB_URL }}", sql: "select number from invoices order by number"}
              - files.write: {path: out/left.json, content: "{{ steps.left }}"}
        """.replace("SETUP\n", SETUP))
    record, items, ledger, _ = run(root, "twice")
    item = items[0]
    assert item["error_kind"] == "business"
    assert item["error_step"] == "sql.execute"
    message = item["error_message"].lower()
    assert "unique" in message and ("a-2" in message or "invoices.number" in message), message
    assert "(in: insert into invoices (number, vendor) values (:number, :vendor))" in item["error_message"]
    assert [t["number"] for t in ledger.attempts_for(record["id"]) if t["step"] == "sql.execute"] == [1]
    left = json.loads((root / "out" / "left.json").read_text())
    assert left == [{"number": "A-1"}, {"number": "A-2"}, {"number": "A-3"}]  # B-1 was rolled back with the rest


def test_query_rows_are_the_items_of_a_run(make_project, embedded, db_url) -> None:
    root = project(make_project, """\
        robots:
          setup:
            secrets: [DB_URL]
            steps:
SETUP
          pay:
            secrets: [DB_URL]
            items: "{{ query(secrets.DB_URL, 'select number, total from invoices where total < :limit order by number',
                             limit=500) }}"
            steps:
              - sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "update invoices set vendor = 'PAID' where number = :number"
                  params: {number: "{{ item.number }}"}
        """.replace("SETUP\n", SETUP))
    assert run(root, "setup")[0]["status"] == "succeeded"
    record, items, _, _ = run(root, "pay")
    assert record["status"] == "succeeded", [i["error_message"] for i in items]
    assert [(i["key"], i["data"]) for i in items] == [("A-1", {"number": "A-1", "total": 12.5}),
                                                     ("A-2", {"number": "A-2", "total": 99})]


def test_statement_mistakes_are_business_failures(make_project, embedded, db_url) -> None:
    root = project(make_project, """\
        robots:
          wrong:
            secrets: [DB_URL]
            items: [no_table, no_value]
            steps:
              - if: "{{ item == 'no_table' }}"
                sql.query: {url: "{{ secrets.DB_URL }}", sql: "select * from nowhere"}
              - if: "{{ item == 'no_value' }}"
                sql.query: {url: "{{ secrets.DB_URL }}", sql: "select :a as a"}
        """)
    record, items, ledger, _ = run(root, "wrong")
    by_key = {i["key"]: i for i in items}
    assert by_key["no_table"]["error_kind"] == "business"
    assert "nowhere" in by_key["no_table"]["error_message"]
    assert by_key["no_value"]["error_kind"] == "business"
    assert "bind parameter 'a'" in by_key["no_value"]["error_message"]
    assert len(ledger.attempts_for(record["id"])) == 2  # no retries


def test_a_database_that_cannot_be_reached_is_retried_and_its_password_never_shown(
        make_project, embedded, monkeypatch) -> None:
    monkeypatch.setenv("DB_URL", f"postgresql+psycopg://robot:{PASSWORD}@127.0.0.1:1/books")
    root = project(make_project, """\
        robots:
          offline:
            secrets: [DB_URL]
            steps:
              - sql.query: {url: "{{ secrets.DB_URL }}", sql: "select 1"}
        """)
    record, items, ledger, log = run(root, "offline")
    assert items[0]["error_kind"] == "application"
    assert items[0]["error_message"].startswith("sql: the database did not answer")
    assert len(ledger.attempts_for(record["id"])) == 3
    assert PASSWORD not in log and PASSWORD not in json.dumps(ledger.attempts_for(record["id"]), default=str)


def test_postgres_values_are_json_friendly(make_project, embedded, postgres_url, monkeypatch) -> None:
    monkeypatch.setenv("DB_URL", postgres_url)
    root = project(make_project, """\
        robots:
          kinds:
            secrets: [DB_URL]
            steps:
              - sql.query:
                  url: "{{ secrets.DB_URL }}"
                  sql: "select 12345678901234567.89::numeric(20,2) as big, 3.10::numeric(5,2) as small,
                        42::numeric as whole, timestamp '2026-03-14 09:30:00' as at, interval '90 minutes' as took,
                        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as id, '\\\\x0102'::bytea as raw,
                        array[1, 2] as list, '{\\"a\\": 1}'::jsonb as doc"
        """)
    out, _ = output_of(root, "kinds")
    assert out == [{"big": "12345678901234567.89", "small": 3.1, "whole": 42,
                                   "at": "2026-03-14T09:30:00", "took": 5400.0,
                                   "id": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "raw": "AQI=", "list": [1, 2],
                                   "doc": {"a": 1}}]
