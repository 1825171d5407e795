"""Real `retake worker` processes on real Redis / RabbitMQ with a PostgreSQL ledger."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import uuid

import pytest

from fleet_support import Fleet, item_done_counts

pytestmark = pytest.mark.services

SLOW_ROBOT = """
robots:
  slow:
    items: "{{ range(8) | list }}"
    chunk_size: 1
    steps:
      - log: "start {{ item }}"
      - sleep: 1s
      - log: "end {{ item }}"
"""


BATCH_ROBOT = """
robots:
  batch:
    items: "{{ range(6) | list }}"
    chunk_size: 6
    steps:
      - sleep: 0.5s
"""


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _kill_mid_item(fleet: Fleet) -> tuple[str, float, str, str]:
    """Start a run, SIGKILL a worker process in the middle of an item: run id, kill time, item key, worker."""
    fleet.start_worker(processes=2, threads=1)
    fleet.wait_workers(2)
    run_id = fleet.submit("slow")
    ledger = fleet.ledger()

    def running_item():
        for item in ledger.run_items(run_id):
            if item["status"] == "running" and item["started_at"] is not None:
                age = (dt.datetime.now(dt.timezone.utc) - _aware(item["started_at"])).total_seconds()
                if age > 0.3:
                    return item
        return None

    victim = fleet.wait_until(running_item, timeout=30, what="an item in progress")
    pid = int(victim["worker"].rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)
    return run_id, time.time(), victim["key"], victim["worker"]


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_worker_killed_mid_item_loses_nothing_and_doubles_nothing(broker, request, postgres_url, make_project):
    url = request.getfixturevalue("redis_url" if broker == "redis" else "amqp_url")
    fleet = Fleet(broker_url=url, database_url=postgres_url, project=make_project(SLOW_ROBOT))
    try:
        run_id, killed_at, key, killed = _kill_mid_item(fleet)
        run = fleet.wait_run(run_id, timeout=60)
        items = fleet.ledger().run_items(run_id)
        alive = fleet.wait_workers(2)  # the supervisor replaced the killed process
    finally:
        fleet.stop()
    assert run["status"] == "succeeded", fleet.logs()
    assert run["items_succeeded"] == 8 and run["items_total"] == 8
    assert [i["status"] for i in items] == ["succeeded"] * 8
    assert killed not in {w["name"] for w in alive}
    victim = next(i for i in items if i["key"] == key)
    assert victim["attempts"] == 2, "the killed item was delivered again and finished by a live worker"
    redelivered_after = _aware(victim["started_at"]).timestamp() - killed_at
    limit = 15.0 if broker == "redis" else 3.0
    assert redelivered_after < limit, f"{broker} redelivered the item after {redelivered_after:.1f}s"
    print(f"\n{broker}: killed item redelivered and restarted {redelivered_after:.2f}s after SIGKILL")
    done = item_done_counts(fleet.run_log_lines(run_id))
    assert done == {str(i): 1 for i in range(8)}, "every item ran to its end exactly once"


LIMITED = """
pools: {erp: 1}
robots:
  one_at_a_time:
    concurrency: 1
    chunk_size: 1
    items: "{{ range(6) | list }}"
    steps:
      - sleep: 0.3s
  erp_a:
    pool: erp
    chunk_size: 1
    items: "{{ range(3) | list }}"
    steps:
      - sleep: 0.3s
  erp_b:
    pool: erp
    chunk_size: 1
    items: "{{ range(3) | list }}"
    steps:
      - sleep: 0.3s
"""


def _overlaps(items: list[dict]) -> list[tuple[str, str]]:
    spans = sorted((_aware(i["started_at"]), _aware(i["finished_at"]), f"{i['run_id']}/{i['key']}") for i in items)
    return [(a[2], b[2]) for a, b in zip(spans, spans[1:]) if b[0] < a[1]]


def test_concurrency_and_pools_hold_across_two_workers(redis_url, postgres_url, make_project):
    fleet = Fleet(broker_url=redis_url, database_url=postgres_url, project=make_project(LIMITED))
    try:
        fleet.start_worker(processes=1, threads=2)
        fleet.start_worker(processes=1, threads=2)
        fleet.wait_workers(2)
        single = fleet.submit("one_at_a_time")
        run_a, run_b = fleet.submit("erp_a"), fleet.submit("erp_b")
        runs = [fleet.wait_run(r, timeout=60) for r in (single, run_a, run_b)]
        ledger = fleet.ledger()
        single_items = ledger.run_items(single)
        pool_items = ledger.run_items(run_a) + ledger.run_items(run_b)
    finally:
        fleet.stop()
    assert [r["status"] for r in runs] == ["succeeded"] * 3, fleet.logs()
    assert not _overlaps(single_items), "concurrency: 1 - two items of the robot overlapped"
    assert not _overlaps(pool_items), "pool erp of size 1 - two items of its robots overlapped"
    assert len({i["worker"] for i in single_items + pool_items}) == 2, "both workers took part"


FLOW = """
robots:
  long:
    items: "{{ range(10) | list }}"
    chunk_size: 10
    steps:
      - sleep: 0.4s
      - log: "half {{ item }}"
      - sleep: 0.4s
  flagged:
    items: [1, 2, 3, 4, 5, 6]
    chunk_size: 2
    steps:
      - if: "{{ ('flags/' ~ item) in files('flags') }}"
        fail: "item {{ item }} is flagged"
      - log: "processed {{ item }}"
  limited:
    timeout: 2s
    items: "{{ range(6) | list }}"
    chunk_size: 6
    steps:
      - sleep: 0.8s
  elsewhere:
    queue: erp
    steps:
      - log: hello from erp
