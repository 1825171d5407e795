"""Running a test robot on the embedded default and reading back what the ledger and the log say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator import projects
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded

# A robot's first steps on the sample ERP: open the invoice form, signing in when sent to the login page
# (for a str.format template: braces doubled).
ERP_SIGN_IN = """
      - {{id: page, browser.goto: /invoices/new}}
      - if: "{{{{ '/login' in steps.page.url }}}}"
        browser.fill_form:
          fields: {{Username: "{{{{ secrets.ERP_USER }}}}", Password: "{{{{ secrets.ERP_PASSWORD }}}}"}}
          submit: {{role: button, name: Sign in}}"""


def run(root: Path, robot: str, **inputs: Any) -> tuple[dict[str, Any], list[dict[str, Any]], Any, str]:
    """(run record, its items, the ledger, the run's log.jsonl text)."""
    loaded = load_project(root)
    record = run_embedded(loaded, robot, inputs)
    ledger = projects.ledger_for(loaded)
    log_file = loaded.runs_dir / record["id"] / "log.jsonl"
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return record, ledger.run_items(record["id"]), ledger, log


def output_of(root: Path, robot: str, **inputs: Any) -> tuple[Any, str]:
    """(the first item's output, the run's log) of a run that must succeed (else: the item's error)."""
    record, items, _, log = run(root, robot, **inputs)
    assert record["status"] == "succeeded", items[0]["error_message"] if items else record
    return items[0]["output"], log
