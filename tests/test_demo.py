"""The demo robots on generated invoices and the sample ERP, and `retake demo` itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.invoices import generate
from orchestrator import projects
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]


def _demo_project(tmp_path: Path) -> Path:
    root = tmp_path / "demo-project"
    (root / "robots").mkdir(parents=True)
    shutil.copy(REPO / "robots.yaml", root / "robots.yaml")
    for name in ("invoice_intake.yaml", "erp_export.yaml"):
        shutil.copy(REPO / "robots" / name, root / "robots" / name)
    return root


def test_invoice_intake_enters_good_invoices_and_files_every_pdf(embedded, tmp_path, monkeypatch):
    from backoffice.erp import start_erp

    monkeypatch.setenv("ERP_USER", "clerk")
    monkeypatch.setenv("ERP_PASSWORD", "demo-password")
    root = _demo_project(tmp_path)
    inbox = root / "data" / "demo" / "inbox"
    pdfs = generate(inbox, count=12)
    truth = {p.name: json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in pdfs}
    for p in pdfs:
        p.with_suffix(".json").unlink()
    loaded = load_project(root)
    with start_erp(expire_every=3, slow_every=5, slow_seconds=0.5) as erp:
        run = run_embedded(loaded, "invoice_intake", {"erp_url": erp.url})
        export = run_embedded(loaded, "erp_export", {"erp_url": erp.url, "output": "out/list.xlsx"})
        entered = {r["invoice_no"]: r for r in erp.state.invoices[6:]}
        logins = erp.state.logins
    assert (run["status"], run["items_succeeded"], run["items_failed"]) == ("partial", 8, 4)
    assert logins >= 3  # the session expired after every third save and the robot logged in again
    done = sorted(p.name for p in (inbox / "done").iterdir())
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert len(done) == 8 and failed == ["invoice-004.pdf", "invoice-006.pdf", "invoice-007.pdf",
                                         "invoice-010.pdf"]
    for name in done:
        expected = truth[name]["fields"]
        row = entered[expected["invoice_no"]]
        assert (row["vendor"], row["invoice_date"], row["currency"], row["po_number"]) == \
            (expected["vendor"], expected["date"], expected["currency"], expected["po_number"])
        assert row["amount"] == pytest.approx(expected["total"])
        assert row["due_date"] == (expected.get("due_date") or "")
    errors = {i["key"]: i["error_message"] for i in projects.ledger_for(loaded).run_items(run["id"])
              if i["status"] == "failed"}
    assert any("corrupt" in e for e in errors.values()) and any("po_number" in e for e in errors.values())

    import openpyxl

    assert export["status"] == "succeeded"
    sheet = openpyxl.load_workbook(root / "out" / "list.xlsx")["Invoices"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Confirmation", "Invoice no", "Vendor") and len(rows) == 1 + 6 + 8


def test_retake_demo_runs_both_robots_and_prints_savings(tmp_path):
    root = _demo_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("ERP_USER", "ERP_PASSWORD", "RETAKE_BROKER_URL", "RETAKE_DATABASE_URL", "RETAKE_PROJECT"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "demo", "--count", "6", "--project", str(root)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "invoice_intake" in done.stdout and "erp_export" in done.stdout and "Savings" in done.stdout
    assert "partial" in done.stdout and "succeeded" in done.stdout
    assert len(list((root / "data" / "demo" / "inbox" / "done").iterdir())) == 4
    assert (root / "data" / "demo" / "export" / "invoices.xlsx").is_file()
