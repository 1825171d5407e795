"""The dashboard in real Chromium: sign in, read the ledger's figures, follow a failure to its screenshot,
and watch a run finish without reloading."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from test_api import PNG
from test_report import HEAD, ROBOTS, expected, write_ledger

pytestmark = pytest.mark.browser

SLOW = """\
  slow:
    items: [1, 2, 3, 4, 5, 6]
    steps: [{sleep: 0.4s}]
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": ["--disable-gpu", "--disable-quic"]}


def recent_ledger() -> list:
    """The report test's runs, moved into the last few days; one more 40 days ago (the previous period)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = [("r-a", "invoices", now - dt.timedelta(days=3), 7.3, 12,
             [("succeeded", 10.5, None, None, None), ("succeeded", 20.25, None, None, None),
              ("failed", 5.0, "business", "check", "amount missing on INV-7"),
              ("failed", 44.4, "application", "login", "page did not load")]),
            ("r-b", "invoices", now - dt.timedelta(days=1), 8, 12,
             [("succeeded", 12.1, None, None, None), ("succeeded", 13.3, None, None, None)]),
            ("r-c", "sorter", now - dt.timedelta(days=2), 1.5, 0, [("succeeded", 2.2, None, None, None)] * 7)]
    old = [("r-old", "invoices", now - dt.timedelta(days=40), 7.3, 12, [("succeeded", 9.0, None, None, None)] * 4)]
    return rows, old


@pytest.fixture
def dashboard(make_project, embedded) -> Iterator[dict]:  # noqa: ANN001
    import uvicorn
    from sqlalchemy import insert, select

    from orchestrator import projects
    from orchestrator.ledger.store import utcnow
    from orchestrator.ledger.tables import artifacts, items
    from orchestrator.loader import load_project
    from orchestrator.web.app import create_app
    from orchestrator.web.tokens import create_token

    root = make_project(ROBOTS + SLOW, head=HEAD)
    engine = projects.ledger_for(load_project(root)).engine
    rows, old = recent_ledger()
    write_ledger(engine, rows + old)
    shot = root / ".retake" / "runs" / "r-a" / "artifacts" / "item-00002" / "failure.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(PNG)
    with engine.begin() as conn:
        item_id = conn.execute(select(items.c.id).where(items.c.run_id == "r-a", items.c.idx == 2)).scalar()
        conn.execute(insert(artifacts).values(run_id="r-a", item_id=item_id, kind="screenshot", step="check",
                                              path=str(shot.relative_to(root)), created_at=utcnow()))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root, threads=1), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "root": root, "rows": rows, "old": old,
           "viewer": create_token(engine, role="viewer", name="manager")[1],
           "operator": create_token(engine, role="operator", name="ops")[1]}
    server.should_exit = True
    thread.join(timeout=10)


def sign_in(page, dashboard: dict, role: str = "viewer", target: str = "/") -> None:  # noqa: ANN001
    page.goto(dashboard["url"] + target)
    assert "/login" in page.url
    page.fill("#token", dashboard[role])
    page.click("#sign-in")
    page.wait_for_url(dashboard["url"] + target)


def won(value) -> str:  # noqa: ANN001
    return f"{int(value):,} KRW"


def test_sign_in_then_see_the_ledger_figures_against_the_previous_period(page, dashboard: dict) -> None:  # noqa: ANN001
    page.goto(dashboard["url"] + "/")
    page.fill("#token", "rtk_wrong")
    page.click("#sign-in")
    assert page.locator("#error").inner_text() == "This token is unknown or revoked."
    sign_in(page, dashboard)
    rows, old = dashboard["rows"], dashboard["old"]
    invoices = expected([r for r in rows if r[1] == "invoices"], hourly="41234", robot_hourly="777")
    total = expected(rows, hourly="41234", robot_hourly="777")
    line = page.locator('table.figures tr[data-robot="invoices"]')
    assert line.locator('td[data-key="value_saved"]').inner_text() == won(invoices["value"])
    assert line.locator('td[data-key="items_succeeded"]').inner_text() == str(invoices["items_succeeded"])
    assert line.locator('td[data-key="items_failed"]').inner_text() == "2"
    assert line.locator('td[data-key="success_rate"]').inner_text() == f"{float(invoices['rate']) * 100:.1f}%"
    totals = page.locator('table.figures tr[data-robot="TOTAL"]')
    assert totals.locator('td[data-key="net_value"]').inner_text() == won(total["net"])
    previous = expected(old, hourly="41234", robot_hourly="777")
    assert won(previous["value"]) in line.inner_text()  # the same robot, the 30 days before
    assert page.locator('[data-card="value_saved"] .value').inner_text() == won(total["value"])
    assert page.locator("svg.chart").count() == 3


def test_follow_a_failure_to_its_screenshot(page, dashboard: dict) -> None:  # noqa: ANN001
    sign_in(page, dashboard)
    page.click('table.figures tr[data-robot="invoices"] a')
    page.wait_for_url("**/robots/invoices")
    assert "amount missing on INV-7" in page.locator("table.failures").inner_text()
    page.click('table.runs a[href="/runs/r-a"]')
    page.wait_for_url("**/runs/r-a")
    failed = page.locator('table.items tr[data-item="r-a-2"]')
    assert "business" in failed.inner_text() and "check" in failed.inner_text()
    with page.expect_popup() as popup:
        failed.locator('a.artifact[data-kind="screenshot"]').click()
    shot = popup.value
    shot.wait_for_load_state()
    assert shot.url.endswith("/files/.retake/runs/r-a/artifacts/item-00002/failure.png")
    response = shot.request.get(shot.url)
    assert response.status == 200 and response.body() == PNG
    assert failed.locator("a.artifact img").evaluate("img => img.naturalWidth") == 1


def test_a_run_page_updates_while_the_run_progresses(page, dashboard: dict) -> None:  # noqa: ANN001
    sign_in(page, dashboard, role="operator")
    started = page.request.post(dashboard["url"] + "/api/robots/slow/runs", data={"inputs": {}})
    assert started.status == 202
    run_id = started.json()["run_id"]
    page.goto(dashboard["url"] + f"/runs/{run_id}")
    first = page.locator("#run-status").inner_text()
    assert first in ("queued", "running")
    page.wait_for_function("document.getElementById('run-status').textContent === 'succeeded'", timeout=20_000)
    assert page.locator("table.items tr[data-item]").count() == 6
    assert "item done" in page.locator("#log").inner_text()


def test_a_viewer_sees_no_buttons_and_signing_out_ends_the_session(page, dashboard: dict) -> None:  # noqa: ANN001
    sign_in(page, dashboard, target="/runs/r-a")
    assert page.locator("#rerun").count() == 0
    page.goto(dashboard["url"] + "/logout")
    page.goto(dashboard["url"] + "/robots/sorter")
    assert "/login" in page.url
    assert page.request.get(dashboard["url"] + "/api/runs").status == 401
