"""What every command shares: the --project option, loading with clear errors, exit codes, output."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

ProjectOption = typer.Option(None, "--project", "-p", help="Project folder (default: nearest robots.yaml above).")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    print(f"retake: {message}", file=sys.stderr)
    raise typer.Exit(code)


def load(project: str | None, *, ledger_only: bool = False):  # noqa: ANN201
    """The validated project, or every problem on stderr (FILE:LINE:COL: message) and exit 2.

    `ledger_only`: for commands that read the ledger or stop a run (runs, status, report, cancel), a
    project whose files have problems still gives its ledger and its settings (name, time zone,
    economics), with a warning: an operator must see and stop runs while a robot file is being fixed."""
    from orchestrator.errors import ConfigError
    from orchestrator.loader import load_project

    try:
        return load_project(project)
    except ConfigError as exc:
        count = len(exc.problems)
        if ledger_only:
            fallback = _settings_only(project)
            if fallback is not None:
                print(f"retake: warning: the project's files have {count} problem{'s' if count != 1 else ''} "
                      "(`retake validate` lists them); showing the ledger", file=sys.stderr)
                return fallback
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        print(f"retake: {count} problem{'s' if count != 1 else ''} found; nothing was run", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None


def _settings_only(project: str | None):  # noqa: ANN202
    """The project with its manifest's settings and no robots or schedules; None when even those are wrong."""
    import yaml
    from pydantic import ValidationError

    from orchestrator.errors import ConfigError
    from orchestrator.loader import MANIFEST, LoadedProject, find_root
    from orchestrator.spec import Project

    try:
        root = find_root(project)
        data = yaml.safe_load((root / MANIFEST).read_text(encoding="utf-8")) or {}
        head = {k: v for k, v in data.items() if k in Project.model_fields and k not in ("robots", "schedules")}
        return LoadedProject(root=root, spec=Project.model_validate(head))
    except (ConfigError, OSError, yaml.YAMLError, ValidationError, AttributeError):
        return None


def dump_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def console():  # noqa: ANN201
    from rich.console import Console

    return Console(highlight=False)


def ledger(loaded):  # noqa: ANN001, ANN201
    from orchestrator import projects

    return projects.ledger_for(loaded)


def find_run(ledger: Any, run_id: str, code: int = EXIT_FAILED) -> dict[str, Any]:
    """The run with id `run_id` or the only one whose id starts so; else exit `code` saying which runs the
    start of an id matches, when it matches more than one."""
    run = ledger.find_run(run_id)
    if run is not None:
        return run
    from sqlalchemy import select

    from orchestrator.ledger.db import reading
    from orchestrator.ledger.tables import runs

    shown = 5
    with reading(ledger.engine) as conn:
        matches = list(conn.execute(select(runs.c.id, runs.c.robot).where(runs.c.id.like(f"{run_id}%"))
                                    .order_by(runs.c.id.desc()).limit(shown + 1)))
    if not matches:
        fail(f"no run {run_id!r} in the ledger: `retake runs` lists them", code)
    listed = ", ".join(f"{m.id} ({m.robot})" for m in matches[:shown]) + (", ..." if len(matches) > shown else "")
    fail(f"{run_id!r} is ambiguous: it starts the ids of {'more than ' * (len(matches) > shown)}"
         f"{min(len(matches), shown)} runs: {listed}; give more of the id", code)


def iso(value: Any) -> Any:
    """Ledger datetimes as ISO 8601 in UTC (SQLite hands them back without a zone)."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    return value


def run_record(run: dict[str, Any]) -> dict[str, Any]:
    """The public shape of a run (`retake run --json`, `retake runs --json`)."""
    return {
        "run_id": run["id"],
        "robot": run["robot"],
        "status": run["status"],
        "trigger": run["trigger"],
        "inputs": run["inputs"],
        "parent_run_id": run["parent_run_id"],
        "items": {"total": run["items_total"], "succeeded": run["items_succeeded"],
                  "failed": run["items_failed"], "cancelled": run["items_cancelled"]},
        "queued_at": iso(run["queued_at"]),
        "started_at": iso(run["started_at"]),
        "finished_at": iso(run["finished_at"]),
        "duration_s": round(run["duration_s"], 3) if run["duration_s"] is not None else None,
        "error": run["error"],
    }
