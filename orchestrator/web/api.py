"""The HTTP API (JSON). Viewers read runs and reports, operators also start, cancel and rerun, admins manage
tokens. The OpenAPI description is at /openapi.json, a readable reference at /docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from orchestrator.web.app import require, site

router = APIRouter(responses={401: {"description": "no valid token"},
                               403: {"description": "the token's role is too low"}})


class RunRequest(BaseModel):
    """`{"inputs": {"who": "Ops"}}`; a body without `inputs` is taken as the inputs themselves."""

    model_config = ConfigDict(extra="allow")
    inputs: dict[str, Any] = Field(default_factory=dict, description="The robot's inputs by name.")

    def given(self) -> dict[str, Any]:
        extra = self.model_extra or {}
        if extra and self.inputs:
            raise HTTPException(422, f"put every input inside `inputs`: {', '.join(extra)} is outside it")
        return {**self.inputs, **extra}


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer", "operator", "admin"]
    name: str | None = Field(None, max_length=200)


def record(run: dict[str, Any]) -> dict[str, Any]:
    from orchestrator.cli.common import run_record

    return {**run_record(run), "url": f"/runs/{run['id']}"}


def _run_or_404(request: Request, run_id: str) -> dict[str, Any]:
    run = site(request).ledger.get_run(run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return run


@router.get("/api/runs", tags=["runs"], summary="Runs, newest first (viewer)", dependencies=[require("viewer")])
def list_runs(request: Request, robot: str | None = None,
              status: Literal["queued", "running", "succeeded", "partial", "failed", "cancelled"] | None = None,
              limit: int = Query(50, ge=1, le=1000)) -> list[dict[str, Any]]:
    return [record(r) for r in site(request).ledger.list_runs(robot=robot, status=status, limit=limit)]


@router.get("/api/runs/{run_id}", tags=["runs"], summary="One run with its items, attempts and artifacts (viewer)",
            dependencies=[require("viewer")])
def get_run(request: Request, run_id: str,
            item_status: Literal["pending", "running", "succeeded", "failed", "cancelled"] | None = None,
            items_limit: int = Query(1000, ge=0, le=100_000), items_offset: int = Query(0, ge=0)) -> dict[str, Any]:
    from orchestrator.web import reads

    run = _run_or_404(request, run_id)
    return {**record(run), **reads.run_details(site(request).ledger, run_id, status=item_status,
                                               limit=items_limit, offset=items_offset)}


@router.get("/api/runs/{run_id}/log", tags=["runs"], summary="The run's log lines (viewer)",
            dependencies=[require("viewer")])
def get_log(request: Request, run_id: str, tail: int = Query(500, ge=1, le=100_000)) -> list[dict[str, Any]]:
    from orchestrator.web import reads

    _run_or_404(request, run_id)
    return reads.log_lines(site(request).loaded, run_id, tail=tail)


@router.post("/api/robots/{name}/runs", tags=["runs"], status_code=202,
             summary="Start a run of a robot with inputs (operator)", dependencies=[require("operator")])
def start_run(request: Request, name: str, body: RunRequest | None = Body(None),
              wait: float = Query(0, ge=0, le=3600, description="Seconds to wait for the run to finish.")
              ) -> dict[str, Any]:
    from orchestrator.errors import InputError
    from orchestrator.submit import submit

    loaded = site(request).loaded
    if name not in loaded.spec.robots:
        raise HTTPException(404, f"no robot {name!r}; robots: {', '.join(loaded.spec.robots) or 'none'}")
    try:
        run_id = submit(loaded, name, body.given() if body else {}, trigger="api")
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    _ensure_worker(request)
    return record(_waited(request, run_id, wait))


@router.post("/api/runs/{run_id}/cancel", tags=["runs"], summary="Cancel a queued or running run (operator)")
def cancel(request: Request, run_id: str, user: dict = require("operator")) -> dict[str, Any]:
    from orchestrator.web.control import NotPossible, cancel_run

    _run_or_404(request, run_id)
    try:
        run = cancel_run(site(request).loaded, site(request).ledger, run_id, reason=f"cancelled by {user['name']}")
    except NotPossible as exc:
        raise HTTPException(409, str(exc)) from None
    return record(run)


@router.post("/api/runs/{run_id}/rerun", tags=["runs"], status_code=202,
             summary="A new run of the failed items of a finished run (operator)",
             dependencies=[require("operator")])
def rerun(request: Request, run_id: str, include_cancelled: bool = False,
          reread: bool = Query(False, description="Take the items' data from their source as it reads now "
                               "(a corrected sheet), matched by key."),
          wait: float = Query(0, ge=0, le=3600, description="Seconds to wait for the new run to finish.")
          ) -> dict[str, Any]:
    from orchestrator.web.control import NotPossible
    from orchestrator.web.control import rerun as do_rerun

    _run_or_404(request, run_id)
    try:
        new_id = do_rerun(site(request).loaded, site(request).ledger, run_id, include_cancelled=include_cancelled,
                          reread=reread)
    except NotPossible as exc:
        raise HTTPException(409, str(exc)) from None
    _ensure_worker(request)
    return record(_waited(request, new_id, wait))


def _waited(request: Request, run_id: str, wait: float) -> dict[str, Any]:
    """The run now, or once finished when the caller asked to wait (at most `wait` seconds)."""
    import time

    from orchestrator.states import RunStatus

    ledger = site(request).ledger
    deadline = time.monotonic() + wait
    run = ledger.get_run(run_id)
    while wait and not RunStatus(run["status"]).finished and time.monotonic() < deadline:
        time.sleep(0.05)
        run = ledger.get_run(run_id)
    return run


@router.get("/api/report", tags=["report"], summary="The savings report, as `retake report --format json`",
            dependencies=[require("viewer")])
def report(request: Request, since: str | None = None, until: str | None = None, robot: str | None = None,
           by: Literal["day", "week", "month"] = "day") -> dict[str, Any]:
    from orchestrator.savings import PeriodError, project_report

    try:
        return project_report(site(request).loaded, since=since, until=until, robot=robot, by=by)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/api/robots", tags=["robots"], summary="The project's robots (viewer)", dependencies=[require("viewer")])
def robots(request: Request) -> list[dict[str, Any]]:
    loaded = site(request).loaded
    return [{"name": name, "description": robot.description, "manual_minutes": robot.manual_minutes,
             "inputs": {k: v.model_dump() for k, v in robot.inputs.items()}, "sla": robot.sla}
            for name, robot in loaded.spec.robots.items()]


@router.get("/api/tokens", tags=["tokens"], summary="API tokens, without their secrets (admin)",
            dependencies=[require("admin")])
def get_tokens(request: Request) -> list[dict[str, Any]]:
    from orchestrator.cli.common import iso
    from orchestrator.web.tokens import list_tokens

    return [{k: iso(v) for k, v in row.items()} for row in list_tokens(site(request).engine)]


@router.post("/api/tokens", tags=["tokens"], status_code=201, summary="Create a token; its secret is shown once "
             "(admin)", dependencies=[require("admin")])
def post_token(request: Request, body: TokenRequest) -> dict[str, Any]:
    from orchestrator.web.tokens import create_token

    token_id, token = create_token(site(request).engine, role=body.role, name=body.name)
    return {"id": token_id, "role": body.role, "token": token}


@router.delete("/api/tokens/{token_id}", tags=["tokens"], summary="Revoke a token (admin)",
               dependencies=[require("admin")])
def delete_token(request: Request, token_id: int) -> dict[str, Any]:
    from orchestrator.web.tokens import revoke_token

    if not revoke_token(site(request).engine, token_id):
        raise HTTPException(404, f"no active token {token_id}")
    return {"id": token_id, "revoked": True}


@router.get("/files/{path:path}", tags=["runs"], summary="An artifact (screenshot, trace...) of a run (viewer)",
            dependencies=[require("viewer")], response_class=FileResponse)
def artifact(request: Request, path: str) -> FileResponse:
    target = safe_file(site(request).root, path)
    media = "application/zip" if target.suffix == ".zip" else None
    return FileResponse(target, media_type=media, filename=target.name if target.suffix != ".png" else None)


def safe_file(root: Path, path: str) -> Path:
    """A file of a run under the project's .retake/runs folder, or 404 (no path may climb out of it)."""
    state = (root / ".retake" / "runs").resolve()
    try:
        target = (root / path).resolve()
    except (OSError, ValueError):
        raise HTTPException(404, "no such file") from None
    if state not in target.parents or not target.is_file():
        raise HTTPException(404, "no such file under the project's .retake folder")
    return target


def _ensure_worker(request: Request) -> None:
    """On the embedded default, runs are worked by a worker inside this server process."""
    from orchestrator.broker import is_embedded

    if is_embedded():
        from orchestrator.submit import embedded_worker

        embedded_worker(request.app.state.threads)
