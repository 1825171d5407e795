"""The ledger on PostgreSQL (and SQLite): migrations, exactly-once completion, slots under concurrency."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from orchestrator.ledger import Ledger
from orchestrator.ledger import schema as schema_module
from orchestrator.ledger.schema import ensure_schema, head_revisions

REPO = Path(__file__).resolve().parents[1]


def _differences(engine) -> list:  # noqa: ANN001
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                schema_module.load_metadata())


@pytest.mark.services
def test_migrations_build_on_postgresql_the_schema_the_models_describe(postgres_url):
    engine = create_engine(postgres_url)
    ensure_schema(engine)
    assert _differences(engine) == [], "every table change needs its migration"
    with engine.connect() as conn:
        assert set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == head_revisions()
    started = time.perf_counter()
    ensure_schema(engine)
    assert time.perf_counter() - started < 0.1, "a database at head costs one small query"
    engine.dispose()


def test_migrations_build_on_sqlite_the_schema_the_models_describe(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    ensure_schema(engine)
    assert _differences(engine) == []
    assert {"runs", "items", "workers", "slots", "alembic_version"} <= set(inspect(engine).get_table_names())


def test_a_ledger_made_before_migrations_is_adopted(tmp_path):
    from orchestrator.ledger.tables import artifacts, attempts, checkpoints, items, metadata, runs

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    metadata.create_all(engine, tables=[runs, items, attempts, artifacts, checkpoints])
    Ledger(engine).create_run(robot="r", project="p", inputs={}, manual_minutes=1, exception_minutes=0)
    ensure_schema(engine)
    assert {"workers", "slots", "alembic_version"} <= set(inspect(engine).get_table_names())
    assert len(Ledger(engine).list_runs()) == 1, "the old runs are kept"


def test_a_later_migration_chains_after_the_current_head(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    shutil.copytree(schema_module.MIGRATIONS, folder)
    (head,) = head_revisions()
    (folder / "versions" / "9999_later.py").write_text(
        f'revision = "9999_later"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        "def upgrade():\n    op.create_table('later_state', sa.Column('name', sa.String(50), primary_key=True))\n\n"
        "def downgrade():\n    op.drop_table('later_state')\n")
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    ensure_schema(engine)  # at the packaged head
    monkeypatch.setattr(schema_module, "MIGRATIONS", folder)
    head_revisions.cache_clear()
    try:
        ensure_schema(engine)
        assert "later_state" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_later"
    finally:
        head_revisions.cache_clear()


@pytest.mark.services
def test_workers_starting_together_on_a_fresh_database_migrate_it_once(postgres_url):
    script = ("import sys; from sqlalchemy import create_engine; from orchestrator.ledger.schema import ensure_schema;"
              "ensure_schema(create_engine(sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", script, postgres_url], cwd=REPO, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors


def _started_run(ledger: Ledger, count: int) -> str:
    run_id = ledger.create_run(robot="r", project="p", inputs={}, manual_minutes=1, exception_minutes=0)
    assert ledger.start_run(run_id, [(str(i), {"n": i}) for i in range(count)])
    return run_id


@pytest.mark.services
@pytest.mark.parametrize("together", [False, True], ids=["finish-then-close", "finish-and-close"])
def test_the_last_item_closes_the_run_exactly_once_under_concurrency(postgres_url, together):
    engine = create_engine(postgres_url, pool_size=10)
    ensure_schema(engine)
    ledger = Ledger(engine)
    run_id = _started_run(ledger, 200)
    closers: list[str] = []
    recorded: list[int] = []

    def work(offset: int) -> None:
        # Every thread gets every chunk (duplicated deliveries), in a different order.
        chunks = [list(range(i, i + 5)) for i in range(0, 200, 5)]
        chunks = chunks[offset:] + chunks[:offset]
        for chunk in chunks:
            claimed, _ = ledger.claim_items(run_id, chunk, f"w{offset}", reclaimable=lambda w, i: False)
            results = [{"id": row["id"], "attempts": row["attempts"], "status": "succeeded", "duration_s": 0.01}
                       for row in claimed]
            if together:  # a chunk's last batch: its ends and the run's close in one transaction
                done, final = ledger.finish_and_close(run_id, results)
                recorded.append(done)
            else:
                recorded.append(ledger.finish_items(run_id, results))
                final = ledger.complete_if_done(run_id)
            if final:
                closers.append(final)

    threads = [threading.Thread(target=work, args=(k * 7,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run = ledger.get_run(run_id)
    assert closers == ["succeeded"], "one caller, and only one, closed the run"
    assert sum(recorded) == 200
    assert (run["status"], run["items_succeeded"], run["items_total"]) == ("succeeded", 200, 200)
    assert all(i["attempts"] == 1 for i in ledger.run_items(run_id)), "no item was claimed twice"
    assert run["robot_seconds"] == pytest.approx(2.0)
    engine.dispose()


@pytest.mark.services
def test_slots_never_let_more_holders_in_than_the_pool_has(postgres_url):
    engine = create_engine(postgres_url, pool_size=10)
    ensure_schema(engine)
    ledger = Ledger(engine)
    inside, peak, lock = [0], [0], threading.Lock()

    def work(name: str) -> None:
        for _ in range(15):
            while (slot := ledger.acquire_slot("pool:erp", 2, name)) is None:
                time.sleep(0.001)
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.002)
            with lock:
                inside[0] -= 1
            ledger.release_slot("pool:erp", slot, name)

    threads = [threading.Thread(target=work, args=(f"host:1/{k}",)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
    assert ledger.slots_held() == []
    engine.dispose()


@pytest.mark.services
def test_cancel_and_time_limit_close_every_open_item(postgres_url):
    engine = create_engine(postgres_url)
    ensure_schema(engine)
    ledger = Ledger(engine)
    cancelled = _started_run(ledger, 5)
    claimed, _ = ledger.claim_items(cancelled, [0, 1], "w", reclaimable=lambda w, i: False)
    ledger.finish_items(cancelled, [{"id": claimed[0]["id"], "attempts": 1, "status": "succeeded"}])
    assert ledger.cancel_run(cancelled, "stop") == "cancelled"
    assert ledger.finish_items(cancelled, [{"id": claimed[1]["id"], "attempts": 1, "status": "succeeded"}]) == 0
    run = ledger.get_run(cancelled)
    assert (run["items_succeeded"], run["items_cancelled"]) == (1, 4)
    assert ledger.cancel_run(cancelled) is None, "an ended run cannot be cancelled again"

    timed = _started_run(ledger, 3)
    assert ledger.timeout_run(timed, "too long") == "failed"
    assert {i["error_kind"] for i in ledger.run_items(timed)} == {"timeout"}
    assert ledger.get_run(timed)["error"] == "too long"
    engine.dispose()
