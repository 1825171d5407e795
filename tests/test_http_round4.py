"""An outside tester's findings against a REST API (round 4): a bearer token that leaked into logs and the
ledger, a timed-out POST retried into a duplicate, Retry-After ignored, no way to follow pagination, and
small validation and SQL-message faults. Each test runs robots against a real local API."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse
from robot_support import output_of, run
from test_cli import retake
from test_http import build_api

from orchestrator.loader import load_project

PASSWORD = "Pa55-w0rd-XYZZY-r4"
ROBOT_RETRY = "retry: {attempts: 3, backoff: 0s, max_backoff: 0s}"


def build_round4_api():
    """test_http's API plus a token login, orders (slow, idempotent), a busy endpoint and paged lists."""
    app = build_api()
    state: dict = {"tokens": {}, "issued": [], "orders": [], "keys": {}, "calls": {}, "order_posts": []}
    app.state.round4 = state

    def bearer(request: Request) -> str:
        return (request.headers.get("authorization") or "")[len("Bearer "):]

    @app.post("/r4/auth")
    async def auth(request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("password") != PASSWORD:
            return JSONResponse({"error": "bad credentials", "received": body}, status_code=401)
        token = f"tok_{len(state['issued']):02d}_{time.monotonic_ns():x}"
        # the first token a robot gets is stale (it expires before its first use), the next ones are good
        state["tokens"][token] = body.get("user") in {t.split(":")[0] for t in state["issued"]}
        state["issued"].append(f"{body.get('user')}:{token}")
        return JSONResponse({"token": token, "token_type": "bearer", "expires_in": 300,
                             "user": {"name": body.get("user"), "refresh_token": f"rt_{token}"}})

    @app.post("/r4/orders")
    async def orders(request: Request) -> JSONResponse:
        token = bearer(request)
        if request.query_params.get("auth") and not state["tokens"].get(token):
            return JSONResponse({"error": f"token {token} expired or invalid"}, status_code=401)
        body = await request.json()
        key = request.headers.get("idempotency-key")
        state["order_posts"].append({"order_no": body["order_no"], "key": key})
        if key and key in state["keys"]:
            return JSONResponse({**state["keys"][key], "replayed": True}, status_code=201)
        order = {"id": f"ORD-{len(state['orders']) + 1:04d}", "order_no": body["order_no"]}
        state["orders"].append(order)
        if key:
            state["keys"][key] = order
        if body.get("slow") and sum(o["order_no"] == body["order_no"] for o in state["orders"]) == 1:
            await asyncio.sleep(body["slow"])  # created, but the answer comes late
        return JSONResponse(order, status_code=201)

    @app.api_route("/r4/busy/{name}", methods=["POST", "PUT"])
    async def busy(name: str, status: int, wait: str = "", times: int = 1) -> JSONResponse:
        calls = state["calls"].setdefault(name, [])
        calls.append(time.monotonic())
        if len(calls) <= times:
            headers = {"Retry-After": wait} if wait else {}
            return JSONResponse({"error": f"injected {status}"}, status_code=status, headers=headers)
        return JSONResponse({"ok": len(calls)}, status_code=201)

    @app.post("/r4/refuse")
    async def refuse() -> JSONResponse:
        return JSONResponse({"error": "validation failed", "fields": {"password": "too short"},
                             "access_token": "atk-refused-31337"}, status_code=422)

    @app.get("/r4/echo-key")
    async def echo_key(request: Request) -> PlainTextResponse:
        seen = request.headers
        return PlainTextResponse(f"key {seen.get('x-api-key')} refused for {seen.get('authorization')} "
                                 f"(idempotency key {seen.get('idempotency-key')})", status_code=403)

    @app.get("/r4/list/next")
    async def next_list(page: int = 1) -> dict:
        rows = [{"id": f"N-{i}"} for i in range(1, 8)]
        chunk = rows[(page - 1) * 3: page * 3]
        return {"items": chunk, "next": f"/r4/list/next?page={page + 1}" if page * 3 < len(rows) else None}

    @app.get("/r4/list/link")
    async def link_list(request: Request, page: int = 1) -> JSONResponse:
        links = f'<{request.url.replace(query=f"page={page + 1}")}>; rel="next"' if page < 3 else ""
        links += f'{", " if links else ""}<{request.url.replace(query="page=1")}>; rel="first"'
        return JSONResponse({"data": [page * 10, page * 10 + 1]}, headers={"Link": links})

    @app.get("/r4/list/numbered")
    async def numbered(page: int) -> list:
        return [f"row-{page}-{i}" for i in range(2)] if page <= 4 else []

    @app.get("/r4/list/cursor")
    async def cursor(cursor: str = "start") -> dict:
        following = {"start": "c2", "c2": "c3", "c3": None}[cursor]
        return {"data": [cursor], "meta": {"next_cursor": following}}

    @app.get("/r4/list/elsewhere")
    async def elsewhere() -> dict:
        return {"items": [1], "next": "http://other.example.com/r4/list/elsewhere?page=2"}

    return app


@pytest.fixture(scope="module")
def api4():
    """The round-4 API on a free local port: (its base URL, its state)."""
    import uvicorn

    app = build_round4_api()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", app.state.round4
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


def ledger_dump(root: Path) -> str:
    """Every row of every table of the project's ledger, as text."""
    with sqlite3.connect(root / ".retake" / "retake.db") as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        return "\n".join(f"{t}: {row}" for t in tables for row in conn.execute(f'select * from "{t}"'))


def tokens_of(state: dict, user: str) -> list[str]:
    return [entry.split(":", 1)[1] for entry in state["issued"] if entry.split(":", 1)[0] == user]


# --- 1. credentials: masked from the moment they are sent or received; a login is not an effect ---------------
def test_a_token_from_a_login_answer_reaches_no_log_message_runs_show_or_ledger_table(
        make_project, embedded, api4, monkeypatch) -> None:
    base, state = api4
    monkeypatch.setenv("API_PASSWORD", PASSWORD)
    root = make_project(f"""\
        robots:
          leaky:
            secrets: [API_PASSWORD]
            items: [PO-1]
            steps:
              - id: login
                http.post: {{url: "{base}/r4/auth", json: {{user: leaky, password: "{{{{ secrets.API_PASSWORD }}}}"}}}}
              - log: "logged in as {{{{ steps.login.json.user }}}} with {{{{ steps.login.json.token }}}}"
              - http.post:
                  url: "{base}/r4/orders?auth=1"
                  auth: {{bearer: "{{{{ steps.login.json.token }}}}"}}
                  json: {{order_no: "{{{{ item }}}}"}}
                  expect: [201]
        """)
    record, items, ledger, log = run(root, "leaky")
    (token,) = tokens_of(state, "leaky")  # the stale first token: the API answers 401 and echoes it
    message = items[0]["error_message"]
    assert items[0]["error_kind"] == "business"
    assert message.startswith(f"POST {base}/r4/orders answered 401 Unauthorized: ")
    assert '"token *** expired or invalid"' in message and "(expected 201)" in message
    assert "logged in as {'name': 'leaky', 'refresh_token': '***'} with ***" in log  # the robot had the real one
    shown = retake(root, "runs", "show", record["id"]).stdout + retake(root, "runs", "show", record["id"], "--json").stdout
    assert record["id"] in shown
    dump = ledger_dump(root)
    for where, text in (("log", log), ("runs show", shown), ("ledger", dump)):
        assert token not in text and f"rt_{token}" not in text and PASSWORD not in text, where
    assert ledger.checkpoints_for(items[0]["id"]) == {}  # the login sent a secret: not an effect


def test_an_expired_token_logs_in_again_when_the_item_starts_again(make_project, embedded, api4, monkeypatch) -> None:
    base, state = api4
    monkeypatch.setenv("API_PASSWORD", PASSWORD)
    root = make_project(f"""\
        robots:
          refresh:
            secrets: [API_PASSWORD]
            items: [PO-2]
            steps:
              - id: login
                http.post: {{url: "{base}/r4/auth", json: {{user: refresh, password: "{{{{ secrets.API_PASSWORD }}}}"}}}}
              - id: created
                http.post:
                  url: "{base}/r4/orders?auth=1"
                  auth: {{bearer: "{{{{ steps.login.json.token }}}}"}}
                  json: {{order_no: "{{{{ item }}}}"}}
                  expect: [201, 401]
              - if: "{{{{ steps.created.status == 401 }}}}"
                fail: {{message: "the token expired", retry: true}}
              - set: {{order: "{{{{ steps.created.json.id }}}}"}}
        """)
    record, items, ledger, log = run(root, "refresh")
    assert record["status"] == "succeeded", items[0]["error_message"]
    stale, good = tokens_of(state, "refresh")  # logged in again: the recorded stale token was not reused
    assert items[0]["output"]["order"].startswith("ORD-")
    assert stale not in log and good not in log and stale not in ledger_dump(root)
    assert "steps.login" not in ledger.checkpoints_for(items[0]["id"])


def test_credential_headers_basic_passwords_and_refused_answers_are_masked(make_project, embedded, api4) -> None:
    from orchestrator.logs import mask

    base, _ = api4
    root = make_project(f"""\
        robots:
          keys:
            items: [sent, refused]
            steps:
              - if: "{{{{ item == 'sent' }}}}"
                http.get:
                  url: "{base}/r4/echo-key"
                  headers: {{X-API-Key: k-literal-5566, Idempotency-Key: not-a-secret-77}}
                  auth: {{username: clerk, password: p-literal-7788}}
              - if: "{{{{ item == 'refused' }}}}"
                http.post: {{url: "{base}/r4/refuse", json: {{a: 1}}}}
        """)
    _, items, _, log = run(root, "keys")
    by_key = {i["key"]: i["error_message"] for i in items}
    assert by_key["sent"].endswith("403 Forbidden: key *** refused for Basic *** (idempotency key not-a-secret-77) "
                                   "(expected 2xx)")
    assert by_key["refused"].endswith('{"error":"validation failed","fields":{"password":"***"},'
                                      '"access_token":"***"} (expected 2xx)')
    assert mask("too short") == "too short"  # a refused answer's words are not secrets from then on
    for text in (log, ledger_dump(root)):
        assert "k-literal-5566" not in text and "p-literal-7788" not in text and "atk-refused-31337" not in text


def test_a_login_is_a_body_that_sends_a_whole_secret_not_one_that_holds_it_inside_a_word() -> None:
    from connectors.http_credentials import sends_credential

    assert sends_credential({"user": "robot", "password": "pw-r4-login"}, ["pw-r4-login"])
    assert sends_credential("user=robot&password=p%40ss-r4", ["p@ss-r4"])  # a raw form body, encoded
    assert not sends_credential({"created_by": "administrator-r4"}, ["administrator"])
    assert not sends_credential({"order_no": "PO-1"}, ["pw-r4-login"]) and not sends_credential(None, ["x"])


# --- 2. a change whose outcome is unknown is not sent again without an Idempotency-Key ----------------------------
def test_a_timed_out_post_is_not_sent_again_without_an_idempotency_key(make_project, embedded, api4) -> None:
    base, state = api4
    root = make_project(f"""\
        robots:
          slow:
            {ROBOT_RETRY}
            items: [PO-301, PO-302]
            steps:
              - http.post:
                  url: "{base}/r4/orders"
                  json: {{order_no: "{{{{ item }}}}", slow: 2}}
                  timeout: 1s
                  idempotency_key: "{{{{ item == 'PO-302' }}}}"
        """)
    record, items, ledger, _ = run(root, "slow")
    created = [o["order_no"] for o in state["orders"]]
    assert created.count("PO-301") == 1 and created.count("PO-302") == 1  # not once per try
    failed, keyed = items
    assert failed["error_kind"] == "application"
    message = failed["error_message"]
    assert message.startswith(f"POST {base}/r4/orders: no answer within 1s; the server may have done it")
    assert "Idempotency-Key" in message and "retake rerun" in message
    assert len([t for t in ledger.attempts_for(record["id"]) if t["item_id"] == failed["id"]]) == 1
    assert keyed["status"] == "succeeded"  # with a key it was retried, and the API replayed its first answer
    keys = [p["key"] for p in state["order_posts"] if p["order_no"] == "PO-302"]
    assert len(keys) == 2 and keys[0] == keys[1] == f"{record['id']}-PO-302-step1"


def test_a_gateway_error_on_a_post_is_not_retried_but_429_and_503_are(make_project, embedded, api4) -> None:
    base, state = api4
    root = make_project(f"""\
        robots:
          gateways:
            {ROBOT_RETRY}
            items: [bad-gateway, too-many, unavailable, put-504]
            steps:
              - if: "{{{{ item == 'bad-gateway' }}}}"
                http.post: {{url: "{base}/r4/busy/r4-502?status=502", json: {{}}}}
              - if: "{{{{ item == 'too-many' }}}}"
                http.post: {{url: "{base}/r4/busy/r4-429?status=429", json: {{}}}}
              - if: "{{{{ item == 'unavailable' }}}}"
                http.post: {{url: "{base}/r4/busy/r4-503?status=503", json: {{}}}}
              - if: "{{{{ item == 'put-504' }}}}"
                http.request: {{method: PUT, url: "{base}/r4/busy/r4-put?status=504", json: {{}}}}
        """)
    _, items, _, _ = run(root, "gateways")
    by_key = {i["key"]: i for i in items}
    assert by_key["bad-gateway"]["status"] == "failed" and by_key["bad-gateway"]["error_kind"] == "application"
    assert "502 Bad Gateway" in by_key["bad-gateway"]["error_message"]
    assert len(state["calls"]["r4-502"]) == 1
    assert [by_key[k]["status"] for k in ("too-many", "unavailable", "put-504")] == ["succeeded"] * 3
    assert len(state["calls"]["r4-429"]) == len(state["calls"]["r4-503"]) == len(state["calls"]["r4-put"]) == 2


def test_a_rerun_sends_the_idempotency_key_of_the_run_it_repeats(make_project, embedded, api4) -> None:
    from orchestrator.submit import rerun, wait_embedded

    base, state = api4
    root = make_project(f"""\
        robots:
          keyed:
            retry: {{attempts: 1, backoff: 0s, max_backoff: 0s}}
            items: [PO-401, PO-402]
            steps:
              - id: created
                http.post:
                  url: "{base}/r4/orders"
                  json: {{order_no: "{{{{ item }}}}", slow: "{{{{ 2 if item == 'PO-402' else 0 }}}}"}}
                  timeout: 1s
                  idempotency_key: true
        """)
    first, items, _, _ = run(root, "keyed")
    assert {i["key"]: i["status"] for i in items} == {"PO-401": "succeeded", "PO-402": "failed"}
    assert "no answer within 1s" in items[1]["error_message"] and "may have done" not in items[1]["error_message"]
    loaded = load_project(root)
    second = wait_embedded(loaded, rerun(loaded, first["id"]))
    assert second["status"] == "succeeded"
    posts = [p["key"] for p in state["order_posts"] if p["order_no"] == "PO-402"]
    assert posts == [f"{first['id']}-PO-402-created"] * 2  # the rerun (a new run) sent the same key
    assert [o["order_no"] for o in state["orders"]].count("PO-402") == 1


# --- 3. Retry-After ------------------------------------------------------------------------------------------
def test_a_retry_after_answer_is_retried_no_sooner_than_the_server_asks(
        make_project, embedded, api4) -> None:
    base, state = api4
    root = make_project(f"""\
        robots:
          patient:
            {ROBOT_RETRY}
            items: [seconds, capped]
            steps:
              - if: "{{{{ item == 'seconds' }}}}"
                http.post: {{url: "{base}/r4/busy/r4-after?status=429&wait=2", json: {{}}}}
              - if: "{{{{ item == 'capped' }}}}"
                http.post: {{url: "{base}/r4/busy/r4-long?status=503&wait=7200", json: {{}}}}
                retry: {{attempts: 1}}
        """)
    record, items, ledger, _ = run(root, "patient")
    first, second = state["calls"]["r4-after"]
    assert second - first >= 1.9  # the robot's own backoff is 0s
    seconds = next(i for i in items if i["key"] == "seconds")
    tries = {t["number"]: t for t in ledger.attempts_for(record["id"]) if t["item_id"] == seconds["id"]}
    assert "429 Too Many Requests" in tries[1]["error_message"] and "(Retry-After 2s)" in tries[1]["error_message"]
    capped = next(i for i in items if i["key"] == "capped")
    assert "(Retry-After 7200s, waiting 300s at most)" in capped["error_message"]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from connectors.http_retries import retry_after

    now = dt.datetime(2026, 3, 14, 9, 0, tzinfo=dt.UTC)
    assert retry_after("6") == 6.0 and retry_after(" 1.5 ") == 1.5
    assert retry_after("Sat, 14 Mar 2026 09:00:30 GMT", now=now) == 30.0
    assert retry_after("Sat, 14 Mar 2026 08:00:00 GMT", now=now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


# --- 4. pages ---------------------------------------------------------------------------------------------------
def test_pages_follow_a_next_link_a_link_header_page_numbers_and_a_cursor(make_project, embedded, api4) -> None:
    base, _ = api4
    root = make_project(f"""\
        robots:
          paged:
            steps:
              - id: linked
                http.get: {{base_url: "{base}", url: /r4/list/next, pages: {{items: json.items, next: json.next}}}}
              - id: header
                http.get: {{url: "{base}/r4/list/link", pages: {{items: json.data, next: link}}}}
              - id: numbered
                http.get: {{url: "{base}/r4/list/numbered", pages: {{param: page}}}}
              - id: cursor
                http.get: {{url: "{base}/r4/list/cursor", pages: {{items: json.data, next: json.meta.next_cursor, param: cursor}}}}
              - set:
                  linked: "{{{{ steps.linked.items | map(attribute='id') | list }}}}"
                  linked_pages: "{{{{ steps.linked.pages }}}}"
                  header: "{{{{ steps.header['items'] }}}}"
                  numbered: "{{{{ steps.numbered['items'] | length }}}}"
                  numbered_pages: "{{{{ steps.numbered.pages }}}}"
                  cursor: "{{{{ steps.cursor['items'] }}}}"
        """)
    out, _ = output_of(root, "paged")
    assert out["linked"] == [f"N-{i}" for i in range(1, 8)] and out["linked_pages"] == 3
    assert out["header"] == [10, 11, 20, 21, 30, 31]
    assert out["numbered"] == 8 and out["numbered_pages"] == 4
    assert out["cursor"] == ["start", "c2", "c3"]


def test_pages_fail_when_max_pages_is_reached_with_pages_left_and_refuse_another_server(
        make_project, embedded, api4) -> None:
    base, _ = api4
    root = make_project(f"""\
        robots:
          capped:
            items: [next, numbered, exact, elsewhere]
            steps:
              - if: "{{{{ item == 'next' }}}}"
                http.get: {{url: "{base}/r4/list/next", pages: {{items: json.items, next: json.next, max_pages: 2}}}}
              - if: "{{{{ item == 'numbered' }}}}"
                http.get: {{url: "{base}/r4/list/numbered", pages: {{param: page, max_pages: 3}}}}
              - if: "{{{{ item == 'exact' }}}}"
                http.get: {{url: "{base}/r4/list/numbered", pages: {{param: page, max_pages: 4}}}}
              - if: "{{{{ item == 'elsewhere' }}}}"
                http.get: {{url: "{base}/r4/list/elsewhere", pages: {{items: json.items, next: json.next}}}}
        """)
    _, items, _, _ = run(root, "capped")
    by_key = {i["key"]: i for i in items}
    assert by_key["next"]["error_kind"] == "business"
    assert by_key["next"]["error_message"].startswith(f"pages: more than max_pages (2) pages at {base}/r4/list/next")
    assert "more than max_pages (3) pages" in by_key["numbered"]["error_message"]
    assert by_key["exact"]["status"] == "succeeded"  # 4 pages and an empty fifth: all read
    assert "on another server (http://other.example.com)" in by_key["elsewhere"]["error_message"]


def test_pages_arguments_are_checked_before_a_run(make_project) -> None:
    from orchestrator.errors import ConfigError

    for pages, wanted in (("{items: json.items}", "say where the next page is"),
                          ("{next: body.next}", "is not a path in the answer"),
                          ("{param: page, max_pages: 0}", "max_pages")):
        root = make_project(f"""\
            robots:
              wrong:
                steps:
                  - http.get: {{url: "http://127.0.0.1:9/x", pages: {pages}}}
            """)
        with pytest.raises(ConfigError, match=wanted):
            load_project(root)


# --- 5. small ones ----------------------------------------------------------------------------------------------
def test_an_expect_status_outside_100_to_599_is_refused_when_the_robot_is_loaded(make_project) -> None:
    from orchestrator.errors import ConfigError

    root = make_project("""\
        robots:
          typo:
            steps:
              - http.post: {url: "http://127.0.0.1:9/orders", json: {a: 1}, expect: [201, 2001]}
        """)
    with pytest.raises(ConfigError, match="2001 is not an HTTP status: statuses are 100 to 599"):
        load_project(root)


def test_a_long_statement_is_cut_between_words_not_inside_a_placeholder(make_project, embedded) -> None:
    columns = ", ".join(f"column_number_{i}" for i in range(12))
    values = ", ".join(f":column_number_{i}" for i in range(12))
    root = make_project(f"""\
        robots:
          long:
            steps:
              - sql.execute:
                  url: "sqlite:///data/app.db"
                  sql: "insert into nowhere ({columns}) values ({values})"
        """, files={"data/.keep": ""})
    _, items, _, _ = run(root, "long")
    message = items[0]["error_message"]
    statement = message.split("(in: ", 1)[1][:-1]
    assert statement.endswith(" ...") and len(statement) <= 304
    assert f"insert into nowhere ({columns}) values (" in statement
    last = statement[:-4].split()[-1].strip(",(")
    assert last.startswith(":column_number_") and last[len(":column_number_"):].isdigit()  # a whole name


def test_a_postgres_failing_row_is_not_shown_but_its_constraint_is(make_project, embedded, postgres_url,
                                                                      monkeypatch) -> None:
    monkeypatch.setenv("DB_URL", postgres_url)
    root = make_project("""\
        robots:
          rows:
            secrets: [DB_URL]
            steps:
              - sql.execute: {url: "{{ secrets.DB_URL }}", sql: "create table po (po_no text, customer text check (customer <> 'Umbrella Corp'))"}
              - sql.execute:
                  url: "{{ secrets.DB_URL }}"
                  sql: "insert into po (po_no, customer) values (:po_no, :customer)"
                  params: {po_no: PO-004, customer: Umbrella Corp}
        """)
    _, items, _, _ = run(root, "rows")
    message = items[0]["error_message"]
    assert 'violates check constraint "po_customer_check"' in message
    assert "Umbrella" not in message and "PO-004" not in message and "Failing row" not in message
