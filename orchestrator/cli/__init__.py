"""The `retake` command. Each module below adds its commands to `app`; heavy imports stay inside them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="retake",
    help="Retake: robots in YAML for back offices. Validate, run, schedule and measure them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES = ("core", "init", "runs", "reports", "demo", "fleet", "scheduling", "web")


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"orchestrator.cli.{name}")


def main() -> None:
    """The `retake` command. An error Retake can explain is one line on stderr (exit 1), not a traceback:
    a run that could not be queued, a ledger that cannot be reached."""
    from orchestrator.errors import RetakeError

    _register()
    try:
        app()
    except RetakeError as exc:
        typer.echo(f"retake: {exc}", err=True)
        raise SystemExit(1) from None
    except Exception as exc:
        if type(exc).__name__ != "OperationalError" or not type(exc).__module__.startswith("sqlalchemy"):
            raise
        typer.echo(f"retake: the ledger cannot be reached ({_ledger_url()}): {str(exc.orig).strip().splitlines()[0]}"
                   "; start the database or check RETAKE_DATABASE_URL", err=True)
        raise SystemExit(1) from None


def _ledger_url() -> str:
    import os

    from sqlalchemy.engine import make_url

    url = os.environ.get("RETAKE_DATABASE_URL")
    return make_url(url).render_as_string(hide_password=True) if url else "the project's SQLite file"
