"""The HTTP API: every route x every role x no token, then what each route does, on the embedded default."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROBOTS = """\
robots:
  greet:
    manual_minutes: 2
    inputs: {who: {default: world}}
    steps: [{log: "Hello {{ inputs.who }}"}]
  needs_input:
    inputs: {amount: {required: true, type: integer}}
    steps: [{log: "{{ inputs.amount }}"}]
  flaky:
    manual_minutes: 3
    exception_minutes: 5
    items: [1, 2, 3, 4, 5]
    steps:
      - if: "{{ item in [2, 4] }}"
        fail: "item {{ item }} is bad"
      - log: ok
  slow:
    items: [%s]
    chunk_size: 5
    steps: [{sleep: 0.15s}]
""" % ", ".join(str(n) for n in range(30))

ROLES = ("viewer", "operator", "admin")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5d3"
                    "c4a60000000049454e44ae426082")


class Api:
    """A TestClient on a project, with one token per role and helpers to wait for runs."""

    def __init__(self, root: Path, client: Any, tokens: dict[str, str]):
        self.root, self.client, self.tokens = root, client, tokens

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def call(self, method: str, path: str, role: str | None = "admin", **kwargs: Any) -> Any:
        return self.client.request(method, path, headers=self.headers(role), **kwargs)

    def wait(self, run_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.call("GET", f"/api/runs/{run_id}").json()
            if run["status"] in ("succeeded", "partial", "failed", "cancelled"):
                return run
            time.sleep(0.05)
        raise AssertionError(f"run {run_id} did not finish in {timeout}s")

    def start(self, robot: str, **inputs: Any) -> str:
        response = self.call("POST", f"/api/robots/{robot}/runs", json={"inputs": inputs})
        assert response.status_code == 202, response.text
        return response.json()["run_id"]


@contextlib.contextmanager
def open_api(root: Path) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from orchestrator import projects
    from orchestrator.loader import load_project
    from orchestrator.web.app import create_app
    from orchestrator.web.tokens import create_token

    engine = projects.ledger_for(load_project(root)).engine
    tokens = {role: create_token(engine, role=role, name=f"test {role}")[1] for role in ROLES}
    with TestClient(create_app(root, threads=2)) as client:
        yield Api(root, client, tokens)


def add_finished_runs(api: Api) -> dict[str, str]:
    """A succeeded run of greet and a partial run of flaky, with a screenshot artifact on a failed item."""
    from sqlalchemy import insert, select

    from orchestrator import projects
    from orchestrator.ledger.store import utcnow
    from orchestrator.ledger.tables import artifacts, items
    from orchestrator.loader import load_project

    greet = api.start("greet", who="matrix")
    flaky = api.start("flaky")
    api.wait(greet), api.wait(flaky)
    shot = api.root / ".retake" / "runs" / flaky / "artifacts" / "item-00001" / "failure.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(PNG)
    engine = projects.ledger_for(load_project(api.root)).engine
    with engine.begin() as conn:
        item_id = conn.execute(select(items.c.id).where(items.c.run_id == flaky, items.c.idx == 1)).scalar()
        conn.execute(insert(artifacts).values(run_id=flaky, item_id=item_id, kind="screenshot",
                                              path=str(shot.relative_to(api.root)), step="fail",
                                              created_at=utcnow()))
    return {"greet": greet, "flaky": flaky, "screenshot": str(shot.relative_to(api.root))}


@pytest.fixture
def api(make_project, embedded) -> Iterator[Api]:  # noqa: ANN001
    with open_api(make_project(ROBOTS)) as opened:
        yield opened


@pytest.fixture
def finished_runs(api: Api) -> dict[str, str]:
    return add_finished_runs(api)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[tuple[Api, dict[str, str]]]:  # noqa: ANN001
    """One project and server for the whole route x role matrix (the embedded default, set up by hand)."""
    from conftest import MANIFEST_HEAD

    from orchestrator import submit
    from orchestrator.broker import setup_broker

    with pytest.MonkeyPatch.context() as patch:
        for name in ("RETAKE_BROKER_URL", "RETAKE_DATABASE_URL", "RETAKE_PROJECT"):
            patch.delenv(name, raising=False)
        submit.stop_embedded_worker()
        setup_broker(None, force=True)
        root = tmp_path_factory.mktemp("matrix") / "project"
        root.mkdir()
        (root / "robots.yaml").write_text(MANIFEST_HEAD + ROBOTS, encoding="utf-8")
        try:
            with open_api(root) as opened:
                yield opened, add_finished_runs(opened)
        finally:
            submit.stop_embedded_worker()


# (method, path template, lowest role, json body, status when allowed)
ROUTES = [
    ("GET", "/metrics", "viewer", None, 200),
    ("GET", "/api/runs", "viewer", None, 200),
    ("GET", "/api/runs/{greet}", "viewer", None, 200),
    ("GET", "/api/runs/{greet}/log", "viewer", None, 200),
    ("GET", "/api/report", "viewer", None, 200),
    ("GET", "/api/robots", "viewer", None, 200),
    ("GET", "/files/{screenshot}", "viewer", None, 200),
    ("POST", "/api/robots/greet/runs", "operator", {"inputs": {"who": "x"}}, 202),
    ("POST", "/api/runs/{greet}/cancel", "operator", None, 409),
    ("POST", "/api/runs/{flaky}/rerun", "operator", None, 202),
    ("GET", "/api/tokens", "admin", None, 200),
    ("POST", "/api/tokens", "admin", {"role": "viewer", "name": "made in a test"}, 201),
    ("DELETE", "/api/tokens/{spare}", "admin", None, 200),
]
LEVEL = {"viewer": 1, "operator": 2, "admin": 3}


@pytest.mark.parametrize("role", [None, *ROLES], ids=["no-token", *ROLES])
@pytest.mark.parametrize(("method", "path", "needed", "body", "allowed"), ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in ROUTES])
def test_every_route_for_every_role(shared: tuple[Api, dict[str, str]], role: str | None, method: str,
                                    path: str, needed: str, body: Any, allowed: int) -> None:
    from orchestrator import projects
    from orchestrator.loader import load_project
    from orchestrator.web.tokens import create_token

    api, finished_runs = shared
    spare, _ = create_token(projects.ledger_for(load_project(api.root)).engine, role="viewer", name="spare")
    url = path.format(spare=spare, **finished_runs)
    response = api.call(method, url, role, json=body)
    if role is None:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    elif LEVEL[role] < LEVEL[needed]:
        assert response.status_code == 403, response.text
        assert needed in response.json()["detail"]
    else:
        assert response.status_code == allowed, response.text


def test_health_needs_no_token_and_a_wrong_or_revoked_token_is_refused(api: Api) -> None:
    assert api.call("GET", "/health", None).json() == {"status": "ok", "ledger": "ok"}
    assert api.client.get("/api/runs", headers={"Authorization": "Bearer rtk_nonsense"}).status_code == 401
    assert api.client.get("/api/runs", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    from orchestrator import projects
    from orchestrator.loader import load_project
    from orchestrator.web.tokens import revoke_token

    assert api.call("GET", "/api/runs", "viewer").status_code == 200
    assert revoke_token(projects.ledger_for(load_project(api.root)).engine, "test viewer")
    assert api.call("GET", "/api/runs", "viewer").status_code == 401


def test_a_run_started_over_http_runs_with_its_inputs(api: Api) -> None:
    response = api.call("POST", "/api/robots/greet/runs", "operator", json={"inputs": {"who": "Seoul"}})
    assert response.status_code == 202 and response.json()["trigger"] == "api"
    run = api.wait(response.json()["run_id"])
    assert run["status"] == "succeeded" and run["inputs"] == {"who": "Seoul"}
    assert any("Hello Seoul" in line["message"] for line in api.call("GET", run["log_url"]).json())
    listed = api.call("GET", "/api/runs", params={"robot": "greet", "status": "succeeded"}).json()
    assert [r["run_id"] for r in listed] == [run["run_id"]]


def test_unknown_robots_and_bad_inputs_are_client_errors(api: Api) -> None:
    assert api.call("POST", "/api/robots/nobody/runs", json={}).status_code == 404
    missing = api.call("POST", "/api/robots/needs_input/runs", json={"inputs": {}})
    assert missing.status_code == 422 and "amount" in missing.json()["detail"]
    assert api.call("POST", "/api/robots/greet/runs", json={"inputs": {"who": "a"}, "extra": 1}).status_code == 422
    assert api.call("POST", "/api/robots/greet/runs", json={"whom": "a"}).status_code == 422  # not an input
    direct = api.call("POST", "/api/robots/greet/runs", json={"who": "directly"}, params={"wait": 20})
    assert direct.json()["status"] == "succeeded" and direct.json()["inputs"] == {"who": "directly"}
    assert api.call("GET", "/api/runs/no-such-run").status_code == 404
    assert api.call("GET", "/api/report", params={"since": "someday"}).status_code == 422


def test_cancel_stops_the_items_not_yet_worked(api: Api) -> None:
    run_id = api.start("slow")
    deadline = time.monotonic() + 20
    while api.call("GET", f"/api/runs/{run_id}").json()["items"]["succeeded"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    response = api.call("POST", f"/api/runs/{run_id}/cancel", "operator")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    time.sleep(0.5)  # the worker finishes the item in hand, then finds nothing left to do
    run = api.call("GET", f"/api/runs/{run_id}").json()
    assert run["status"] == "cancelled" and "test operator" in run["error"]
    assert run["items"]["cancelled"] >= 20 and run["items"]["succeeded"] <= 10
    assert run["item_counts"].get("pending", 0) == 0 and run["item_counts"].get("running", 0) == 0
    assert api.call("POST", f"/api/runs/{run_id}/cancel").status_code == 409


def test_rerun_makes_a_new_run_of_the_failed_items_only(api: Api) -> None:
    first = api.wait(api.start("flaky"))
    assert first["status"] == "partial" and first["items"]["failed"] == 2
    response = api.call("POST", f"/api/runs/{first['run_id']}/rerun", "operator")
    assert response.status_code == 202
    second = api.wait(response.json()["run_id"])
    assert second["parent_run_id"] == first["run_id"] and second["trigger"] == "rerun"
    assert [i["key"] for i in second["items_detail"]] == ["2", "4"]
    failed = second["items_detail"][0]
    assert failed["error"] == {"kind": "business", "message": "item 2 is bad", "step": "fail"}
    assert failed["deliveries"] == 1 and failed["attempts"][0]["status"] == "failed"
    assert second["status"] == "failed"  # the data is still bad
    ok = api.wait(api.start("greet"))
    assert api.call("POST", f"/api/runs/{ok['run_id']}/rerun").status_code == 409


def test_report_over_http_is_the_report_of_the_command(api: Api, finished_runs: dict[str, str]) -> None:
    import json

    from typer.testing import CliRunner

    from orchestrator.cli import _register, app

    _register()
    printed = CliRunner().invoke(app, ["report", "--format", "json", "--since", "7d", "--project", str(api.root)])
    served = api.call("GET", "/api/report", "viewer", params={"since": "7d"}).json()
    assert served == json.loads(printed.stdout)
    flaky = next(line for line in served["robots"] if line["robot"] == "flaky")
    assert (flaky["items_succeeded"], flaky["items_failed"], flaky["items_failed_business"]) == (3, 2, 2)


def test_metrics_count_runs_items_and_queue_depth(api: Api, finished_runs: dict[str, str]) -> None:
    text = api.call("GET", "/metrics", "viewer").text
    assert 'retake_runs_total{robot="greet",status="succeeded"} 1.0' in text
    assert 'retake_items_total{robot="flaky",status="failed"} 2.0' in text
    assert 'retake_run_duration_seconds_count{robot="flaky"} 1.0' in text
    assert 'retake_queue_depth{kind="runs",robot="greet"} 0.0' in text
    assert "retake_manual_hours_saved_total" in text


def test_files_are_served_only_from_the_runs_folder(api: Api, finished_runs: dict[str, str]) -> None:
    shot = api.call("GET", f"/files/{finished_runs['screenshot']}", "viewer")
    assert shot.status_code == 200 and shot.content == PNG and shot.headers["content-type"] == "image/png"
    for path in ("/files/robots.yaml", "/files/.retake/retake.db", "/files/.retake/runs/../retake.db",
                 "/files/..%2F..%2Fetc%2Fpasswd", "/files/.retake/runs/%2e%2e/%2e%2e/robots.yaml"):
        assert api.call("GET", path, "admin").status_code == 404, path


def test_tokens_over_http_are_shown_once_and_never_listed(api: Api) -> None:
    made = api.call("POST", "/api/tokens", json={"role": "operator", "name": "ci"}).json()
    assert made["token"].startswith("rtk_")
    listed = api.call("GET", "/api/tokens").json()
    assert made["token"] not in str(listed) and any(t["name"] == "ci" for t in listed)
    assert api.client.post("/api/robots/greet/runs", json={},
                           headers={"Authorization": f"Bearer {made['token']}"}).status_code == 202
    assert api.call("POST", "/api/tokens", json={"role": "root"}).status_code == 422


def test_token_commands_print_the_token_last_and_keep_only_its_hash(api: Api) -> None:
    from typer.testing import CliRunner

    from orchestrator.cli import _register, app

    _register()
    runner = CliRunner()
    created = runner.invoke(app, ["token", "create", "--role", "viewer", "--name", "wall screen",
                                  "--project", str(api.root)])
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    assert api.client.get("/api/runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    db = (api.root / ".retake" / "retake.db").read_bytes()
    assert token.encode() not in db
    listed = runner.invoke(app, ["token", "list", "--json", "--project", str(api.root)])
    assert "wall screen" in listed.stdout and token not in listed.stdout
    assert runner.invoke(app, ["token", "revoke", "wall screen", "--project", str(api.root)]).exit_code == 0
    assert api.client.get("/api/runs", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(app, ["token", "create", "--role", "boss", "--project", str(api.root)]).exit_code == 2


def test_pages_need_a_session_and_sign_in_redirects_only_inside_the_site(api: Api) -> None:
    page = api.client.get("/robots/greet", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/robots/greet"
    wrong = api.client.post("/login", data={"token": "rtk_guess", "next": "/"}, follow_redirects=False)
    assert wrong.status_code == 401 and "retake_token" not in wrong.cookies
    for target, landing in (("/robots/greet", "/robots/greet"), ("//evil.example", "/"),
                            ("/\\evil.example", "/"), ("https://evil.example/", "/")):
        signed = api.client.post("/login", data={"token": api.tokens["viewer"], "next": target},
                                 follow_redirects=False)
        assert signed.status_code == 303 and signed.headers["location"] == landing
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
    assert api.client.get("/robots/greet").status_code == 200  # the session cookie is kept by the client
    assert api.client.get("/runs/nope").status_code == 404
    assert "<h1>Retake API</h1>" in api.client.get("/docs").text  # offline reference, no CDN
    assert "cdn" not in api.client.get("/docs").text.lower()


def test_the_overview_takes_any_period_and_downloads_it(api: Api, finished_runs: dict[str, str]) -> None:
    import datetime as dt
    import io

    from openpyxl import load_workbook

    api.client.cookies.set("retake_token", api.tokens["viewer"])
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    week = f"since={today - dt.timedelta(days=6)}&until={today}"
    page = api.client.get(f"/?{week}")
    assert page.status_code == 200 and f'value="{today}"' in page.text
    assert api.client.get("/?since=someday").status_code == 422
    html = api.client.get(f"/download/report.html?{week}")
    assert html.headers["content-disposition"].endswith(f'-{today}.html"') and html.text.count("<svg") == 3
    csv = api.client.get("/download/report.csv?days=7").text.splitlines()
    assert csv[0].startswith("\ufeffperiod,robot,runs,runs_failed,")  # the BOM makes Excel read UTF-8
    assert csv[-1].startswith("all,TOTAL,2,0,4,2,2,0,0,")  # runs, failed runs, items ok, failed, business...
    book = load_workbook(io.BytesIO(api.client.get("/download/report.xlsx?days=7").content))
    assert book.sheetnames[0] == "Summary"
    assert api.client.get("/download/report.pdf").status_code == 404


def test_retake_serve_answers_over_http(make_project, embedded) -> None:  # noqa: ANN001
    import os
    import socket
    import subprocess
    import sys

    import httpx

    root = make_project(ROBOTS)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    made = subprocess.run([sys.executable, "-m", "orchestrator", "token", "create", "--role", "operator",
                           "--project", str(root)], capture_output=True, text=True, env=env, check=True)
    token = made.stdout.strip().splitlines()[-1]
    server = subprocess.Popen([sys.executable, "-m", "orchestrator", "serve", "--port", str(port), "--project",
                               str(root)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"{base}/health").json()["status"] == "ok"
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "retake serve did not start"
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        run = httpx.post(f"{base}/api/robots/greet/runs", params={"wait": 20}, headers=headers,
                         json={"inputs": {"who": "server"}}).json()
        assert run["status"] == "succeeded" and run["trigger"] == "api"
        assert httpx.get(f"{base}/api/runs", headers=headers).json()[0]["run_id"] == run["run_id"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_robot_file_broken_mid_edit_does_not_break_the_server(api: Api) -> None:
    manifest = api.root / "robots.yaml"
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good + "  broken: {steps: [{no_such_action: 1}]}\n", encoding="utf-8")
    from orchestrator import projects
    from orchestrator.errors import ConfigError

    try:
        with pytest.raises(ConfigError):
            projects.project(api.root)
        assert api.call("GET", "/api/robots").status_code == 200
        assert "greet" in {r["name"] for r in api.call("GET", "/api/robots").json()}
    finally:
        manifest.write_text(good, encoding="utf-8")


def test_a_token_opens_the_dashboard_pages_and_downloads_as_it_opens_the_api(api):
    for path in ("/", "/download/report.csv"):
        plain = api.call("GET", path, role=None, follow_redirects=False)
        assert plain.status_code == 303 and "/login" in plain.headers["location"]
        with_token = api.call("GET", path, role="viewer", follow_redirects=False)
        assert with_token.status_code == 200, (path, with_token.status_code)


def test_pages_show_when_runs_were_queued_on_the_project_s_clock(api):
    import datetime as dt
    from zoneinfo import ZoneInfo

    run_id = api.start("greet")
    run = api.wait(run_id)
    queued = dt.datetime.fromisoformat(run["queued_at"].replace("Z", "+00:00"))
    local = queued.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M:%S")  # the test project's zone
    for path in ("/", f"/runs/{run_id}"):
        page = api.call("GET", path, role="viewer").text
        assert local in page and run["queued_at"] not in page, path
