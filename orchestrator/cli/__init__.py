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
    _register()
    app()
