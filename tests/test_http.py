"""http.request / http.get / http.post against a real local API: JSON, query, auth, upload, download,
cookies, business vs application failures, and secrets kept out of logs and the ledger."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Annotated

import pytest
from fastapi import FastAPI, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from robot_support import output_of, run

from orchestrator.loader import load_project

TOKEN = "tok-7f3a9c2e51"
KEY = "key-9b8c7d6e"


def build_api() -> FastAPI:
    app = FastAPI()
    calls: dict[str, int] = {}

    @app.get("/echo")
    async def echo(request: Request) -> dict:
        return {"params": dict(request.query_params), "auth": request.headers.get("authorization"),
                "agent": request.headers.get("x-robot")}

    @app.post("/orders")
    async def orders(request: Request) -> JSONResponse:
        return JSONResponse({"received": await request.json(), "id": 17}, status_code=201)

    @app.post("/upload")
    async def upload(kind: Annotated[str, Form()], file: Annotated[list[UploadFile], File()]) -> dict:
        return {"kind": kind, "files": {f.filename: len(await f.read()) for f in file}}

    @app.get("/report.pdf")
    async def report() -> Response:
        return Response(b"%PDF-1.4 fake report", media_type="application/pdf")

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("plain words")

    @app.get("/status/{code}")
    async def status(code: int, request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"status {code} for {request.headers.get('authorization')}", status_code=code)

    @app.get("/flaky/{name}")
    async def flaky(name: str, fail: int) -> PlainTextResponse:
        calls[name] = calls.get(name, 0) + 1
        if calls[name] <= fail:
            return PlainTextResponse("busy, try later", status_code=503)
        return PlainTextResponse(f"ok after {calls[name]}")

    @app.post("/login")
    async def login(response: Response) -> dict:
        response.set_cookie("session", "s-123")
        return {"ok": True}

    @app.get("/me")
    async def me(request: Request) -> dict:
        return {"session": request.cookies.get("session")}

    return app


@pytest.fixture(scope="module")
def api() -> str:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(build_api(), log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()



def test_json_query_parameters_bearer_auth_and_text(make_project, embedded, api, monkeypatch) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    root = make_project(f"""\
        robots:
          fetch:
            secrets: [API_TOKEN]
            steps:
              - id: echo
                http.get:
                  url: {api}/echo
                  params: {{currency: KRW, page: 2}}
                  headers: {{X-Robot: retake}}
                  auth: {{bearer: "{{{{ secrets.API_TOKEN }}}}"}}
              - id: text
                http.get: {api}/text
              - id: created
                http.post: {{url: {api}/orders, json: {{vendor: ACME, total: 12.5}}, expect: [201]}}
              - set:
                  seen: "{{{{ steps.echo.json.params }}}}"
                  words: "{{{{ steps.text.text }}}}"
                  order: "{{{{ steps.created.json }}}}"
                  status: "{{{{ steps.created.status }}}}"
                  auth_seen: "{{{{ steps.echo.json.auth }}}}"
        """)
    record, items, _, log = run(root, "fetch")
    assert record["status"] == "succeeded", items[0]["error_message"]
    out = items[0]["output"]
    assert out["seen"] == {"currency": "KRW", "page": "2"}
    assert out["words"] == "plain words"
    assert out["order"] == {"received": {"vendor": "ACME", "total": 12.5}, "id": 17}
    assert out["status"] == 201
    assert out["auth_seen"] == "Bearer ***"  # the server saw the token; the ledger keeps it masked
    assert TOKEN not in log and TOKEN not in json.dumps(items, default=str)


def test_upload_with_form_fields_and_download_to_a_file(make_project, embedded, api) -> None:
    root = make_project(f"""\
        robots:
          files:
            steps:
              - id: up
                http.request:
                  method: post
                  url: {api}/upload
                  form: {{kind: invoices}}
                  files: {{file: [data/a.txt, data/b.csv]}}
              - id: down
                http.get: {{url: {api}/report.pdf, save: out/report.pdf}}
              - set: {{up: "{{{{ steps.up.json }}}}", down: "{{{{ steps.down }}}}"}}
        """, files={"data/a.txt": "hello", "data/b.csv": "a,b\n1,2\n"})
    out, _ = output_of(root, "files")
    assert out["up"] == {"kind": "invoices", "files": {"a.txt": 5, "b.csv": 8}}
    assert out["down"]["path"] == "out/report.pdf" and "text" not in out["down"]
    assert out["down"]["headers"]["content-type"] == "application/pdf"
    assert (root / "out" / "report.pdf").read_bytes() == b"%PDF-1.4 fake report"


def test_cookies_of_a_login_are_sent_by_later_calls_to_the_same_base_url(make_project, embedded, api) -> None:
    root = make_project(f"""\
        robots:
          session:
            steps:
              - id: login
                http.post: {{base_url: "{api}", url: /login}}
              - id: me
                http.get: {{base_url: "{api}", url: /me}}
              - set: {{me: "{{{{ steps.me.json }}}}", login_headers: "{{{{ steps.login.headers }}}}"}}
        """)
    out, _ = output_of(root, "session")
    assert out["me"] == {"session": "s-123"}
    assert "content-type" in out["login_headers"]
    assert "set-cookie" not in out["login_headers"]  # cookies stay in the client


def test_a_4xx_is_a_business_failure_with_method_url_status_and_body_never_retried(
        make_project, embedded, api, monkeypatch) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    monkeypatch.setenv("API_KEY", KEY)
    root = make_project(f"""\
        robots:
          missing:
            secrets: [API_TOKEN, API_KEY]
            steps:
              - http.get:
                  url: "{api}/status/404?api_key={{{{ secrets.API_KEY }}}}"
                  auth: {{bearer: "{{{{ secrets.API_TOKEN }}}}"}}
        """)
    record, items, ledger, log = run(root, "missing")
    assert record["status"] == "failed"
    item = items[0]
    assert item["error_kind"] == "business"
    assert item["error_message"] == (f"GET {api}/status/404 answered 404 Not Found: status 404 for Bearer *** "
                                     "(expected 2xx)")
    assert len(ledger.attempts_for(record["id"])) == 1
    assert KEY not in log and TOKEN not in log and KEY not in item["error_message"]


def test_a_5xx_is_retried_and_succeeds_when_the_server_recovers(make_project, embedded, api) -> None:
    root = make_project(f"""\
        robots:
          busy:
            steps:
              - id: call
                http.get: {{url: "{api}/flaky/busy", params: {{fail: 2}}}}
              - set: {{text: "{{{{ steps.call.text }}}}"}}
        """)
    record, items, ledger, _ = run(root, "busy")
    assert record["status"] == "succeeded", items[0]["error_message"]
    assert items[0]["output"]["text"] == "ok after 3"
    tries = ledger.attempts_for(record["id"])
    assert [(t["number"], t["status"], t["error_kind"]) for t in tries] == [
        (1, "failed", "application"), (2, "failed", "application"), (3, "succeeded", None)]
    assert "503 Service Unavailable: busy, try later" in tries[0]["error_message"]


def test_a_server_that_stays_down_fails_the_item_as_an_application_failure(make_project, embedded) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = make_project(f"""\
        robots:
          down:
            steps:
              - http.get: {{url: "http://127.0.0.1:{port}/x", timeout: 2s}}
        """)
    record, items, ledger, _ = run(root, "down")
    assert items[0]["error_kind"] == "application"
    assert f"GET http://127.0.0.1:{port}/x: the connection failed" in items[0]["error_message"]
    assert len(ledger.attempts_for(record["id"])) == 3


def test_an_accepted_status_list_and_bad_arguments(make_project, embedded, api) -> None:
    from orchestrator.errors import ConfigError

    root = make_project(f"""\
        robots:
          gone:
            steps:
              - id: gone
                http.get: {{url: "{api}/status/410", expect: [200, 410]}}
              - set: {{status: "{{{{ steps.gone.status }}}}"}}
              - http.post: {{url: "{api}/status/{{{{ steps.gone.status }}}}", json: {{a: 1}}}}
        """)
    _, items, _, _ = run(root, "gone")
    assert items[0]["error_kind"] == "business"
    assert items[0]["error_step"] == "http.post"  # the 410 step passed: it was expected
    assert "410" in items[0]["error_message"]
    plain = make_project(f"""\
        robots:
          both:
            steps:
              - http.post: {{url: "{api}/orders", json: {{a: 1}}, data: "a=1"}}
        """)
    with pytest.raises(ConfigError, match="http.post: give one body: json and data were given"):
        load_project(plain)  # without templates the mistake is found before any run


def test_only_calls_that_change_data_are_kept_from_being_repeated(make_project, embedded, api) -> None:
    root = make_project(f"""\
        robots:
          sync:
            steps:
              - {{id: read, http.request: {{method: GET, url: "{api}/text"}}}}
              - {{id: write, http.request: {{method: POST, url: "{api}/orders", json: {{a: 1}}}}}}
        """)
    record, items, ledger, _ = run(root, "sync")
    assert record["status"] == "succeeded", items[0]["error_message"]
    kept = ledger.checkpoints_for(items[0]["id"])
    assert list(kept) == ["steps.write"]  # a redelivered item reads again but does not post again
