"""The ledger on SQLite and on PostgreSQL: transactional writes, exactly-once completion, nothing deleted."""

from __future__ import annotations

import threading

import pytest

from orchestrator.ledger import Ledger, engine_for
from orchestrator.ledger.db import normalize
from orchestrator.states import ItemStatus


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    return Ledger(engine_for(normalize(url)))


def new_run(ledger: Ledger, robot: str = "invoices", n: int = 3) -> str:
    run_id = ledger.create_run(robot=robot, project="p", inputs={"inbox": "in"}, manual_minutes=4,
                               exception_minutes=1)
    assert ledger.start_run(run_id, [(f"inv-{i}", {"n": i}) for i in range(n)])
    return run_id


def test_a_run_records_its_items_and_closes_once(ledger):
    run_id = new_run(ledger)
    assert ledger.get_run(run_id)["status"] == "running"
    finals = []
    for idx in range(3):
        row = ledger.claim_item(run_id, idx, "w1")
        assert row["status"] == "running" and row["attempts"] == 1
        status = ItemStatus.FAILED if idx == 1 else ItemStatus.SUCCEEDED
        finals.append(ledger.finish_item(row["id"], status=status, output={"ok": idx},
                                         error_kind="business" if idx == 1 else None,
                                         error_message="no PO" if idx == 1 else None, error_step="check"))
    assert finals == [None, None, "partial"]
    run = ledger.get_run(run_id)
    assert (run["status"], run["items_succeeded"], run["items_failed"]) == ("partial", 2, 1)
    assert run["finished_at"] is not None and run["duration_s"] >= 0
    items = ledger.run_items(run_id)
    assert [(i["key"], i["status"]) for i in items] == [
        ("inv-0", "succeeded"), ("inv-1", "failed"), ("inv-2", "succeeded")]
    assert items[1]["error_message"] == "no PO" and items[0]["output"] == {"ok": 0}


def test_a_finished_item_is_not_claimed_again(ledger):
    run_id = new_run(ledger, n=1)
    row = ledger.claim_item(run_id, 0, "w1")
    ledger.finish_item(row["id"], status=ItemStatus.SUCCEEDED)
    assert ledger.claim_item(run_id, 0, "w2") is None
    assert ledger.finish_item(row["id"], status=ItemStatus.FAILED) is None
    assert ledger.get_run(run_id)["items_succeeded"] == 1


def test_a_redelivered_start_adds_no_items(ledger):
    run_id = new_run(ledger, n=2)
    assert not ledger.start_run(run_id, [("x", None)] * 5)
    assert len(ledger.run_items(run_id)) == 2


def test_concurrent_finishers_close_the_run_exactly_once(ledger):
    run_id = new_run(ledger, n=40)
    rows = [ledger.claim_item(run_id, i, "w") for i in range(40)]
    finals: list[str] = []
    lock = threading.Lock()

    def finish(chunk):
        for row in chunk:
            final = ledger.finish_item(row["id"], status=ItemStatus.SUCCEEDED)
            if final:
                with lock:
                    finals.append(final)

    threads = [threading.Thread(target=finish, args=(rows[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert finals == ["succeeded"]
    assert ledger.get_run(run_id)["items_succeeded"] == 40


def test_attempts_artifacts_and_checkpoints_are_kept(ledger):
    import datetime as dt

    run_id = new_run(ledger, n=1)
    row = ledger.claim_item(run_id, 0, "w")
    now = dt.datetime.now(dt.timezone.utc)
    ledger.record_attempt(row["id"], step="open", number=1, status="failed", started_at=now, duration_s=0.5,
                          error_kind="timeout", error_message="slow page")
    ledger.add_artifacts(run_id, row["id"], [{"kind": "screenshot", "path": ".retake/x.png", "step": "open"}])
    ledger.checkpoint(row["id"], "steps.submit", {"confirmation": "C-1"})
    assert ledger.attempts_for(run_id)[0]["error_message"] == "slow page"
    assert ledger.artifacts_for(run_id)[0]["path"] == ".retake/x.png"
    assert ledger.checkpoints_for(row["id"]) == {"steps.submit": {"confirmation": "C-1"}}


def test_a_later_run_deletes_nothing(ledger):
    first = new_run(ledger, n=2)
    second = new_run(ledger, n=2)
    assert {r["id"] for r in ledger.list_runs()} >= {first, second}
    assert len(ledger.run_items(first)) == 2 and len(ledger.run_items(second)) == 2
    assert ledger.find_run(first[:-2])["id"] in (first, second) or ledger.find_run(first)["id"] == first


def test_a_robot_runs_end_to_end_on_postgresql(make_project, embedded, postgres_url, monkeypatch):
    from orchestrator import projects
    from orchestrator.loader import load_project
    from orchestrator.submit import run_embedded

    monkeypatch.setenv("RETAKE_DATABASE_URL", postgres_url)
    root = make_project("""\
        robots:
          count:
            manual_minutes: 2
            items: "{{ range(20) | list }}"
            steps:
              - if: "{{ item == 13 }}"
                fail: unlucky
        """)
    loaded = load_project(root)
    record = run_embedded(loaded, "count", {})
    assert (record["status"], record["items_succeeded"], record["items_failed"]) == ("partial", 19, 1)
    assert projects.ledger_for(loaded).engine.url.get_backend_name() == "postgresql"
    assert not (root / ".retake" / "retake.db").exists()


def test_a_reader_with_a_transaction_open_does_not_hold_up_a_writer_on_sqlite(tmp_path):
    """A dashboard or report reading the ledger (WAL) must not take SQLite's write lock: a worker's write
    goes through at once while the read is still open, and the reader keeps its own snapshot."""
    import time

    from sqlalchemy import text

    from orchestrator.ledger.db import reading

    ledger = Ledger(engine_for(f"sqlite:///{tmp_path / 'ledger.db'}"))
    new_run(ledger)
    with reading(ledger.engine) as conn:
        before = conn.execute(text("select count(*) from runs")).scalar()
        started = time.monotonic()
        new_run(ledger)  # a worker writing, on another connection
        waited = time.monotonic() - started
        during = conn.execute(text("select count(*) from runs")).scalar()
    assert waited < 2, f"the write waited {waited:.1f}s behind an open read"
    assert (before, during) == (1, 1)  # the open read keeps its snapshot
    assert len(ledger.list_runs()) == 2
