"""retake runs [show RUN_ID]."""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.markup import escape

from orchestrator.cli import app
from orchestrator.cli.common import (
    JsonOption,
    ProjectOption,
    dump_json,
    fail,
    find_run,
    iso,
    load,
    run_record,
)

runs_app = typer.Typer(help="The runs in the ledger, newest first; `retake runs show RUN_ID` for one run.",
                       no_args_is_help=False, invoke_without_command=True)
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs(ctx: typer.Context,
         robot: Optional[str] = typer.Option(None, "--robot", "-r", help="Only this robot's runs."),
         status: Optional[str] = typer.Option(None, "--status", "-s",
                                              help="queued, running, succeeded, partial, failed or cancelled."),
         limit: int = typer.Option(20, "--limit", "-n", help="How many runs at most."),
         json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """The runs in the ledger, newest first."""
    if ctx.invoked_subcommand:
        return
    from orchestrator.states import RunStatus

    if status and status not in {s.value for s in RunStatus}:
        fail(f"--status {status!r}: use one of {', '.join(s.value for s in RunStatus)}")
    loaded = load(project, ledger_only=True)
    from orchestrator import projects

    rows = projects.ledger_for(loaded).list_runs(robot=robot, status=status, limit=limit)
    if json_:
        dump_json([run_record(r) for r in rows])
        return
    print_runs(rows, loaded.spec.timezone)


def print_runs(rows: list[dict[str, Any]], timezone: str = "UTC", title: str = "Runs") -> None:
    """The runs as a table, times in the project's zone. Ids are never cut: below 110 columns (a pipe is
    80) the table drops the failed count (`partial` says some failed), the trigger and the seconds."""
    from rich import box
    from rich.table import Table

    from orchestrator.cli.common import console
    from orchestrator.durations import format_duration

    out = console()
    wide = out.width >= 110
    # narrow (a pipe is 80 columns): one space between columns, so that a robot's name keeps its line
    table = Table(title=f"{title} (times in {timezone})", box=box.SIMPLE_HEAD if not wide else box.HEAVY_HEAD,
                  pad_edge=wide, collapse_padding=not wide)
    table.add_column("run", no_wrap=True, min_width=max((len(r["id"]) for r in rows), default=3))
    table.add_column("robot", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("items ok/total" if wide else "ok/all", no_wrap=True)
    if wide:
        table.add_column("failed")
    table.add_column("started", no_wrap=True)
    table.add_column("duration" if wide else "took", no_wrap=True)
    if wide:
        table.add_column("trigger")
    colours = {"succeeded": "green", "partial": "yellow", "failed": "red", "running": "cyan"}
    for r in rows:
        started = local_time(r["started_at"] or r["queued_at"], timezone)
        cells = [r["id"], escape(r["robot"]), f"[{colours.get(r['status'], 'white')}]{r['status']}[/]",
                 f"{r['items_succeeded']}/{r['items_total']}"]
        if wide:
            cells.append(str(r["items_failed"]))
        cells.append(started.strftime("%Y-%m-%d %H:%M:%S" if wide else "%m-%d %H:%M") if started else "-")
        cells.append(format_duration(r["duration_s"]) if r["duration_s"] is not None else "-")
        if wide:
            cells.append(r["trigger"])
        table.add_row(*cells)
    out.print(table)


def local_time(value: Any, timezone: str) -> Any:
    """A ledger time (UTC; SQLite gives it back without a zone) in `timezone`, or None."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(timezone))


@runs_app.command("show")
def show(run_id: str = typer.Argument(..., help="The run id (or a unique start of it)."),
         json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """One run with its items, attempts, errors (kind, message, step) and artifacts."""
    from orchestrator import projects

    loaded = load(project, ledger_only=True)
    ledger = projects.ledger_for(loaded)
    run = find_run(ledger, run_id)
    detail = run_detail(ledger, run)
    if json_:
        dump_json(detail)
        return
    _print_detail(detail)


def run_detail(ledger: Any, run: dict[str, Any]) -> dict[str, Any]:
    """The run record with its items, each with its attempts and artifacts."""
    attempts: dict[int, list[dict[str, Any]]] = {}
    for a in ledger.attempts_for(run["id"]):
        attempts.setdefault(a["item_id"], []).append(
            {"step": a["step"], "number": a["number"], "status": a["status"], "error_kind": a["error_kind"],
             "error_message": a["error_message"], "started_at": iso(a["started_at"]),
             "duration_s": a["duration_s"]})
    evidence: dict[Any, list[dict[str, Any]]] = {}
    for art in ledger.artifacts_for(run["id"]):
        evidence.setdefault(art["item_id"], []).append({"kind": art["kind"], "path": art["path"],
                                                        "step": art["step"]})
    items = []
    for it in ledger.run_items(run["id"]):
        error = None
        if it["error_kind"]:
            error = {"kind": it["error_kind"], "message": it["error_message"], "step": it["error_step"]}
        items.append({"index": it["idx"], "key": it["key"], "status": it["status"], "deliveries": it["attempts"],
                      "started_at": iso(it["started_at"]), "finished_at": iso(it["finished_at"]),
                      "duration_s": it["duration_s"], "error": error, "output": it["output"],
                      "attempts": attempts.get(it["id"], []), "artifacts": evidence.get(it["id"], [])})
    return {**run_record(run), "items_detail": items, "artifacts": evidence.get(None, []),
            "log": f".retake/runs/{run['id']}/log.jsonl"}


def _print_detail(detail: dict[str, Any]) -> None:
    from orchestrator.cli.common import console

    out = console()
    items = detail["items"]
    out.print(f"[bold]{detail['robot']}[/] run [cyan]{detail['run_id']}[/]: {detail['status']}  "
              f"items {items['succeeded']} ok, {items['failed']} failed, {items['cancelled']} cancelled "
              f"of {items['total']}; inputs {detail['inputs']}")
    if detail["error"]:
        out.print(f"[red]run error:[/] {detail['error']}")
    if detail["parent_run_id"]:
        out.print(f"rerun of {detail['parent_run_id']}")
    if out.width >= 110:
        _print_items_table(out, detail["items_detail"])
    else:
        _print_items_lines(out, detail["items_detail"])
    out.print(f"log: {detail['log']}")


def _print_items_table(out: Any, items: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table()
    for column in ("#", "item", "status", "error kind", "step", "message", "failed tries", "evidence"):
        table.add_column(column, overflow="fold")
    for it in items:
        error = it["error"] or {}
        table.add_row(*map(escape, (str(it["index"]), it["key"], it["status"], error.get("kind") or "",
                                    error.get("step") or "", error.get("message") or "", str(_failed_tries(it)),
                                    "\n".join(f"{a['kind']}: {a['path']}" for a in it["artifacts"]))))
    out.print(table)


def _print_items_lines(out: Any, items: list[dict[str, Any]]) -> None:
    """Below 110 columns (a pipe is 80) a message squeezed into a column breaks every few words: each item
    is one line, and a failed item's message and evidence follow on lines of their own, indented."""
    from rich.padding import Padding
    from rich.text import Text

    out.print(Text("  #  item  status; a failed item's message (and evidence) below it", style="bold"))
    for it in items:
        error = it["error"] or {}
        facts = [it["status"]]
        details = [f"{a['kind']}: {a['path']}" for a in it["artifacts"]]
        if error:
            facts.append(f"{error['kind']} at {error.get('step') or '-'}")
            details.insert(0, error.get("message") or "")
        tries = _failed_tries(it)
        if tries:
            facts.append(f"{tries} failed tr{'y' if tries == 1 else 'ies'}")
        out.print(Text(f"{it['index']:>3}  {it['key']}  {', '.join(facts)}"))
        for line in details:
            out.print(Padding(Text(line), (0, 0, 0, 5), expand=False))


def _failed_tries(item: dict[str, Any]) -> int:
    return sum(1 for a in item["attempts"] if a["status"] == "failed")
