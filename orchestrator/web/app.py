"""The FastAPI application behind `retake serve`: the HTTP API, the dashboard, /health and /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchestrator.ledger.db import reading
from orchestrator.web import tokens

COOKIE = "retake_token"
bearer = HTTPBearer(auto_error=False, description="An API token from `retake token create --role ROLE`.")


class LoginRequired(Exception):
    """A dashboard page was asked for without a valid session: go to the sign-in page."""


class Site:
    """What every route needs: the project (reloaded when its files change) and its ledger."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self._last_good: Any = None

    @property
    def loaded(self) -> Any:
        """The project as its files say now; while they are being edited into an invalid state, the last
        valid version (a dashboard must not fail because someone is mid-edit)."""
        from orchestrator import projects
        from orchestrator.errors import ConfigError

        try:
            self._last_good = projects.project(self.root)
        except ConfigError as exc:
            if self._last_good is None:
                raise HTTPException(503, f"the project does not validate: {exc}") from None
            from loguru import logger

            logger.warning(f"robots.yaml does not validate, serving its last valid version: {exc}")
        return self._last_good

    @property
    def ledger(self) -> Any:
        from orchestrator import projects

        return projects.ledger_for(self.loaded)

    @property
    def engine(self) -> Any:
        return self.ledger.engine


def site(request: Request) -> Site:
    return request.app.state.site


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    return request.cookies.get(COOKIE)


def require(role: str) -> Any:
    """API dependency: 401 without a valid token, 403 when its role is below `role`."""

    def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
        user = tokens.verify(site(request).engine, _token(request, credentials))
        if user is None:
            raise HTTPException(401, "a valid API token is required: Authorization: Bearer TOKEN",
                                headers={"WWW-Authenticate": "Bearer"})
        if not tokens.allows(user["role"], role):
            raise HTTPException(403, f"this needs the {role} role; the token has {user['role']}")
        return user

    return Depends(check)


def page_user(role: str = "viewer") -> Any:
    """Dashboard dependency: a signed-in session, else the sign-in page; 403 when the role is too low."""

    def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
        # the session cookie, or a token as for the API (a script fetching /download/report.csv)
        user = tokens.verify(site(request).engine, _token(request, credentials))
        if user is None:
            raise LoginRequired()
        if not tokens.allows(user["role"], role):
            raise HTTPException(403, f"this needs the {role} role; you signed in as {user['role']}")
        return user

    return Depends(check)


def create_app(project_dir: str | Path | None = None, *, threads: int = 4,
               watch_every: float | None = None) -> FastAPI:
    """The app for one project; `watch_every` seconds, it also alerts on runs already past their SLA."""
    from orchestrator.loader import find_root
    from orchestrator.web import api, pages

    root = find_root(project_dir)
    app = FastAPI(title="Retake", version="1", docs_url=None, redoc_url=None,
                  lifespan=_watching(watch_every) if watch_every else None, description="Runs, savings and control of Retake robots. "
                  "Every route except /health needs `Authorization: Bearer TOKEN` (`retake token create`).")
    app.state.site = Site(root)
    app.state.threads = threads
    site_ = app.state.site
    _ = site_.engine  # the schema is in place before the first request

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.get("/health", tags=["service"], summary="Liveness and the ledger's reachability (no token needed)")
    def health() -> JSONResponse:
        from sqlalchemy import text

        try:
            with reading(site_.engine) as conn:
                conn.execute(text("select 1"))
            return JSONResponse({"status": "ok", "ledger": "ok"})
        except Exception as exc:  # noqa: BLE001 - health reports, it does not raise
            return JSONResponse({"status": "degraded", "ledger": type(exc).__name__}, status_code=503)

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics (viewer)",
             response_class=Response, dependencies=[require("viewer")],
             responses={401: {"description": "no valid token"}, 403: {"description": "role too low"}})
    def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from orchestrator.web.metrics import registry_for

        return Response(generate_latest(registry_for(site_.engine)), media_type=CONTENT_TYPE_LATEST)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        from fastapi.responses import HTMLResponse

        from orchestrator.web.apidoc import render

        return HTMLResponse(render(app.openapi()))

    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def _watching(every: float) -> Any:
    """A lifespan whose thread calls `alerts.check_overdue` every `every` seconds while the app serves."""
    import contextlib
    import threading

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        stop = threading.Event()

        def watch() -> None:
            from loguru import logger

            from orchestrator.alerts import check_overdue

            while not stop.wait(every):
                try:
                    check_overdue(app.state.site.loaded)
                except Exception as exc:  # noqa: BLE001 - the watcher must outlive one bad pass
                    logger.warning(f"SLA watcher: {exc}")

        thread = threading.Thread(target=watch, name="retake-sla-watcher", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()

    return lifespan


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")
