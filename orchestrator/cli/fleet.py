"""retake worker | status | cancel | rerun: the fleet of workers and the runs they carry."""

from __future__ import annotations

from typing import Optional

import typer

from orchestrator.cli import app
from orchestrator.cli.common import (EXIT_FAILED, EXIT_INVALID, EXIT_OK, JsonOption, ProjectOption, dump_json,
                                     fail, find_run, iso, load, run_record)


@app.command()
def worker(
    processes: int = typer.Option(2, "--processes", "-P", min=1, help="Worker processes to run and keep alive."),
    threads: int = typer.Option(8, "--threads", "-t", min=1, help="Threads per process."),
    queues: list[str] = typer.Option([], "--queues", "-Q",
                                     help="Queues to serve (repeat or comma-separate); default: every robot's."),
    project: Optional[str] = ProjectOption,
) -> None:
    """Consume runs from the broker (RETAKE_BROKER_URL): N processes, each restarted if it dies."""
    from orchestrator import logs
    from orchestrator.broker import broker_url
    from orchestrator.supervisor import run_supervisor

    logs.configure()
    if not broker_url():
        fail("retake worker needs a broker: set RETAKE_BROKER_URL=redis://HOST:6379/0 or "
             "amqp://USER:PASS@HOST:5672/ (without one, `retake run` works in-process)", EXIT_INVALID)
    if project:
        load(project)  # a broken project is reported now, not by every child
    names = [q.strip() for item in queues for q in item.split(",") if q.strip()] or None
    raise typer.Exit(run_supervisor(processes=processes, threads=threads, queues=names, project=project))


