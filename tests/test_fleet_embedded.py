"""The fleet's rules on the embedded default (in-process broker, SQLite): the same path as a real fleet."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from orchestrator import actions, events, projects
from orchestrator.loader import load_project


@pytest.fixture
def test_actions():
    """`test.once` (an outside effect, counted) and `test.die` (a worker dying mid-item, the first time)."""
    calls = {"once": 0, "die": 0}

    def once(ctx, args):  # noqa: ANN001, ANN202
        calls["once"] += 1
        return f"sent {ctx.key}"

    def die(ctx, args):  # noqa: ANN001, ANN202
        calls["die"] += 1
        if calls["die"] == 1:
            raise SystemExit("killed")  # not an Exception: like a process dying, nothing is recorded
        return "ok"

    registry = actions.registry()
    registry["test.once"] = actions.Action("test.once", once, None, None, True, "")
    registry["test.die"] = actions.Action("test.die", die, None, None, False, "")
    yield calls
    registry.pop("test.once")
    registry.pop("test.die")


def test_an_effect_step_is_not_repeated_when_its_item_comes_back(embedded, make_project, test_actions):
    from orchestrator.runner import work_item
    from orchestrator.submit import submit

    root = make_project("""
    robots:
      invoices:
        items: [A1]
        steps:
          - id: sent
            test.once: {}
          - test.die: {}
          - log: "{{ steps.sent }}"
    """)
    loaded = load_project(root)
    ledger = projects.ledger_for(loaded)
    run_id = submit(loaded, "invoices", {})
    run = ledger.get_run(run_id)
    ledger.start_run(run_id, [("A1", "A1")])
    session = projects.session(loaded, ledger.get_run(run_id) or run)
    row = ledger.claim_item(run_id, 0, "host:1")
    with pytest.raises(SystemExit):
        work_item(session, ledger, row)
    again = ledger.claim_item(run_id, 0, "host:2")  # the message is delivered again
    assert again["attempts"] == 2
    result = work_item(session, ledger, again)
    assert result["status"] == "succeeded"
    assert result["output"] == "sent A1", "the checkpointed output of the effect step is reused"
    assert test_actions["once"] == 1, "the outside effect happened once"
    projects.close_session(run_id)


def test_a_pool_holds_on_the_embedded_default_with_many_threads(embedded, make_project):
    from orchestrator.submit import run_embedded

    root = make_project("""
    pools: {licence: 1}
    robots:
      desk:
        pool: licence
        chunk_size: 1
        items: "{{ range(6) | list }}"
        steps:
          - sleep: 0.05s
    """)
    loaded = load_project(root)
    run = run_embedded(loaded, "desk", {}, threads=4)
    assert run["status"] == "succeeded"
    spans = sorted((i["started_at"], i["finished_at"]) for i in projects.ledger_for(loaded).run_items(run["id"]))
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:]))


def test_an_undeclared_pool_is_a_config_error_with_its_line(make_project):
    from orchestrator.errors import ConfigError

    root = make_project("""
    robots:
      desk:
        pool: licence
        steps:
          - log: hi
    """)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    assert "pool 'licence' is not declared" in str(caught.value)
    assert "robots.yaml:" in str(caught.value)


def test_run_finished_is_called_once_per_run_by_whoever_ends_it(embedded, make_project):
    from orchestrator.submit import rerun, run_embedded, wait_embedded

    seen: list[tuple[str, str]] = []

    def listener(loaded, run):  # noqa: ANN001, ANN202
        seen.append((run["id"], run["status"]))

    events.subscribe(listener)
    try:
        root = make_project("""
        robots:
          picky:
            items: [1, 2, 3]
            steps:
              - if: "{{ item == 2 and not (files('fixed') | length) }}"
                fail: "item 2 is wrong"
        """)
        (root / "fixed").mkdir()  # files() of a folder that does not exist is an error
        loaded = load_project(root)
        first = run_embedded(loaded, "picky", {}, threads=2)
        (root / "fixed" / "yes").write_text("1")
        second_id = rerun(loaded, first["id"])
        second = wait_embedded(loaded, second_id, threads=2)
    finally:
        events.unsubscribe(listener)
    assert first["status"] == "partial" and second["status"] == "succeeded"
    assert second["parent_run_id"] == first["id"] and second["items_total"] == 1
    assert seen == [(first["id"], "partial"), (second["id"], "succeeded")]


TWO_ITEMS = """
robots:
  two:
    items: [a, b]
    steps:
      - log: hi
