"""Running robots on the embedded default: items, business vs application failures, retries, time limits."""

from __future__ import annotations

import threading

import pytest
from pydantic import BaseModel

from orchestrator import projects
from orchestrator.actions import action
from orchestrator.errors import ApplicationError
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded

_calls: dict[str, int] = {}
_lock = threading.Lock()


class FlakyArgs(BaseModel):
    name: str
    failures: int = 0


@action("test.flaky", args=FlakyArgs)
def flaky(ctx, args: FlakyArgs) -> int:
    """Fails with an application error `failures` times, then succeeds (a test double of a slow page)."""
    with _lock:
        _calls[args.name] = _calls.get(args.name, 0) + 1
        count = _calls[args.name]
    if count <= args.failures:
        raise ApplicationError(f"{args.name}: the page did not load (call {count})")
    return count


@action("test.crash", args=FlakyArgs)
def crash(ctx, args: FlakyArgs) -> None:
    """Raises a plain Python exception: an application failure."""
    with _lock:
        _calls[args.name] = _calls.get(args.name, 0) + 1
    raise KeyError("unexpected")


def run(root, robot, **inputs):
    loaded = load_project(root)
    record = run_embedded(loaded, robot, inputs)
    ledger = projects.ledger_for(loaded)
    return record, ledger.run_items(record["id"]), ledger


@pytest.fixture(autouse=True)
def _reset_calls():
    _calls.clear()


def test_an_application_failure_is_retried_until_it_succeeds(make_project, embedded):
    root = make_project("""\
        robots:
          flaky:
            steps:
              - test.flaky: {name: a, failures: 2}
        """)
    record, items, ledger = run(root, "flaky")
    assert record["status"] == "succeeded"
    assert _calls["a"] == 3
    tries = ledger.attempts_for(record["id"])
    assert [(t["number"], t["status"], t["error_kind"]) for t in tries] == [
        (1, "failed", "application"), (2, "failed", "application"), (3, "succeeded", None)]


def test_retries_run_out_and_the_item_fails_with_its_last_error(make_project, embedded):
    root = make_project("""\
        robots:
          hopeless:
            retry: {attempts: 4, backoff: 0s}
            steps:
              - test.crash: {name: b}
        """)
    record, items, _ = run(root, "hopeless")
    assert record["status"] == "failed"
    assert _calls["b"] == 4
    assert items[0]["error_kind"] == "application"
    assert "unexpected" in items[0]["error_message"]
    assert items[0]["error_step"] == "test.crash"


def test_a_business_failure_is_never_retried(make_project, embedded):
    root = make_project("""\
        robots:
          strict:
            steps:
              - test.flaky: {name: c}
              - fail: "PO number missing"
        """)
    record, items, ledger = run(root, "strict")
    assert record["status"] == "failed"
    assert items[0]["error_kind"] == "business"
    assert items[0]["error_message"] == "PO number missing"
    assert len([t for t in ledger.attempts_for(record["id"]) if t["step"] == "fail"]) == 1


def test_a_step_past_its_time_limit_fails_with_a_timeout(make_project, embedded):
    root = make_project("""\
        robots:
          slow:
            steps:
              - sleep: 5s
                timeout: 200ms
                retry: {attempts: 2, backoff: 0s}
        """)
    record, items, ledger = run(root, "slow")
    assert record["status"] == "failed"
    assert items[0]["error_kind"] == "timeout"
    assert "time limit of 0.2s" in items[0]["error_message"]
    assert items[0]["duration_s"] < 2
    assert len(ledger.attempts_for(record["id"])) == 2


def test_continue_on_error_and_conditions(make_project, embedded):
    root = make_project("""\
        robots:
          lenient:
            inputs: {mode: {default: quick}}
            steps:
              - test.crash: {name: d}
                continue_on_error: true
                retry: {attempts: 1}
              - if: "{{ inputs.mode == 'slow' }}"
                fail: never reached
              - id: last
                set: {done: yes}
        """)
    record, items, _ = run(root, "lenient")
    assert record["status"] == "succeeded"
    assert items[0]["output"] == {"done": True}


