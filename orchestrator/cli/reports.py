"""retake report | digest."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.cli import app
from orchestrator.cli.common import EXIT_INVALID, ProjectOption, dump_json, fail, load

FORMATS = ("table", "json", "csv", "xlsx", "html")


@app.command()
def report(
    since: str | None = typer.Option(None, "--since", help="First day (YYYY-MM-DD, today, yesterday, 7d)."),
    until: str | None = typer.Option(None, "--until", help="Last day, included (same forms as --since)."),
    robot: str | None = typer.Option(None, "--robot", "-r", help="Only this robot."),
    by: str | None = typer.Option(None, "--by", help="Also break the figures down by day, week or month."),
    format_: str = typer.Option("table", "--format", "-f", help="table, json, csv, xlsx or html."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file (xlsx needs one)."),
    json_: bool = typer.Option(False, "--json", help="Same as --format json."),
    project: str | None = ProjectOption,
) -> None:
    """Runs, items, success rate, robot hours, manual hours and money saved, per robot and in total.

    Formulas: manual hours saved = (items succeeded x manual_minutes - items failed x exception_minutes) / 60;
    value saved = manual hours saved x hourly_cost; net value = value saved - robot hours x robot_hourly_cost.
    """
    fmt = "json" if json_ else format_.lower()
    if fmt not in FORMATS:
        fail(f"--format {format_!r}: use one of {', '.join(FORMATS)}", EXIT_INVALID)
    if fmt == "xlsx" and output is None:
        fail("--format xlsx writes a workbook: give the file with --output report.xlsx", EXIT_INVALID)
    if by is not None and by not in ("day", "week", "month"):
        fail(f"--by {by!r}: use day, week or month", EXIT_INVALID)
    loaded = load(project, ledger_only=True)
    data = compute(loaded, since=since, until=until, robot=robot,
                   by=by or ("day" if fmt in ("html", "json") else None))
    text = None
    if fmt == "json":
        import json

        if output is None:
            dump_json(data)
            return
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    elif fmt == "csv":
        from orchestrator.savings.formats import to_csv

        text = to_csv(data, by_period=by is not None)
    elif fmt == "html":
        from orchestrator.savings.html import render_html

        text = render_html(data)
    elif fmt == "xlsx":
        from orchestrator.savings.formats import to_xlsx

        to_xlsx(data, output)
        print(f"wrote {output}")
        return
    else:
        from orchestrator.savings.formats import render_table

        if output is not None:
            from rich.console import Console

            with output.open("w", encoding="utf-8") as handle:
                Console(file=handle, width=200).print(render_table(data, by_period=by is not None))
            print(f"wrote {output}")
            return
        import sys

        from rich.console import Console

        Console(width=None if sys.stdout.isatty() else 160).print(render_table(data, by_period=by is not None))
        return
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        # a CSV file starts with a byte-order mark so that Excel reads its Korean (or any non-ASCII) text right
        output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        print(f"wrote {output}")


def compute(loaded, *, since: str | None, until: str | None, robot: str | None, by: str | None) -> dict:  # noqa: ANN001
    """The report's data for a project; bad dates or robots exit 2 with what to type instead."""
    from orchestrator.actions import suggest
    from orchestrator.savings import PeriodError, project_report

    if robot and robot not in loaded.spec.robots:
        known = list(loaded.spec.robots)
        print(f"retake: note: robot {robot!r} is not in robots.yaml{suggest(robot, known)}; "
              "showing what the ledger holds for it", file=__import__("sys").stderr)
    try:
        return project_report(loaded, since=since, until=until, robot=robot, by=by)
    except PeriodError as exc:
        fail(str(exc), EXIT_INVALID)


@app.command()
def digest(
    day: str | None = typer.Option(None, "--date", help="The day to sum up (default: yesterday)."),
    send: bool = typer.Option(False, "--send", help="Send it to every robot's alert channels."),
    project: str | None = ProjectOption,
) -> None:
    """The daily digest: yesterday's figures per robot; --send posts it to the robots' alert channels."""
    from orchestrator.alerts import build_digest, send_digest

    loaded = load(project, ledger_only=True)
    text, data = build_digest(loaded, day=day)
    print(text)
    if send:
        sent = send_digest(loaded, text, data)
        print(f"sent to {sent} channel(s)")
