"""retake scheduler | schedules."""

from __future__ import annotations

from typing import Any

import typer

from orchestrator.cli import app
from orchestrator.cli.common import (EXIT_FAILED, EXIT_OK, JsonOption, ProjectOption, dump_json, fail, iso,
                                     load)


@app.command()
def scheduler(
    project: str | None = ProjectOption,
    threads: int = typer.Option(2, "--threads", help="Worker threads for runs on the embedded default."),
    name: str | None = typer.Option(None, "--name", help="This scheduler's name in the ledger "
                                       "(default HOST:PID)."),
    once: bool = typer.Option(False, "--once", help="Fire what is due now, wait for those runs, and exit."),
    drain: float = typer.Option(60.0, "--drain", help="On stop, seconds to let runs started here finish "
                                "(embedded default only)."),
) -> None:
    """Fire schedules until stopped (Ctrl-C or SIGTERM); each slot fires once even with several schedulers.

    With RETAKE_BROKER_URL set, runs go to the queue for workers; without it they run in this process.
    """
    import signal
    import threading

    from loguru import logger

    from orchestrator import logs
    from orchestrator.broker import is_embedded
    from orchestrator.scheduling.scheduler import Scheduler

    loaded = load(project)
    logs.configure()
    embedded = is_embedded()
    if embedded:
        import orchestrator.queue  # noqa: F401 - declares the actors the worker consumes
        from orchestrator.submit import embedded_worker

        embedded_worker(max(1, threads))
    sched = Scheduler(loaded.root, name=name)
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise SystemExit(130)
        logger.info(f"{signal.Signals(signum).name}: stopping after this pass (again to quit at once)")
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    where = "the embedded worker in this process" if embedded else "the broker's queue"
    logger.info(f"scheduler: {len(loaded.spec.schedules)} schedule(s) of {loaded.root}; runs go to {where}")
    firings = []
    if once:
        firings = sched.tick()
        for firing in firings:
            print(f"{firing.schedule}\t{iso(firing.slot)}\t{firing.status}\t{firing.run_id or '-'}\t"
                  f"{firing.reason or ''}")
    else:
        sched.run(stop)
    if embedded:
        _drain(loaded, sched.started_runs, None if once else drain)
    # --once from a system timer: exit 1 when a slot could not start its run, or (embedded) a run it waited
    # for did not succeed, so that the timer's OnFailure= sees it
    raise typer.Exit(EXIT_FAILED if once and _any_failed(loaded, firings, embedded) else EXIT_OK)


def _any_failed(loaded: Any, firings: list[Any], embedded: bool) -> bool:
    from orchestrator import projects

    if any(f.status == "failed" for f in firings):
        return True
    ledger = projects.ledger_for(loaded)
    ended = [ledger.get_run(f.run_id) for f in firings if embedded and f.run_id]
    return any(run is not None and run["status"] not in ("succeeded", "queued", "running") for run in ended)


def _drain(loaded: Any, run_ids: list[str], timeout: float | None) -> None:
    """Let the runs this process started finish; close the ones still open after `timeout`."""
    import time

    from loguru import logger

    from orchestrator import projects
    from orchestrator.states import RunStatus
    from orchestrator.submit import stop_embedded_worker

    ledger = projects.ledger_for(loaded)
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = list(run_ids)
    while pending and (deadline is None or time.monotonic() < deadline):
        pending = [r for r in pending if not RunStatus(ledger.get_run(r)["status"]).finished]
        if pending:
            time.sleep(0.1)
    for run_id in pending:
        if ledger.fail_run(run_id, "the scheduler stopped before this run finished (embedded default: "
                                   "use RETAKE_BROKER_URL and workers for runs that outlive it)"):
            logger.warning(f"run {run_id} closed as failed: the scheduler stopped")
    stop_embedded_worker()


@app.command()
def schedules(
    project: str | None = ProjectOption,
    next_: int = typer.Option(5, "--next", "-n", min=0, help="How many next firings to list per schedule."),
    from_: str | None = typer.Option(None, "--from", help="Start from this date or date-time (ISO; "
                                        "without an offset, in the project's zone). Default: now."),
    history: int = typer.Option(0, "--history", min=0, help="Also list each schedule's last N firings from "
                                "the ledger."),
    json_: bool = JsonOption,
) -> None:
    """Each schedule's next firings, and the dates it skips with the reason (weekend, holiday, closed)."""
    from zoneinfo import ZoneInfo

    from orchestrator.scheduling.preview import parse_from, upcoming

    loaded = load(project)
    try:
        start = parse_from(from_, ZoneInfo(loaded.spec.timezone))
    except ValueError:
        fail(f"--from {from_!r}: give a date or date-time such as 2026-09-21 or 2026-09-21T08:00")
    records = [upcoming(loaded, name, sched, start=start, count=next_)
               for name, sched in loaded.spec.schedules.items()]
    if history:
        from orchestrator import projects
        from orchestrator.scheduling.claims import Claims

        claims = Claims(projects.ledger_for(loaded).engine, project=loaded.spec.project, scheduler="-")
        for record in records:  # slots in the schedule's own zone, as its next firings
            zone = ZoneInfo(record["timezone"])
            name = record["schedule"]
            past = (claims.file_history(name, limit=history) if loaded.spec.schedules[name].on is not None
                    else claims.history(name, limit=history))  # a file trigger: the files it handled
            record["history"] = [{"slot": _local(f["slot"], zone), "status": f["status"], "run_id": f["run_id"],
                                  "reason": f["reason"], "scheduler": f["scheduler"],
                                  **({"file": f["file"]} if "file" in f else {})} for f in past]
    if json_:
        dump_json(records)
        raise typer.Exit(EXIT_OK)
    if not records:
        print("no schedules: add a `schedules:` section to robots.yaml or a file in schedules/")
    for record in records:
        _print(record)
    raise typer.Exit(EXIT_OK)


def _local(slot: Any, zone: Any) -> str:
    """A ledger slot (UTC) as ISO 8601 in `zone`."""
    import datetime as dt

    if slot.tzinfo is None:
        slot = slot.replace(tzinfo=dt.UTC)
    return slot.astimezone(zone).isoformat()


def _print(record: dict[str, Any]) -> None:
    import datetime as dt

    state = "" if record["enabled"] else "  [disabled]"
    print(f"{record['schedule']}: robot {record['robot']}, {record['when']}, {record['timezone']}, "
          f"misfire {record['misfire']}, overlap {record['overlap']}{state}")
    lines = [(n["at"], f"  next  {n['weekday']} {n['at'][:16].replace('T', ' ')} {n['at'][19:]}")
             for n in record["next"]]
    for s in record["skipped"]:
        slots = f" ({s['slots']} slots)" if s["slots"] > 1 else ""
        lines.append((s["first"], f"  skip  {s['weekday']} {s['date']}{slots}: {s['reason']}"))
    for _, line in sorted(lines):
        print(line)
    if not record["next"] and record["when"].startswith(("cron", "every")):
        print("  no open slot found ahead: check the calendar and cron fields")
    for h in record.get("history", []):
        when = dt.datetime.fromisoformat(h["slot"])
        print(f"  past  {when:%a %Y-%m-%d %H:%M} {h['slot'][19:]}" + (f" {h['file']}" if "file" in h else "")
              + f" {h['status']}" + (f" run {h['run_id']}" if h["run_id"] else "")
              + (f": {h['reason']}" if h["reason"] else ""))
