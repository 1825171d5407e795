"""retake demo: the sample ERP on a free port, sample invoices, both demo robots, then runs and savings."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer

from orchestrator.cli import app
from orchestrator.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, ProjectOption, fail, load

DEMO_ROBOTS = ("invoice_intake", "erp_export")
DATA = Path("data") / "demo"


@app.command()
def demo(
    count: int = typer.Option(12, "--count", "-n", min=1, max=500, help="How many invoice PDFs to generate."),
    headed: bool = typer.Option(False, "--headed", help="Show the browser window (needs a display)."),
    keep_erp: bool = typer.Option(False, "--keep-erp", help="Keep the ERP running afterwards (Ctrl+C stops it)."),
    project: Optional[str] = ProjectOption,
) -> None:
    """Run the demo: start the sample ERP, make invoice PDFs in data/demo/inbox, enter them with the
    invoice_intake robot, export the ERP's list to Excel with erp_export, and show the savings."""
    from orchestrator import logs

    if headed:
        os.environ["RETAKE_HEADED"] = "1"
    os.environ.pop("RETAKE_BROKER_URL", None)  # the demo runs on the embedded default, whatever is configured
    logs.configure(os.environ.get("RETAKE_LOG_LEVEL") or "WARNING")
    loaded = load(project if project is not None else _demo_project())
    missing = [name for name in DEMO_ROBOTS if name not in loaded.spec.robots]
    if missing:
        fail(f"the project in {loaded.root} has no robot {', '.join(missing)}: run the demo from the Retake "
             "folder, or give it with --project")
    _check_browser(loaded)
    user = os.environ.setdefault("ERP_USER", "clerk")
    password = os.environ.setdefault("ERP_PASSWORD", "demo-password")

    from backoffice.erp import start_erp
    from backoffice.invoices import generate

    data = loaded.root / DATA
    inbox = data / "inbox"
    _fresh(data)
    generate(inbox, count=count)
    for truth in inbox.glob("*.json"):  # the expected values stay out of the robot's inbox
        _move(truth, data / "expected")
    out = console()
    server = start_erp(users={user: password}, expire_every=5, slow_every=4, slow_seconds=0.8)
    out.print(f"[bold]Retake demo[/]: sample ERP at [cyan]{server.url}[/] (user {user}); "
              f"{count} invoice PDFs in {DATA / 'inbox'}")
    runs: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        runs.append(_run(loaded, "invoice_intake", {"inbox": str(DATA / "inbox"), "erp_url": server.url}))
        runs.append(_run(loaded, "erp_export", {"erp_url": server.url,
                                                "output": str(DATA / "export" / "invoices.xlsx")}))
        _run_table(runs, time.perf_counter() - started)
        _savings(loaded)
        out.print(f"Files: {DATA / 'inbox' / 'done'}, {DATA / 'inbox' / 'failed'}, {DATA / 'export'}; "
                  "details: retake runs show RUN_ID")
        if keep_erp:
            out.print(f"The ERP stays at {server.url} (user {user}); Ctrl+C to stop.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        from orchestrator.submit import stop_embedded_worker

        stop_embedded_worker()
    ok = runs and all(r["status"] in ("succeeded", "partial") for r in runs) and runs[-1]["status"] == "succeeded"
    raise typer.Exit(EXIT_OK if ok else EXIT_FAILED)


def _demo_project() -> str:
    """The nearest project with the demo robots, else the Retake folder this code ships in."""
    from orchestrator.errors import ConfigError
    from orchestrator.loader import find_root

    try:
        root = find_root()
    except ConfigError:
        root = None
    if root is not None and (root / "robots" / "invoice_intake.yaml").is_file():
        return str(root)
    return str(Path(__file__).resolve().parents[2])


def _check_browser(loaded: Any) -> None:
    from connectors.browser_launch import BrowserMissing, LaunchSettings, launch_options

    try:
        launch_options(LaunchSettings.from_project(loaded.spec.settings.browser))
    except BrowserMissing as exc:
        fail(str(exc), EXIT_INVALID)


def _fresh(folder: Path) -> None:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path.rename(folder / path.name)


def console():  # noqa: ANN201
    from orchestrator.cli.common import console as make

    return make()


def _run(loaded: Any, robot: str, inputs: dict[str, Any]) -> dict[str, Any]:
    from orchestrator.cli.core import _progress
    from orchestrator.submit import run_embedded

    with _progress(sys.stderr.isatty()) as on_progress:
        return run_embedded(loaded, robot, inputs, on_progress=on_progress)


def _run_table(runs: list[dict[str, Any]], elapsed: float) -> None:
    from rich.table import Table

    from rich import box

    table = Table(title=f"Demo runs ({elapsed:.1f}s)", box=box.SIMPLE)
    for column in ("robot", "run", "status", "ok", "failed", "time"):
        table.add_column(column, justify="left" if column in ("robot", "run", "status") else "right",
                         no_wrap=True)
    for run in runs:
        colour = {"succeeded": "green", "partial": "yellow"}.get(run["status"], "red")
        table.add_row(run["robot"], run["id"], f"[{colour}]{run['status']}[/]", str(run["items_succeeded"]),
                      str(run["items_failed"]), f"{run['duration_s'] or 0:.1f}s")
    console().print(table)
    for run in runs:
        if run["error"]:
            console().print(f"[red]{run['robot']}: {run['error']}[/]")


def _savings(loaded: Any) -> None:
    from rich.table import Table

    from orchestrator import projects
    from orchestrator.savings import savings

    figures = savings(projects.ledger_for(loaded).engine, loaded.spec.economics)
    rows = [r for r in figures["robots"] if r["robot"] in DEMO_ROBOTS]
    from rich import box

    table = Table(title=f"Savings of the demo robots, all their runs so far ({figures['currency']})",
                  box=box.SIMPLE)
    for column in ("robot", "runs", "ok items", "failed", "robot h", "manual h saved", "value saved", "net value"):
        table.add_column(column, justify="left" if column == "robot" else "right", no_wrap=column == "robot")
    for row in rows:
        table.add_row(row["robot"], str(row["runs"]), str(row["items_succeeded"]), str(row["items_failed"]),
                      f"{row['robot_hours']:.3f}", f"{row['manual_hours_saved']:.2f}",
                      f"{row['value_saved']:,.0f}", f"{row['net_value']:,.0f}")
    console().print(table)
