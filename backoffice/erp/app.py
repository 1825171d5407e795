"""The sample "legacy ERP": login with a session cookie and CSRF tokens, invoice entry, a searchable list,
a CSV export, and the annoyances robots meet in real back offices:

- element ids and field names that change with every session (find fields by their labels);
- an occasional slow answer (every `slow_every`-th save takes `slow_seconds`);
- sessions that expire: after `session_ttl` seconds idle, after every `expire_every` saved invoices
  (the server logs everyone out, as some old systems do), or on demand (`ErpState.expire_sessions()`).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from backoffice.erp import pages

SESSION_COOKIE = "ERPSESSID"
LOGIN_COOKIE = "ERPLOGIN"
FIELDS = ("vendor", "invoice_no", "invoice_date", "due_date", "po_number", "currency", "amount", "category",
          "notes", "urgent")
DEFAULT_USERS = {"clerk": "demo-password"}


@dataclass
class ErpConfig:
    users: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_USERS))
    session_ttl: float = 900.0
    expire_every: int = 0
    slow_every: int = 0
    slow_seconds: float = 1.0
    seed_invoices: int = 6


@dataclass
class Session:
    user: str
    csrf: str
    ids: dict[str, str]
    names: dict[str, str]
    last_seen: float = field(default_factory=time.monotonic)


class ErpState:
    def __init__(self, config: ErpConfig):
        self.config = config
        self.sessions: dict[str, Session] = {}
        self.login_tokens: dict[str, float] = {}
        self.invoices: list[dict[str, Any]] = []
        self.saves = 0
        self.logins = 0
        self.lock = threading.Lock()
        for i in range(config.seed_invoices):
            self._store({"vendor": ("Acme Trading Co.", "Northwind Supplies Ltd", "대한물산(주)")[i % 3],
                         "invoice_no": f"OLD-{2025_0100 + i}", "invoice_date": f"2025-12-{10 + i:02d}",
                         "due_date": f"2026-01-{10 + i:02d}", "po_number": f"PO-{40000 + i * 7}",
                         "currency": ("USD", "EUR", "KRW")[i % 3], "amount": round(1000 + i * 137.5, 2),
                         "category": pages.CATEGORIES[i % 4], "notes": "", "urgent": False}, "legacy-import")

    def _store(self, data: dict[str, Any], user: str) -> dict[str, Any]:
        number = len(self.invoices) + 1
        amount = data["amount"]
        row = {**data, "id": number, "confirmation": f"ERP-{dt.date.today().year}-{number:06d}",
               "entered_by": user, "amount_text": f"{amount:,.2f}"}
        self.invoices.append(row)
        return row

    def expire_sessions(self) -> int:
        """Log every user out (tests force an expired session with this)."""
        with self.lock:
            count = len(self.sessions)
            self.sessions.clear()
        return count

    def new_session(self, user: str) -> tuple[str, Session]:
        salt = secrets.token_hex(3)
        ids = {name: f"f{secrets.token_hex(4)}" for name in FIELDS}
        names = {name: f"{name[:2]}_{salt}_{i}" for i, name in enumerate(FIELDS)}
        session = Session(user=user, csrf=secrets.token_urlsafe(24), ids=ids, names=names)
        sid = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[sid] = session
            self.logins += 1
        return sid, session

    def session_for(self, request: Request) -> Session | None:
        sid = request.cookies.get(SESSION_COOKIE)
        with self.lock:
            session = self.sessions.get(sid or "")
            if session is None:
                return None
            if time.monotonic() - session.last_seen > self.config.session_ttl:
                del self.sessions[sid]
                return None
            session.last_seen = time.monotonic()
            return session

    def search(self, query: str) -> list[dict[str, Any]]:
        q = query.strip().lower()
        rows = [r for r in self.invoices if not q or any(q in str(r[k]).lower() for k in
                                                        ("vendor", "invoice_no", "confirmation", "po_number"))]
        return sorted(rows, key=lambda r: r["id"], reverse=True)


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _to_login(request: Request, *, expired: bool) -> RedirectResponse:
    target = request.url.path if request.method == "GET" else "/invoices/new"
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    flag = "&expired=1" if expired else ""
    return RedirectResponse(f"/login?next={quote(target)}{flag}", status_code=303)


def build_app(state: ErpState) -> Starlette:
    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            session = state.session_for(request)
            if session is None:
                return _to_login(request, expired=SESSION_COOKIE in request.cookies)
            return await handler(request, session)

        return endpoint

    async def login_page(request: Request) -> Response:
        token = secrets.token_urlsafe(16)
        state.login_tokens[token] = time.monotonic()
        message = ""
        if request.query_params.get("expired"):
            message = "Your session has expired. Please sign in again."
        response = _html(pages.login(token, request.query_params.get("next", "/"), message=message))
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax")
        return response

    async def login_submit(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("csrf_token", ""))
        if not token or token != request.cookies.get(LOGIN_COOKIE) or state.login_tokens.pop(token, None) is None:
            return _html(pages.error_page("Sign in", "Invalid or expired form token: reload the page and sign in."),
                         403)
        user, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
        if state.config.users.get(user) != password or not password:
            new = secrets.token_urlsafe(16)
            state.login_tokens[new] = time.monotonic()
            response = _html(pages.login(new, str(form.get("next", "/")), message="Invalid username or password."),
                             401)
            response.set_cookie(LOGIN_COOKIE, new, httponly=True, samesite="lax")
            return response
        sid, _ = state.new_session(user)
        next_url = str(form.get("next") or "/")
        response = RedirectResponse(next_url if next_url.startswith("/") else "/", status_code=303)
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax")
        response.delete_cookie(LOGIN_COOKIE)
        return response

    async def logout(request: Request) -> Response:
        with state.lock:
            state.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def home(request: Request, session: Session) -> Response:
        return _html(pages.home(session.user, len(state.invoices)))

    async def new_invoice(request: Request, session: Session) -> Response:
        return _html(pages.entry_form(user=session.user, csrf=session.csrf, ids=session.ids, names=session.names))

    async def save_invoice(request: Request, session: Session) -> Response:
        form = await request.form()
        if form.get("csrf_token") != session.csrf:
            return _html(pages.error_page("Error", "Invalid CSRF token: the form is stale, open it again.",
                                          user=session.user), 403)
        values = {key: str(form.get(session.names[key], "")).strip() for key in FIELDS}
        problem, data = _validate(state, values)
        if problem:
            return _html(pages.entry_form(user=session.user, csrf=session.csrf, ids=session.ids,
                                          names=session.names, values=values, error=problem), 422)
        with state.lock:
            state.saves += 1
            slow = state.config.slow_every and state.saves % state.config.slow_every == 0
            row = state._store(data, session.user)
        if slow:
            await asyncio.sleep(state.config.slow_seconds)
        return RedirectResponse(f"/invoices/{row['id']}/confirmation", status_code=303)

    async def confirmation(request: Request, session: Session) -> Response:
        number = int(request.path_params["number"])
        if not 1 <= number <= len(state.invoices):
            return _html(pages.error_page("Not found", f"No invoice {number}.", user=session.user), 404)
        response = _html(pages.confirmation(session.user, state.invoices[number - 1]))
        every = state.config.expire_every
        if every and number == len(state.invoices) and state.saves % every == 0:
            state.expire_sessions()
        return response

    async def invoice_list(request: Request, session: Session) -> Response:
        query = request.query_params.get("q", "")
        return _html(pages.invoice_list(session.user, state.search(query), query, len(state.invoices)))

    async def export_csv(request: Request, session: Session) -> Response:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(pages.COLUMNS)
        for r in state.search(request.query_params.get("q", "")):
            writer.writerow([r["confirmation"], r["invoice_no"], r["vendor"], r["invoice_date"], r["due_date"],
                             r["po_number"], r["currency"], f"{r['amount']:.2f}", r["category"], r["entered_by"]])
        return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'})

    return Starlette(routes=[
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout),
        Route("/", guarded(home)),
        Route("/invoices/new", guarded(new_invoice)),
        Route("/invoices", guarded(save_invoice), methods=["POST"]),
        Route("/invoices", guarded(invoice_list), methods=["GET"]),
        Route("/invoices/export.csv", guarded(export_csv)),
        Route("/invoices/{number:int}/confirmation", guarded(confirmation)),
    ])


def _validate(state: ErpState, values: dict[str, str]) -> tuple[str, dict[str, Any]]:
    missing = [label for key, label in (("vendor", "Vendor"), ("invoice_no", "Invoice number"),
                                        ("invoice_date", "Invoice date"), ("currency", "Currency"),
                                        ("amount", "Amount"), ("category", "Category")) if not values[key]]
    if missing:
        return f"Required: {', '.join(missing)}.", {}
    try:
        amount = float(values["amount"])
    except ValueError:
        return f"Amount {values['amount']!r} is not a number.", {}
    for key in ("invoice_date", "due_date"):
        if values[key]:
            try:
                dt.date.fromisoformat(values[key])
            except ValueError:
                return f"{key.replace('_', ' ').capitalize()} {values[key]!r} is not a date.", {}
    if values["currency"] not in pages.CURRENCIES:
        return f"Unknown currency {values['currency']!r}.", {}
    categories = {f"{c.upper()[:3]}{i}": c for i, c in enumerate(pages.CATEGORIES)}
    if values["category"] not in categories:
        return "Choose a category.", {}
    if any(r["invoice_no"] == values["invoice_no"] for r in state.invoices):
        return f"Invoice number {values['invoice_no']} was already entered.", {}
    return "", {**values, "amount": round(amount, 2), "category": categories[values["category"]],
                "urgent": bool(values["urgent"])}