def test_a_hundred_items_some_failing_are_recorded_exactly(make_project, embedded):
    root = make_project("""\
        robots:
          batch:
            manual_minutes: 3
            exception_minutes: 10
            items: "{{ range(100) | list }}"
            steps:
              - if: "{{ item % 7 == 0 }}"
                fail: "item {{ item }} is a multiple of seven"
              - id: double
                set: {value: "{{ item * 2 }}"}
            on_failure:
              - files.write: {path: "failed/{{ item }}.txt", content: "{{ error.message }}"}
        """)
    record, items, _ = run(root, "batch")
    failing = {i for i in range(100) if i % 7 == 0}
    assert record["status"] == "partial"
    assert (record["items_total"], record["items_succeeded"], record["items_failed"]) == (100, 85, 15)
    assert [it["idx"] for it in items] == list(range(100))
    assert {it["idx"] for it in items if it["status"] == "failed"} == failing
    assert all(it["status"] == "succeeded" and it["output"] == {"value": it["idx"] * 2}
               for it in items if it["idx"] not in failing)
    assert all(it["error_message"] == f"item {it['idx']} is a multiple of seven"
               for it in items if it["idx"] in failing)
    assert sorted(p.name for p in (root / "failed").iterdir()) == sorted(f"{i}.txt" for i in failing)
    assert (root / "failed" / "14.txt").read_text() == "item 14 is a multiple of seven"


def test_files_actions_move_items_one_by_one(make_project, embedded):
    root = make_project("""\
        robots:
          sorter:
            items: "{{ files('inbox', '*.txt') }}"
            steps:
              - if: "{{ 'bad' in item }}"
                fail: "{{ item }} is bad"
              - id: moved
                files.move: {src: "{{ item }}", dest: done/}
            on_failure:
              - files.move: {src: "{{ item }}", dest: rejected/}
        """, files={"inbox/a.txt": "a", "inbox/b.txt": "b", "inbox/bad.txt": "x", "inbox/skip.csv": "c"})
    record, items, _ = run(root, "sorter")
    assert [it["key"] for it in items] == ["inbox/a.txt", "inbox/b.txt", "inbox/bad.txt"]
    assert sorted(p.name for p in (root / "done").iterdir()) == ["a.txt", "b.txt"]
    assert [p.name for p in (root / "rejected").iterdir()] == ["bad.txt"]
    assert [p.name for p in (root / "inbox").iterdir()] == ["skip.csv"]


def test_bad_inputs_stop_the_run_before_it_starts(make_project, embedded):
    from orchestrator.errors import InputError

    root = make_project("""\
        robots:
          typed:
            inputs:
              count: {type: integer, required: true}
            steps: [{log: "{{ inputs.count + 1 }}"}]
        """)
    with pytest.raises(InputError, match="needs input 'count'"):
        run(root, "typed")
    with pytest.raises(InputError, match="should be a integer"):
        run(root, "typed", count="many")
    record, _, _ = run(root, "typed", count="41")
    assert record["status"] == "succeeded" and record["inputs"] == {"count": 41}


def test_a_rerun_does_not_repeat_the_effect_steps_its_items_had_passed(embedded, make_project):
    from orchestrator.submit import rerun, wait_embedded

    root = make_project("""
robots:
  post:
    items: [a, b, c]
    steps:
      - effect: true
        files.write: {path: "out/sent.txt", content: "{{ item }}\\n", append: true}
      - if: "{{ ('flags/' ~ item) in files('flags') }}"
        fail: "{{ item }} is held"
""")
    (root / "flags").mkdir()
    (root / "flags" / "b").write_text("")
    loaded = load_project(root)
    first = run_embedded(loaded, "post", {})
    assert first["status"] == "partial" and first["items_failed"] == 1
    (root / "flags" / "b").unlink()
    second = wait_embedded(loaded, rerun(loaded, first["id"]))
    assert second["status"] == "succeeded" and second["items_total"] == 1
    assert (root / "out" / "sent.txt").read_text().split() == ["a", "b", "c"]  # b was sent once


