"""A robot reads an inbox of invoices end to end: bad documents fail their item, the batch goes on."""

from __future__ import annotations

import json
from pathlib import Path

from backoffice.invoices import expected, generate
from orchestrator import projects
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded

FIELDS = json.loads((Path(__file__).parent / "fixtures/pdf/invoice-template.json").read_text(encoding="utf-8"))
FIELDS["fields"]["po_number"]["required"] = True


def test_an_inbox_with_bad_documents_runs_to_the_end_and_the_ledger_says_which_failed_and_why(
        embedded, make_project):
    root = make_project(f"""
        robots:
          invoice_reader:
            manual_minutes: 4
            inputs:
              inbox: {{default: inbox, type: path}}
            items: "{{{{ files(inputs.inbox, '*.pdf') }}}}"
            steps:
              - id: invoice
                pdf.extract: {json.dumps({"file": "{{ item }}", **FIELDS}, ensure_ascii=False)}
              - files.move: {{src: "{{{{ item }}}}", dest: "{{{{ inputs.inbox }}}}/done/"}}
              - set: {{invoice: "{{{{ steps.invoice }}}}"}}
            on_failure:
              - files.move: {{src: "{{{{ item }}}}", dest: "{{{{ inputs.inbox }}}}/failed/"}}
    """)
    generate(root / "inbox")
    truths = {p.name: expected(p) for p in sorted((root / "inbox").glob("*.pdf"))}
    loaded = load_project(root)

    run = run_embedded(loaded, "invoice_reader", {})

    items = {Path(i["key"]).name: i for i in projects.ledger_for(loaded).run_items(run["id"])}
    assert (run["status"], run["items_total"], run["items_failed"]) == ("partial", 12, 4)
    failed = {name: i["error_message"] for name, i in items.items() if i["status"] == "failed"}
    assert set(failed) == {"invoice-004.pdf", "invoice-006.pdf", "invoice-007.pdf", "invoice-010.pdf"}
    assert failed["invoice-004.pdf"].startswith("inbox/invoice-004.pdf: corrupt or not a PDF")
    assert failed["invoice-006.pdf"] == "inbox/invoice-006.pdf: required field(s) missing: po_number"
    assert failed["invoice-007.pdf"].startswith("inbox/invoice-007.pdf: encrypted")
    assert failed["invoice-010.pdf"].startswith("inbox/invoice-010.pdf: empty")
    assert {i["error_kind"] for i in items.values() if i["status"] == "failed"} == {"business"}
    assert all(i["attempts"] == 1 for i in items.values()), "business errors are never retried"
    for name, item in items.items():
        if name in failed:
            assert (root / "inbox/failed" / name).exists()
            continue
        assert (root / "inbox/done" / name).exists()
        truth = truths[name]
        assert item["output"] == {"invoice": {**truth["fields"], "lines": truth["lines"]}}
    korean = [n for n, t in truths.items() if t["language"] == "ko" and n not in failed]
    assert len(korean) == 4


def test_validation_names_unknown_and_missing_keys_deep_in_the_arguments(make_project):
    import pytest

    from orchestrator.errors import ConfigError

    root = make_project("""
        robots:
          reader:
            items: "{{ files('inbox', '*.pdf') }}"
            steps:
              - pdf.extract:
                  file: "{{ item }}"
                  fields:
                    total: {anchor: Total, typ: number}
                    date: {anchor: "{{ item }}", type: datum}
                  tables:
                    lines: {types: {qty: number}}
              - table.validate:
                  row: "{{ item }}"
                  columns: {amount: {type: number, minimum: 0}}
    """)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    problems = [(p.line, p.message) for p in caught.value.problems]
    assert (15, ("pdf.extract: unknown key 'typ' in fields.total (did you mean 'type'?); allowed here: anchor, "
                "decimal, default, direction, formats, lines, page, regex, region, required, type")) in problems
    assert any(line == 16 and "fields.date.type: Input should be 'text', 'string', 'number', 'integer' or 'date'" in m
               for line, m in problems)
    assert (18, "pdf.extract: tables.lines needs 'columns'") in problems
    assert any(line == 21 and "unknown key 'minimum' in columns.amount (did you mean 'min'?)" in m
               for line, m in problems)
    assert len(problems) == 4