@app.command()
def status(json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """Queues and their depth, workers seen recently, runs queued or in progress."""
    from orchestrator import projects
    from orchestrator.broker import broker_kind, queue_depths
    from orchestrator.ledger.store_fleet import STALE_AFTER_S

    loaded = load(project, ledger_only=True)
    ledger = projects.ledger_for(loaded)
    names = sorted({"default", *(r.queue for r in loaded.spec.robots.values())})
    depths = queue_depths(names)
    workers = ledger.workers_seen(within_s=300)
    runs = ledger.list_runs(status=["queued", "running"], limit=100)
    counts = {r["id"]: ledger.item_counts(r["id"]) for r in runs}
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    data = {
        "broker": broker_kind(),
        "queues": [{"name": n, "depth": depths[n]} for n in names],
        "workers": [{"name": w["name"], "host": w["host"], "pid": w["pid"], "queues": w["queues"],
                     "threads": w["threads"], "broker": w["broker"], "items_done": w["items_done"],
                     "last_seen": iso(w["last_seen"]), "started_at": iso(w["started_at"]),
                     "alive": w["status"] == "running" and _age(now, w["last_seen"]) < STALE_AFTER_S}
                    for w in workers],
        "runs": [{**run_record(r), "queue": r["queue"], "items_running": counts[r["id"]].get("running", 0),
                  "items_pending": counts[r["id"]].get("pending", 0)} for r in runs],
        "slots": [{"pool": s["pool"], "slot": s["slot"], "holder": s["holder"], "run_id": s["run_id"]}
                  for s in ledger.slots_held()],
    }
    if json_:
        dump_json(data)
        return
    from rich.table import Table

    from orchestrator.cli.common import console

    out = console()
    out.print(f"broker: [bold]{data['broker']}[/]")
    table = Table("queue", "depth", title="Queues")
    for q in data["queues"]:
        table.add_row(q["name"], "?" if q["depth"] is None else str(q["depth"]))
    out.print(table)
    table = Table("worker", "broker", "queues", "threads", "items done", "last seen", "state",
                  title="Workers (last 5 min)")
    for w in data["workers"]:  # the ledger may be shared by workers of another broker: each says its own
        table.add_row(w["name"], w["broker"], ",".join(w["queues"]), str(w["threads"]), str(w["items_done"]),
                      str(w["last_seen"]), "alive" if w["alive"] else "gone")
    out.print(table)
    from rich import box

    table = Table(title="Runs in progress", box=box.SIMPLE_HEAD)  # the whole run id, even at 80 columns
    table.add_column("run", no_wrap=True, min_width=max((len(r["run_id"]) for r in data["runs"]), default=3))
    table.add_column("robot", overflow="fold", min_width=10)
    table.add_column("queue", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("done", no_wrap=True)
    wide = out.width >= 100
    if wide:
        table.add_column("running", no_wrap=True)
        table.add_column("failed", no_wrap=True)
    for r in data["runs"]:
        items = r["items"]
        done = items["succeeded"] + items["failed"] + items["cancelled"]
        table.add_row(r["run_id"], r["robot"], r["queue"], r["status"], f"{done}/{items['total']}",
                      *([str(r["items_running"]), str(items["failed"])] if wide else []))
    out.print(table)


def _age(now, then) -> float:  # noqa: ANN001
    from orchestrator.ledger.rows import aware

    return (now - aware(then)).total_seconds()


@app.command()
def cancel(run_id: str = typer.Argument(..., help="The run (or a unique start of its id)."),
           json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """Stop a queued or running run: its unfinished items are marked cancelled; the item being worked
    stops at its next step."""
    from orchestrator import events, projects
    from orchestrator.cancel import stop

    loaded = load(project, ledger_only=True)
    ledger = projects.ledger_for(loaded)
    run = find_run(ledger, run_id, EXIT_INVALID)
    closed = stop(ledger, run["id"], reason="cancelled by the user")
    if closed is None:
        fail(f"run {run['id']} has already ended ({run['status']}): nothing to cancel", EXIT_FAILED)
    events.run_finished(loaded, closed)
    if json_:
        dump_json(run_record(closed))
    else:
        print(f"cancelled run {closed['id']}: {closed['items_cancelled']} item(s) cancelled, "
              f"{closed['items_succeeded']} had succeeded, {closed['items_failed']} had failed")
    raise typer.Exit(EXIT_OK)


@app.command()
def rerun(run_id: str = typer.Argument(..., help="The run whose failed items to run again."),
          cancelled: bool = typer.Option(False, "--cancelled", help="Also the items that were cancelled."),
          reread: bool = typer.Option(False, "--reread", help="Take the items' data from their source as it "
                                      "reads now (a corrected sheet), matched by key."),
          detach: bool = typer.Option(False, "--detach", "-d", help="Queue the new run, print its id, do not wait."),
          json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """Run again only the items that failed, as a new run linked to the original (same inputs)."""
    from orchestrator import logs, projects
    from orchestrator.broker import is_embedded
    from orchestrator.errors import RetakeError
    from orchestrator.submit import rerun as queue_rerun
    from orchestrator.submit import wait_embedded, wait_for

    loaded = load(project)
    logs.configure("WARNING" if not json_ else None)
    ledger = projects.ledger_for(loaded)
    parent = find_run(ledger, run_id, EXIT_INVALID)
    if parent["status"] in ("queued", "running"):
        fail(f"run {parent['id']} is still {parent['status']}: wait for it or `retake cancel` it first")
    try:
        new_id = queue_rerun(loaded, parent["id"], include_cancelled=cancelled, reread=reread)
    except RetakeError as exc:
        fail(f"cannot read the items of run {parent['id']} again: {exc}", EXIT_INVALID)
    if new_id is None:
        what = "failed or cancelled" if cancelled else "failed"
        fail(f"run {parent['id']} has no {what} item: nothing to run again", EXIT_FAILED)
    if detach:
        print(new_id)
        raise typer.Exit(EXIT_OK)
    robot = loaded.spec.robots.get(parent["robot"])
    if is_embedded():
        record = wait_embedded(loaded, new_id, threads=robot.concurrency if robot else None)
    else:
        record = wait_for(ledger, new_id, poll=0.25)
    if json_:
        dump_json(run_record(record))
    else:
        print(f"rerun {record['id']} of {parent['id']}: {record['status']} - {record['items_succeeded']}/"
              f"{record['items_total']} item(s) succeeded, {record['items_failed']} failed")
    raise typer.Exit(EXIT_OK if record["status"] == "succeeded" else EXIT_FAILED)
