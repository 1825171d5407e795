"""retake serve | token create | token list | token revoke."""

from __future__ import annotations

import typer

from orchestrator.cli import app
from orchestrator.cli.common import EXIT_INVALID, JsonOption, ProjectOption, dump_json, fail, load

token_app = typer.Typer(help="API tokens for the dashboard and the HTTP API (viewer < operator < admin).",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    threads: int = typer.Option(4, "--threads", help="Worker threads for runs started here (embedded default)."),
    project: str | None = ProjectOption,
) -> None:
    """The dashboard and the HTTP API (OpenAPI at /docs). Sign in with a token from `retake token create`."""
    import uvicorn

    from orchestrator import logs
    from orchestrator.web.app import create_app

    loaded = load(project)
    logs.configure()
    application = create_app(loaded.root, threads=threads, watch_every=30)
    print(f"Retake dashboard for {loaded.spec.project}: http://{host}:{port}/  (API: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _engine(project: str | None):  # noqa: ANN202
    from orchestrator import projects

    return projects.ledger_for(load(project)).engine


@token_app.command("create")
def token_create(
    role: str = typer.Option(..., "--role", help="viewer, operator or admin."),
    name: str | None = typer.Option(None, "--name", help="Who or what uses it (shown in `token list`)."),
    project: str | None = ProjectOption,
) -> None:
    """Create a token; it is printed once, as the last line (only its hash is kept)."""
    from orchestrator.web.tokens import ROLES, create_token

    if role not in ROLES:
        fail(f"--role {role!r}: use one of {', '.join(ROLES)}", EXIT_INVALID)
    token_id, token = create_token(_engine(project), role=role, name=name)
    print(f"token {token_id} ({role}{', ' + name if name else ''}) created; keep it now, it cannot be shown again:")
    print(token)


@token_app.command("list")
def token_list(json_: bool = JsonOption, project: str | None = ProjectOption) -> None:
    """Tokens with their role and use (never the secrets)."""
    from orchestrator.cli.common import iso
    from orchestrator.web.tokens import list_tokens

    rows = [{k: iso(v) for k, v in row.items()} for row in list_tokens(_engine(project))]
    if json_:
        dump_json(rows)
        return
    from rich.table import Table

    from orchestrator.cli.common import console

    table = Table(title="API tokens")
    for column in ("id", "name", "role", "starts with", "created", "last used", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["role"], row["prefix"] + "...", str(row["created_at"]),
                      str(row["last_used_at"] or "-"), str(row["revoked_at"] or "-"))
    console().print(table)


@token_app.command("revoke")
def token_revoke(which: str = typer.Argument(..., help="The token's id, name or first characters."),
                 project: str | None = ProjectOption) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    from orchestrator.web.tokens import revoke_token

    if not revoke_token(_engine(project), which):
        fail(f"no active token matches {which!r}: see `retake token list`", 1)
    print(f"revoked {which}")
