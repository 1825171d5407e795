"""retake report."""

from __future__ import annotations

from typing import Optional

import typer

from orchestrator.cli import app
from orchestrator.cli.common import JsonOption, ProjectOption, dump_json, load


@app.command()
def report(robot: Optional[str] = typer.Option(None, "--robot", "-r", help="Only this robot."),
           json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """Runs, items, robot hours, manual hours and money saved, per robot and in total."""
    from orchestrator import projects
    from orchestrator.savings import savings

    loaded = load(project)
    figures = savings(projects.ledger_for(loaded).engine, loaded.spec.economics, robot=robot)
    if json_:
        dump_json(figures)
        return
    from rich.table import Table

    from orchestrator.cli.common import console

    table = Table(title=f"Savings ({figures['currency']})")
    for column in ("robot", "runs", "ok items", "failed", "robot h", "manual h saved", "value saved", "net value"):
        table.add_column(column, justify="left" if column == "robot" else "right")
    for row in [*figures["robots"], {**figures["total"], "robot": "TOTAL"}]:
        table.add_row(row["robot"], str(row["runs"]), str(row["items_succeeded"]), str(row["items_failed"]),
                      f"{row['robot_hours']:.2f}", f"{row['manual_hours_saved']:.2f}",
                      f"{row['value_saved']:,.0f}", f"{row['net_value']:,.0f}")
    console().print(table)
