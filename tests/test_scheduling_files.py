"""The file trigger: runs for new files once they are complete, each file once, across restarts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from orchestrator import projects
from orchestrator.loader import load_project
from orchestrator.scheduling.clock import FakeClock, SystemClock
from orchestrator.scheduling.scheduler import Scheduler

START = dt.datetime(2026, 9, 21, 9, 0, tzinfo=dt.UTC)

PROJECT = """
robots:
  intake:
    inputs:
      file: {type: path}
    steps:
      - log: "reading {{ inputs.file }}"
  batch_intake:
    inputs:
      files: {type: list, default: []}
    steps:
      - log: "{{ inputs.files | length }} files"
schedules:
  inbox:
    robot: intake
    on: {files: "inbox/*.pdf", poll: 5s}
"""


def test_a_file_written_in_pieces_starts_one_run_only_once_it_stopped_changing(embedded, make_project):
    root = make_project(PROJECT)
    (root / "inbox").mkdir()
    clock = FakeClock(START)
    sched = Scheduler(load_project(root), clock=clock)
    pdf = root / "inbox" / "a.pdf"
    with pdf.open("wb") as out:
        out.write(b"%PDF-1.4 part one")
        out.flush()
        assert sched.tick() == []                      # first look: nothing to compare with yet
        clock.advance(5)
        out.write(b" part two")
        out.flush()
        assert sched.tick() == []                      # it grew since the first look: still being written
        clock.advance(5)
        out.write(b" part three")
        out.flush()
        assert sched.tick() == []
    clock.advance(2)
    assert sched.tick() == []                          # not time to look again yet
    clock.advance(3)
    done = sched.tick()                                # unchanged since the last look: complete
    assert [(f.status, f.files) for f in done] == [("fired", ("inbox/a.pdf",))]
    run = projects.ledger_for(sched.loaded).get_run(done[0].run_id)
    assert run["inputs"] == {"file": "inbox/a.pdf"} and run["trigger"] == "schedule"
    for _ in range(3):
        clock.advance(5)
        assert sched.tick() == []                      # handled once
    (root / "inbox" / "notes.txt").write_text("not a pdf")
    (root / "inbox" / "b.pdf").write_bytes(b"%PDF-1.4 b")
    clock.advance(5)
    assert sched.tick() == []
    clock.advance(5)
    assert [f.files for f in sched.tick()] == [("inbox/b.pdf",)]
    from typer.testing import CliRunner

    from orchestrator.cli import _register, app

    _register()
    shown = CliRunner().invoke(app, ["schedules", "--history", "5", "--project", str(root)])
    past = [line.split() for line in shown.stdout.splitlines() if line.strip().startswith("past")]
    assert [(words[5], words[6]) for words in past] == [("inbox/b.pdf", "fired"), ("inbox/a.pdf", "fired")], \
        shown.stdout  # the files a file trigger handled, newest first


def test_a_restarted_or_second_scheduler_does_not_handle_a_file_again(embedded, make_project):
    root = make_project(PROJECT)
    (root / "inbox").mkdir()
    (root / "inbox" / "a.pdf").write_bytes(b"%PDF-1.4 a")
    clock = FakeClock(START)
    first = Scheduler(load_project(root), clock=clock, name="one")
    second = Scheduler(load_project(root), clock=clock, name="two")
    fired = []
    for _ in range(3):
        fired += first.tick() + second.tick()
        clock.advance(5)
    assert len(fired) == 1
    restarted = Scheduler(load_project(root), clock=clock, name="three")
    assert restarted.tick() + (clock.advance(5) and restarted.tick()) == []
    # the same name with new content is a new file
    (root / "inbox" / "a.pdf").write_bytes(b"%PDF-1.4 a, second edition")
    clock.advance(5)
    assert restarted.tick() == []                      # changed since the last look
    clock.advance(5)
    assert [f.files for f in restarted.tick()] == [("inbox/a.pdf",)]


def test_a_batch_trigger_passes_all_new_files_to_one_run(embedded, make_project):
    root = make_project(PROJECT + """
  inbox_batch:
    robot: batch_intake
    on: {files: ["drop/*.csv", "drop/*.xlsx"], batch: true, poll: 1s}
""")
    (root / "drop").mkdir()
    for name in ("1.csv", "2.csv", "3.xlsx"):
        (root / "drop" / name).write_text(name)
    clock = FakeClock(START)
    sched = Scheduler(load_project(root), clock=clock)
    sched.tick()
    clock.advance(5)
    done = [f for f in sched.tick() if f.schedule == "inbox_batch"]
    assert len(done) == 1 and sorted(done[0].files) == ["drop/1.csv", "drop/2.csv", "drop/3.xlsx"]
    run = projects.ledger_for(sched.loaded).get_run(done[0].run_id)
    assert sorted(run["inputs"]["files"]) == ["drop/1.csv", "drop/2.csv", "drop/3.xlsx"]


def test_files_written_slowly_in_real_time_start_runs_with_the_complete_file(embedded, make_project):
    """A writer appends every 0.15 s for about a second while the scheduler looks every 0.3 s."""
    root = make_project(PROJECT.replace("poll: 5s", "poll: 300ms"))
    inbox = root / "inbox"
    inbox.mkdir()
    seen: list[tuple[str, int]] = []

    def launcher(loaded, robot, inputs, run_id=None):
        seen.append((inputs["file"], (root / inputs["file"]).stat().st_size))
        from orchestrator.submit import submit

        return submit(loaded, robot, inputs, trigger="schedule", run_id=run_id)

    sched = Scheduler(load_project(root), clock=SystemClock(), launcher=launcher, max_sleep=0.1)
    stop = threading.Event()
    loop = threading.Thread(target=sched.run, args=(stop,))
    loop.start()

    def write_slowly(path: Path, chunks: int) -> None:
        with path.open("wb") as out:
            for i in range(chunks):
                out.write(b"x" * 1000)
                out.flush()
                time.sleep(0.15)

    try:
        writers = [threading.Thread(target=write_slowly, args=(inbox / f"{n}.pdf", 7)) for n in ("a", "b")]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.8)  # a few more looks: nothing is handled twice
    finally:
        stop.set()
        loop.join(5)
    assert sorted(seen) == [("inbox/a.pdf", 7000), ("inbox/b.pdf", 7000)]
