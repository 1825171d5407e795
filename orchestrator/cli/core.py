"""retake validate | run | actions | schema."""

from __future__ import annotations

import sys
from typing import Any, Optional

import typer

from orchestrator.cli import app
from orchestrator.cli.common import (EXIT_FAILED, EXIT_INVALID, EXIT_OK, JsonOption, ProjectOption, dump_json,
                                     fail, load, run_record)


@app.command()
def validate(project: Optional[str] = ProjectOption) -> None:
    """Check every robot and schedule file; one line per problem as FILE:LINE:COL: message."""
    loaded = load(project)
    robots, schedules = len(loaded.spec.robots), len(loaded.spec.schedules)
    print(f"ok: {robots} robot(s), {schedules} schedule(s) in {len(loaded.sources)} file(s)")


@app.command()
def run(
    robot: str = typer.Argument(..., help="Name of the robot to run."),
    input: list[str] = typer.Option([], "--input", "-i", help="KEY=VALUE, repeatable."),
    json_: bool = JsonOption,
    detach: bool = typer.Option(False, "--detach", "-d", help="Queue the run, print its id, do not wait."),
    headed: bool = typer.Option(False, "--headed", help="Show the browser window (needs a display)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="Worker threads on the embedded default."),
    project: Optional[str] = ProjectOption,
) -> None:
    """Run a robot now and wait for it (exit 0 succeeded, 1 partial or failed, 2 invalid)."""
    import os

    from orchestrator import logs
    from orchestrator.errors import InputError
    from orchestrator.inputs import parse_pairs

    if headed:
        os.environ["RETAKE_HEADED"] = "1"
    loaded = load(project)
    interactive = sys.stderr.isatty() and not json_
    logs.configure("WARNING" if interactive and not os.environ.get("RETAKE_LOG_LEVEL") else None)
    try:
        given = parse_pairs(input)
        from orchestrator.broker import is_embedded

        if detach or not is_embedded():
            from orchestrator.submit import submit, wait_for

            run_id = submit(loaded, robot, given)
            if detach:
                print(run_id)
                raise typer.Exit(EXIT_OK)
            with _progress(interactive) as on_progress:
                record = wait_for(_ledger(loaded), run_id, on_progress=on_progress, poll=0.25)
        else:
            from orchestrator.submit import submit, wait_embedded

            run_id = submit(loaded, robot, given)
            with _progress(interactive) as on_progress, _stopped_by_signal(loaded, run_id):
                record = wait_embedded(loaded, run_id, threads=threads or loaded.spec.robots[robot].concurrency,
                                       on_progress=on_progress)
    except InputError as exc:
        fail(str(exc), EXIT_INVALID)
    if json_:
        dump_json(run_record(record))
    else:
        _summary(record)
    raise typer.Exit(EXIT_OK if record["status"] == "succeeded" else EXIT_FAILED)


class _stopped_by_signal:
    """`retake run` on the embedded default works the run in this process: Ctrl-C or SIGTERM (a terminal
    closed, a job killed) would leave it `running` for ever, with nothing left to finish it. The run is
    cancelled instead (items done stay done), and the command exits 130."""

    def __init__(self, loaded: Any, run_id: str):
        self.loaded, self.run_id = loaded, run_id
        self.previous: Any = None

    def __enter__(self) -> None:
        import signal

        def interrupt(*_: object) -> None:
            raise KeyboardInterrupt

        self.previous = signal.signal(signal.SIGTERM, interrupt)

    def __exit__(self, kind: Any, exc: Any, _tb: Any) -> None:
        import signal

        signal.signal(signal.SIGTERM, self.previous)
        if kind is not KeyboardInterrupt:
            return
        from orchestrator import events
        from orchestrator.cancel import stop

        closed = stop(_ledger(self.loaded), self.run_id, reason="stopped: `retake run` was interrupted")
        if closed is not None:
            events.run_finished(self.loaded, closed)
            print(f"run {self.run_id} cancelled: `retake run` was interrupted ({closed['items_succeeded']} item(s) "
                  f"had succeeded; `retake rerun {self.run_id} --cancelled` takes the rest)", file=sys.stderr)
        raise typer.Exit(130)


def _ledger(loaded):  # noqa: ANN001, ANN202
    from orchestrator import projects

    return projects.ledger_for(loaded)


class _progress:
    """A rich progress bar of items on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.task = None

    def __enter__(self):  # noqa: ANN204
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(), transient=False)
        self.bar.start()
        return self.update

    def update(self, run: dict) -> None:
        done = run["items_succeeded"] + run["items_failed"] + run["items_cancelled"]
        if self.task is None:
            self.task = self.bar.add_task(run["robot"], total=None, failed=0)
        self.bar.update(self.task, completed=done, total=run["items_total"] or None, failed=run["items_failed"])

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _summary(run: dict) -> None:
    from orchestrator.durations import format_duration

    colour = {"succeeded": "green", "partial": "yellow"}.get(run["status"], "red")
    from orchestrator.cli.common import console

    duration = format_duration(run["duration_s"] or 0)
    console().print(f"[bold]{run['robot']}[/] run [cyan]{run['id']}[/]: [{colour}]{run['status']}[/] - "
                    f"{run['items_succeeded']}/{run['items_total']} item(s) succeeded, "
                    f"{run['items_failed']} failed, in {duration}")
    if run["error"]:
        console().print(f"[red]error:[/] {run['error']}")
    if run["items_failed"]:
        console().print(f"details: retake runs show {run['id']}")


@app.command()
def actions(json_: bool = JsonOption, project: Optional[str] = ProjectOption) -> None:
    """List every step action with its arguments and a one-line description."""
    from orchestrator.actions import registry

    entries = []
    for name, spec in sorted(registry().items()):
        entries.append({"action": name, "arguments": spec.arg_names(), "scalar": spec.scalar,
                        "effect": "by arguments" if callable(spec.effect) else spec.effect, "doc": spec.doc})
    if json_:
        dump_json(entries)
        return
    for entry in entries:
        args = ", ".join(entry["arguments"]) or "(any)"
        print(f"{entry['action']:<22} {args}\n    {entry['doc'].splitlines()[0] if entry['doc'] else ''}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of robots.yaml (point your editor's YAML plugin at it)."""
    from orchestrator.schema import editor_schema

    dump_json(editor_schema())
