"""retake runs | runs show: the runs in the ledger, and one run's items with their errors and evidence."""

from __future__ import annotations

from typing import Any, Optional

import typer

from orchestrator.cli import app
from orchestrator.cli.common import EXIT_INVALID, JsonOption, ProjectOption, dump_json, fail, iso, load, run_record

runs_app = typer.Typer(help="Runs in the ledger: `retake runs` lists them, `retake runs show ID` details one.",
                       no_args_is_help=False, invoke_without_command=True, rich_markup_mode=None)
app.add_typer(runs_app, name="runs")


@runs_app.callback(invoke_without_command=True)
def runs(ctx: typer.Context,
         robot: Optional[str] = typer.Option(None, "--robot", "-r", help="Only this robot's runs."),
         status: Optional[str] = typer.Option(None, "--status", "-s", help="queued, running, succeeded, partial, "
                                              "failed or cancelled."),
         limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many, newest first."),
         json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """The latest runs, newest first."""
    if ctx.invoked_subcommand:
        return
    from orchestrator import projects

    loaded = load(project)
    found = projects.ledger_for(loaded).list_runs(robot=robot, status=status, limit=limit)
    if json_:
        dump_json([run_record(r) for r in found])
        return
    from rich.table import Table

    from orchestrator.cli.common import console

    table = Table("run", "robot", "status", "trigger", "items ok/total", "failed", "queued at", "duration")
    for r in found:
        table.add_row(r["id"], r["robot"], r["status"], r["trigger"], f"{r['items_succeeded']}/{r['items_total']}",
                      str(r["items_failed"]), str(iso(r["queued_at"]))[:19],
                      f"{r['duration_s']:.1f}s" if r["duration_s"] is not None else "-")
    console().print(table)


def _details(ledger: Any, run: dict[str, Any]) -> dict[str, Any]:
    attempts: dict[int, list[dict[str, Any]]] = {}
    for a in ledger.attempts_for(run["id"]):
        attempts.setdefault(a["item_id"], []).append(
            {"step": a["step"], "number": a["number"], "status": a["status"], "error_kind": a["error_kind"],
             "error": a["error_message"], "duration_s": a["duration_s"], "started_at": iso(a["started_at"])})
    evidence: dict[Any, list[dict[str, Any]]] = {}
    for art in ledger.artifacts_for(run["id"]):
        evidence.setdefault(art["item_id"], []).append({"kind": art["kind"], "path": art["path"], "step": art["step"]})
    items = [{"index": i["idx"], "key": i["key"], "status": i["status"], "attempts": i["attempts"],
              "worker": i["worker"], "started_at": iso(i["started_at"]), "finished_at": iso(i["finished_at"]),
              "duration_s": i["duration_s"], "output": i["output"], "error_kind": i["error_kind"],
              "error": i["error_message"], "error_step": i["error_step"],
              "step_attempts": attempts.get(i["id"], []), "evidence": evidence.get(i["id"], [])}
             for i in ledger.run_items(run["id"])]
    return {**run_record(run), "queue": run["queue"], "robot_seconds": run["robot_seconds"], "items_detail": items,
            "run_evidence": evidence.get(None, [])}


@runs_app.command("show")
def show(run_id: str = typer.Argument(..., help="The run (or a unique start of its id)."),
         json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """One run: its items with status, attempts, last error, the failing step and the evidence."""
    from orchestrator import projects

    loaded = load(project)
    ledger = projects.ledger_for(loaded)
    run = ledger.find_run(run_id)
    if run is None:
        fail(f"no run {run_id!r} (or more than one starts so): `retake runs` lists them", EXIT_INVALID)
    data = _details(ledger, run)
    if json_:
        dump_json(data)
        return
    from rich.table import Table

    from orchestrator.cli.common import console

    out = console()
    items = data["items"]
    out.print(f"[bold]{run['robot']}[/] run [cyan]{run['id']}[/]: {run['status']} - {items['succeeded']}/"
              f"{items['total']} succeeded, {items['failed']} failed, {items['cancelled']} cancelled"
              + (f" (rerun of {run['parent_run_id']})" if run["parent_run_id"] else ""))
    if run["error"]:
        out.print(f"[red]error:[/] {run['error']}")
    table = Table("#", "item", "status", "tries", "step", "error", "evidence")
    for item in data["items_detail"]:
        error = f"{item['error_kind']}: {item['error']}" if item["error"] else ""
        table.add_row(str(item["index"]), item["key"], item["status"], str(item["attempts"]), item["error_step"] or "",
                      error, "\n".join(e["path"] for e in item["evidence"]))
    out.print(table)