"""


def _dead_letter(make_project, actor: str, exception: Exception, *, break_files: bool = False) -> tuple:
    """A queued run of two items whose `actor` message ran out of retries: (ledger, run id)."""
    from orchestrator.deadletters import DeadLetters
    from orchestrator.submit import submit

    root = make_project(TWO_ITEMS)
    loaded = load_project(root)
    ledger = projects.ledger_for(loaded)
    run_id = submit(loaded, "two", {})
    args: tuple = (run_id, str(root))
    if actor == "run_items":
        ledger.start_run(run_id, [("a", "a"), ("b", "b")])
        args = (*args, [0, 1])
    if break_files:
        (root / "robots.yaml").write_text("robots:\n  two:\n    manual_minutes: many\n", encoding="utf-8")
    message = SimpleNamespace(failed=True, actor_name=actor, args=args, options={"retries": 5}, message_id="m1")
    DeadLetters().after_process_message(None, message, exception=exception)
    return ledger, run_id


def test_a_message_out_of_retries_fails_its_items_visibly(embedded, make_project):
    ledger, run_id = _dead_letter(make_project, "run_items", ConnectionError("ledger unreachable"))
    run = ledger.get_run(run_id)
    assert run["status"] == "failed" and run["items_failed"] == 2
    errors = {i["error_message"] for i in ledger.run_items(run_id)}
    assert errors == {"gave up after 6 deliveries: ConnectionError: ledger unreachable"}


def test_a_start_out_of_retries_fails_its_run_even_when_the_project_files_are_broken(embedded, make_project):
    """A robot file broken after the run was queued: the worker cannot load the project, Dramatiq gives
    up, and the run must not stay queued for ever (it would block its schedule's `overlap: skip`)."""
    ledger, run_id = _dead_letter(make_project, "start_run", ValueError("robots.yaml:3:21: not a number"),
                                  break_files=True)
    run = ledger.get_run(run_id)
    assert run["status"] == "failed" and "gave up after 6 deliveries" in run["error"]


def test_a_run_time_limit_stops_the_embedded_run_too(embedded, make_project):
    from orchestrator.submit import run_embedded

    root = make_project("""
    robots:
      slowpoke:
        timeout: 1s
        items: [1, 2, 3, 4]
        steps:
          - sleep: 0.4s
    """)
    loaded = load_project(root)
    started = dt.datetime.now(dt.timezone.utc)
    run = run_embedded(loaded, "slowpoke", {})
    assert run["status"] == "partial"
    assert (dt.datetime.now(dt.timezone.utc) - started).total_seconds() < 2.5
    kinds = [i["error_kind"] for i in projects.ledger_for(loaded).run_items(run["id"])]
    assert kinds[:2] == [None, None] and set(kinds[2:]) == {"timeout"}



def test_a_step_timeout_fails_the_item_and_the_run_still_ends(embedded, make_project):
    from orchestrator.submit import run_embedded

    root = make_project("""
    robots:
      stuck:
        items: [1, 2]
        steps:
          - sleep: 0.5s
            timeout: 100ms
            retry: {attempts: 1}
    """)
    run = run_embedded(load_project(root), "stuck", {})
    assert (run["status"], run["items_failed"]) == ("failed", 2)
    kinds = {i["error_kind"] for i in projects.ledger_for(load_project(root)).run_items(run["id"])}
    assert kinds == {"timeout"}


def test_a_start_out_of_retries_is_recorded_through_the_broker_s_own_middleware(embedded, make_project):
    """Dramatiq calls `after_process_message` in reverse order of the middleware: the dead-letter record
    must come after `Retries` has decided that the message is failed, or it never happens."""
    import time

    from orchestrator import submit
    from orchestrator.broker import queue_name
    from orchestrator.queue import start_run

    root = make_project(TWO_ITEMS)
    loaded = load_project(root)
    ledger = projects.ledger_for(loaded)
    run_id = ledger.create_run(robot="two", project="test-project", inputs={}, manual_minutes=1,
                               exception_minutes=0, trigger="schedule", queue="default", project_dir=str(root))
    (root / "robots.yaml").write_text("robots:\n  two:\n    manual_minutes: many\n", encoding="utf-8")  # a typo
    last_try = start_run.message_with_options(args=(run_id, str(root)), retries=start_run.options["max_retries"])
    embedded.enqueue(last_try.copy(queue_name=queue_name(None)))
    submit.embedded_worker(1)
    deadline = time.monotonic() + 15
    while ledger.get_run(run_id)["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
    run = ledger.get_run(run_id)
    assert run["status"] == "failed", "the run stayed queued: its schedule's `overlap: skip` would skip for ever"
    assert "gave up after" in run["error"] and "robots.yaml:3" in run["error"]