"""


@pytest.fixture(scope="module")
def flow_fleet(tmp_path_factory, request):
    from conftest import require_service

    require_service("Redis", "127.0.0.1", 6379)
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"retake_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    root = tmp_path_factory.mktemp("flow")
    from conftest import MANIFEST_HEAD

    (root / "robots.yaml").write_text(MANIFEST_HEAD + FLOW, encoding="utf-8")
    (root / "flags").mkdir()
    fleet = Fleet(broker_url=os.environ.get("RETAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
                  database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", project=root)
    fleet.start_worker(processes=1, threads=2, queues="default")
    fleet.wait_workers(1)
    yield fleet
    fleet.stop()
    from orchestrator.ledger.db import dispose_all

    dispose_all()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_cancel_stops_a_running_run_at_the_next_step(flow_fleet):
    run_id = flow_fleet.submit("long")
    ledger = flow_fleet.ledger()
    flow_fleet.wait_until(lambda: ledger.item_counts(run_id).get("succeeded", 0) >= 1, what="a first item")
    started = time.monotonic()
    done = flow_fleet.retake("cancel", run_id[:15])
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    run = ledger.get_run(run_id)
    assert run["status"] == "cancelled"
    cancelled_at = _aware(run["finished_at"])
    # (items are 0.8 s each: how many ended before the cancel depends on how fast the CLI started)
    ended_before = run["items_succeeded"]
    time.sleep(1.5)  # the item in progress stops at its next step boundary
    items = ledger.run_items(run_id)
    assert ended_before <= 4 and run["items_cancelled"] == 10 - ended_before
    assert all(i["status"] in ("succeeded", "cancelled") for i in items)
    late = [line for line in flow_fleet.run_log_lines(run_id)
            if line["record"]["message"].startswith(("half", "item done"))
            and line["record"]["time"]["timestamp"] > cancelled_at.timestamp() + 1.0]
    assert not late, f"work went on after the cancel: {late}"
    assert ledger.get_run(run_id)["status"] == "cancelled", "a late item did not reopen the run"


def test_a_queued_run_on_an_unserved_queue_waits_and_can_be_cancelled(flow_fleet):
    run_id = flow_fleet.submit("elsewhere")
    time.sleep(1.5)
    ledger = flow_fleet.ledger()
    assert ledger.get_run(run_id)["status"] == "queued", "the worker serves only `default`, not `erp`"
    status = flow_fleet.retake("status", "--json")
    assert status.returncode == 0, status.stderr
    import json

    data = json.loads(status.stdout)
    assert {"name": "erp", "depth": 1} in data["queues"]
    assert run_id in [r["run_id"] for r in data["runs"]]
    assert any(w["alive"] and w["queues"] == ["default"] for w in data["workers"])
    done = flow_fleet.retake("cancel", run_id)
    assert done.returncode == 0, done.stderr
    assert ledger.get_run(run_id)["status"] == "cancelled"


def test_rerun_retakes_only_the_failed_items_as_a_linked_run(flow_fleet):
    (flow_fleet.project / "flags" / "2").write_text("x")
    (flow_fleet.project / "flags" / "5").write_text("x")
    first = flow_fleet.wait_run(flow_fleet.submit("flagged"))
    assert (first["status"], first["items_failed"], first["items_succeeded"]) == ("partial", 2, 4)
    for flag in (flow_fleet.project / "flags").iterdir():
        flag.unlink()  # the data is fixed
    done = flow_fleet.retake("rerun", first["id"], "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    import json

    second = json.loads(done.stdout)
    assert second["parent_run_id"] == first["id"]
    assert second["items"] == {"total": 2, "succeeded": 2, "failed": 0, "cancelled": 0}
    assert second["inputs"] == first["inputs"]
    keys = [i["key"] for i in flow_fleet.ledger().run_items(second["run_id"])]
    assert keys == ["2", "5"]


def test_a_run_past_its_time_limit_is_stopped_with_a_timeout_error(flow_fleet):
    run_id = flow_fleet.submit("limited")
    run = flow_fleet.wait_run(run_id, timeout=30)
    items = flow_fleet.ledger().run_items(run_id)
    assert run["status"] == "partial"
    assert "time limit of 2s" in run["error"]
    assert run["duration_s"] < 4.0, "stopped at its limit, not after every item"
    failed = [i for i in items if i["status"] == "failed"]
    assert run["items_succeeded"] >= 1 and failed
    assert all(i["error_kind"] == "timeout" for i in failed)


def test_a_stopped_worker_finishes_its_item_and_hands_back_the_rest(redis_url, postgres_url, make_project):
    fleet = Fleet(broker_url=redis_url, database_url=postgres_url, project=make_project(BATCH_ROBOT))
    try:
        supervisor = fleet.start_worker(processes=1, threads=1)
        fleet.wait_workers(1)
        run_id = fleet.submit("batch")
        ledger = fleet.ledger()
        fleet.wait_until(lambda: ledger.item_counts(run_id).get("succeeded", 0) >= 1, what="a first item")
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=15) == 0
        counts = ledger.item_counts(run_id)
        assert counts.get("running", 0) == 0, "the item at hand was finished, the rest handed back"
        assert counts.get("pending", 0) >= 1
        fleet.start_worker(processes=1, threads=2)
        run = fleet.wait_run(run_id, timeout=30)
    finally:
        fleet.stop()
    assert run["status"] == "succeeded" and run["items_succeeded"] == 6
    assert item_done_counts(fleet.run_log_lines(run_id)) == {str(i): 1 for i in range(6)}


def test_a_worker_takes_no_work_while_its_ledger_cannot_be_reached(redis_url, make_project, tmp_path):
    """A start taken while the ledger is down would fail, use up its retries and be lost: the worker waits."""
    ledger_dir = tmp_path / "ledger"
    ledger_dir.mkdir()
    fleet = Fleet(broker_url=redis_url, database_url=f"sqlite:///{ledger_dir}/retake.db",
                  project=make_project(SLOW_ROBOT.replace("range(8)", "range(2)").replace("1s", "0s")))
    try:
        run_id = fleet.submit("slow")  # queued in the ledger and on the broker, no worker yet
        ledger_dir.rename(tmp_path / "away")  # the ledger cannot be opened now
        fleet.start_worker()
        fleet.wait_until(lambda: "takes no work until it answers" in fleet.logs(), timeout=30,
                         what="the worker saying it waits for its ledger")
        time.sleep(2)
        waited = fleet.logs()
        (tmp_path / "away").rename(ledger_dir)
        run = fleet.wait_run(run_id, timeout=60)
    finally:
        fleet.stop()
    assert "cannot be reached" in waited and "Failed to process message" not in waited, waited
    assert run["status"] == "succeeded" and run["items_succeeded"] == 2


def test_workers_of_a_supervisor_killed_outright_stop_cleanly(redis_url, postgres_url, make_project):
    """SIGKILL cannot be passed on to the children: they notice their supervisor is gone and stop as on
    SIGTERM (the item at hand finished, the rest handed back), instead of working on unwatched."""
    fleet = Fleet(broker_url=redis_url, database_url=postgres_url, project=make_project(BATCH_ROBOT))
    try:
        supervisor = fleet.start_worker(processes=1, threads=1)
        child = int(fleet.wait_workers(1)[0]["pid"])
        run_id = fleet.submit("batch")
        ledger = fleet.ledger()
        fleet.wait_until(lambda: ledger.item_counts(run_id).get("succeeded", 0) >= 1, what="a first item")
        supervisor.kill()
        supervisor.wait(timeout=5)

        def gone() -> bool:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return True
            with open(f"/proc/{child}/stat") as handle:  # a zombie (no parent reaped it yet) is gone too
                return handle.read().rsplit(")", 1)[1].split()[0] == "Z"

        fleet.wait_until(gone, timeout=15, what="the orphaned worker stopping")
        counts = ledger.item_counts(run_id)
        assert counts.get("running", 0) == 0, "the item at hand was finished, the rest handed back"
        assert counts.get("pending", 0) >= 1
    finally:
        fleet.stop()
    assert "supervisor" in fleet.logs() and "is gone: this worker stops" in fleet.logs()