def test_a_rerun_does_a_step_again_that_the_robot_now_says_has_no_effect(embedded, make_project):
    """A checkpoint kept a bad answer (a login's expired token): the robot marks the step `effect: false`,
    and the rerun does it again instead of reusing what was recorded."""
    from orchestrator.submit import rerun, wait_embedded

    robot = """
robots:
  post:
    items: [a]
    steps:
      - id: token
        effect: __EFFECT__
        files.write: {path: "out/token.txt", content: "token {{ files('out') | length }}"}
      - if: "{{ ('flags/' ~ item) in files('flags') }}"
        fail: "{{ item }} is held"
      - set: {used: "{{ steps.token }}"}
"""
    root = make_project(robot.replace("__EFFECT__", "true"))
    (root / "out").mkdir()
    (root / "flags").mkdir()
    (root / "flags" / "a").write_text("")
    first = run_embedded(load_project(root), "post", {})
    assert first["status"] == "failed"
    (root / "flags" / "a").unlink()
    (root / "robots.yaml").write_text((root / "robots.yaml").read_text().replace("effect: true", "effect: false"))
    loaded = load_project(root)
    second = wait_embedded(loaded, rerun(loaded, first["id"]))
    assert second["status"] == "succeeded"
    assert (root / "out" / "token.txt").read_text() == "token 1"  # written again (with one file there before)


def test_a_fail_with_retry_starts_the_item_again_from_its_first_step(embedded, make_project):
    """A page that shows a system error after a save: an application failure, so the item is done again."""
    root = make_project("""
robots:
  save:
    retry: {attempts: 3, backoff: 0s}
    items: [flaky, broken]
    steps:
      - effect: false  # the save: done again when the page says it did not go through
        files.write: {path: "out/{{ item }}/{{ files('out/' ~ item) | length }}.txt", content: "try {{ attempt }}"}
      - if: "{{ item == 'broken' or files('out/' ~ item) | length < 2 }}"
        fail: {message: "the ERP answered a system error", retry: true}
""")
    for item in ("flaky", "broken"):
        (root / "out" / item).mkdir(parents=True)
    record, items, ledger = run(root, "save")
    assert record["status"] == "partial"
    flaky, broken = sorted(items, key=lambda i: i["key"], reverse=True)
    assert flaky["status"] == "succeeded" and len(list((root / "out" / "flaky").iterdir())) == 2
    assert broken["status"] == "failed" and broken["error_kind"] == "application"
    assert broken["error_message"] == "the ERP answered a system error"
    assert len(list((root / "out" / "broken").iterdir())) == 3  # every attempt from the first step
    assert [(root / "out" / "broken" / f"{n}.txt").read_text() for n in range(3)] == ["try 1", "try 2", "try 3"]
    tries = [(a["step"], a["number"], a["status"]) for a in ledger.attempts_for(record["id"])
             if a["item_id"] == broken["id"]]
    assert [t for t in tries if t[0] == "fail"] == [("fail", n, "failed") for n in (1, 2, 3)], tries


def test_items_sharing_a_key_are_worked_and_the_run_says_which_keys_repeat(embedded, make_project) -> None:
    from robot_support import run

    root = make_project("""
robots:
  orders:
    items: [{id: A1, n: 1}, {id: A2, n: 2}, {id: A1, n: 3}]
    steps: [{set: {n: "{{ item.n }}"}}]
""")
    record, items, _, log = run(root, "orders")
    assert record["status"] == "succeeded" and [i["key"] for i in items] == ["A1", "A2", "A1"]
    assert "1 item key(s) belong to more than one item (A1)" in log and "item_key:" in log


def test_a_step_s_name_labels_it_in_the_ledger_even_beside_an_id(embedded, make_project):
    root = make_project("""
robots:
  check:
    items: [a]
    steps:
      - {id: amount, name: Amount check, fail: "amount missing"}
""")
    record, items, _ = run(root, "check")
    assert items[0]["error_step"] == "Amount check"
