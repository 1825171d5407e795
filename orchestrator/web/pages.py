"""Dashboard routes: sign-in, overview (this period against the last), robot page, run page.

Each page is rendered on the server; `?fragment=1` returns only its content, which the page's script
fetches again every few seconds while runs progress (and stops once a run page's run is finished).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from orchestrator.web import tokens, views
from orchestrator.web.app import COOKIE, page_user, site

router = APIRouter(include_in_schema=False)
Days = Query(30, ge=1, le=3660)


def _html(request: Request, title: str, body: str, user: dict[str, Any], *, every: int = 5000,
          done: bool = False) -> HTMLResponse:
    if request.query_params.get("fragment"):
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})
    return HTMLResponse(views.page(title, body, user=user, every=every, done=done),
                        headers={"Cache-Control": "no-store"})


def _safe_next(target: str | None) -> str:
    safe = target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if safe else "/"


@router.get("/login")
def login_form(next: str = "/") -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return HTMLResponse(views.login_page(_safe_next(next)))


@router.post("/login")
def login(request: Request, token: str = Form(...), next: str = Form("/")) -> Any:  # noqa: A002
    user = tokens.verify(site(request).engine, token.strip())
    if user is None:
        return HTMLResponse(views.login_page(_safe_next(next), "This token is unknown or revoked."),
                            status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=12 * 3600,
                        secure=request.url.scheme == "https")
    return response


@router.get("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def overview(request: Request, days: int = Days, since: str | None = None, until: str | None = None,
             user: dict = page_user()) -> HTMLResponse:
    from orchestrator.savings import build_report

    here = site(request)
    loaded = here.loaded
    period = _period(loaded, days, since, until)
    span = (period.end - period.start).days
    common = {"project": loaded.spec.project, "robots": list(loaded.spec.robots)}
    now = build_report(here.engine, loaded.spec.economics, period=period,
                       by="day" if span <= 92 else "week" if span <= 400 else "month", **common)
    before = build_report(here.engine, loaded.spec.economics, period=period.previous(), by=None, failures=0,
                          **common)
    body = views.overview(now, before, _recent(request, None), days if not since else None)
    return _html(request, "Overview", body, user)


@router.get("/download/report.{fmt}")
def download(request: Request, fmt: str, days: int = Days, since: str | None = None, until: str | None = None,
             by: str = Query("day", pattern="^(day|week|month)$"), _user: dict = page_user()) -> Response:
    """The period on screen as a file: the one-file HTML report, CSV or an Excel workbook."""
    import tempfile
    from pathlib import Path

    from orchestrator.savings import build_report
    from orchestrator.savings.formats import to_csv, to_xlsx
    from orchestrator.savings.html import render_html

    if fmt not in ("html", "csv", "xlsx"):
        raise HTTPException(404, "report.html, report.csv or report.xlsx")
    here = site(request)
    loaded = here.loaded
    period = _period(loaded, days, since, until)
    data = build_report(here.engine, loaded.spec.economics, period=period, by=by, project=loaded.spec.project,
                        robots=list(loaded.spec.robots))
    name = f"savings-{period.since}-{period.until}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "html":
        return Response(render_html(data), media_type="text/html; charset=utf-8", headers=headers)
    if fmt == "csv":
        # with a byte-order mark, so that Excel reads non-ASCII robot names and messages right
        return Response("\ufeff" + to_csv(data, by_period=True), media_type="text/csv; charset=utf-8",
                        headers=headers)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        to_xlsx(data, path)
        content = path.read_bytes()
    return Response(content, headers=headers,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _period(loaded: Any, days: int, since: str | None, until: str | None) -> Any:
    """The last `days` local days, or since..until (until defaults to today); 422 for dates it cannot read."""
    from orchestrator.savings import PeriodError, make_period
    from orchestrator.savings.period import last_days

    if not since:
        return last_days(days, loaded.spec.timezone)
    try:
        return make_period(since, until or "today", loaded.spec.timezone)
    except PeriodError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/robots/{name}")
def robot(request: Request, name: str, days: int = Days, user: dict = page_user()) -> HTMLResponse:
    from orchestrator.savings import build_report
    from orchestrator.savings.period import last_days

    here = site(request)
    loaded = here.loaded
    spec = loaded.spec.robots.get(name)
    data = build_report(here.engine, loaded.spec.economics, period=last_days(days, loaded.spec.timezone),
                        robot=name, by="day" if days <= 92 else "week", project=loaded.spec.project,
                        robots=[name] if spec else None)
    if spec is None and not data["robots"]:
        raise HTTPException(404, f"no robot {name!r}")
    body = views.robot_page(name, data, _recent(request, name, limit=50), days, spec.description if spec else "")
    return _html(request, f"Robot {name}", body, user)


@router.get("/runs/{run_id}")
def run(request: Request, run_id: str, status: str | None = None, user: dict = page_user()) -> HTMLResponse:
    from orchestrator.web.api import record
    from orchestrator.web.reads import log_lines, run_details

    here = site(request)
    row = here.ledger.get_run(run_id)
    if row is None:
        raise HTTPException(404, f"no run {run_id!r}")
    shown = _local_times(record(row), here.loaded.spec.timezone)
    details = run_details(here.ledger, run_id, status=status, limit=2000)
    body = views.run_page(shown, details, log_lines(here.loaded, run_id, tail=300),
                          operator=tokens.allows(user["role"], "operator"))
    finished = row["status"] in ("succeeded", "partial", "failed", "cancelled")
    return _html(request, f"Run {run_id}", body, user, every=2000, done=finished)


def _recent(request: Request, robot: str | None, limit: int = 20) -> list[dict[str, Any]]:
    from orchestrator.web.api import record

    here = site(request)
    return [_local_times(record(r), here.loaded.spec.timezone)
            for r in here.ledger.list_runs(robot=robot, limit=limit)]


def _local_times(shown: dict[str, Any], zone: str) -> dict[str, Any]:
    """A run record with `queued_local`: when it was queued on the project's clock, as the pages say."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    queued = shown.get("queued_at")
    if queued:
        moment = dt.datetime.fromisoformat(str(queued).replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        shown = {**shown, "queued_local": moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")}
    return shown
