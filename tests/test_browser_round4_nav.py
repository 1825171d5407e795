"""What a JavaScript-heavy back office does behind a robot's back: a session that ends in the middle of a
list or of a form (a script sends the browser to the login page), a click whose work is a `fetch` that
answers later, and a `browser.goto` the browser takes for a move inside the page. In real Chromium, on
pages served locally."""

from __future__ import annotations

import json
import textwrap
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from loguru import logger
from test_browser_actions import SECRETS, run_robot_t, serve

from connectors import browser_requests
from connectors.browser_guard import SessionExpired
from connectors.browser_launch import use_browser
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import ApplicationError
from orchestrator.loader import load_project
from orchestrator.runner import _restarting

pytestmark = pytest.mark.browser

LOGIN_PAGE = (b"<title>Sign in</title><form method=post action=/login><label>Username <input name=u></label>"
              b"<label>Password <input name=p type=password></label><button>Sign in</button></form>")


@pytest.fixture
def robot(browser, make_project):
    """`robot(steps)` writes robot `t` (browser timeout 3 s) and returns its project folder; `robot.once(root)`
    runs it as one item in this thread, `robot.item(root)` as the runner does (an item whose resource is
    lost starts again from its first step)."""
    use_browser(browser)
    sessions: list[RunSession] = []

    def write(steps: str) -> Path:
        body = """
        robots:
          t:
            secrets: [ERP_USER, ERP_PASSWORD]
            browser: {timeout: 3s}
            steps:
        """
        return make_project(textwrap.dedent(body) + textwrap.indent(textwrap.dedent(steps.strip("\n") + "\n"), "    "))

    def item(root: Path) -> StepContext:
        loaded = load_project(root)
        session = RunSession(project=loaded, robot_name="t", run_id=f"run-{len(sessions)}", inputs={},
                             secrets=dict(SECRETS))
        sessions.append(session)
        ctx = StepContext(session=session, item=None, index=0, key="item")
        ctx.log = logger.bind(run_id=session.run_id, robot="t", item="item", step="-")
        _restarting(ctx, None, {}, None)
        return ctx

    write.once = lambda root, **kw: run_robot_t(root, sessions, SECRETS, **kw)  # type: ignore[attr-defined]
    write.item = item  # type: ignore[attr-defined]
    yield write
    for session in sessions:
        session.close()


# --- 1. a list whose session ends between two pages -------------------------------------------------------
# Each page is fetched by the page's script, which first replaces the list by a spinner; a 401 sends the
# browser to the login page, as the tester's back office does.
LIST_PAGE = b"""<main id=view></main><script>
const view = document.getElementById('view');
async function show(p) {
  view.innerHTML = '<p class=spinner>Loading claims...</p>';
  const r = await fetch('/api?page=' + p);
  if (r.status === 401) { location.href = '/login?expired=1'; return; }
  const rows = await r.json();
  view.innerHTML = '<table id=claims><tr><th>No</th></tr>' + rows.map(n => `<tr><td>${n}</td></tr>`).join('')
    + '</table>' + `<button id=next ${p >= 4 ? 'disabled' : ''}>Next</button>`;
  document.getElementById('next').onclick = () => show(p + 1);
}
show(1);
</script>"""
ALL_ROWS = [f"{page}-{i}" for page in range(1, 5) for i in range(3)]


def list_site(state: dict[str, int]):
    """The list of 4 pages of 3 rows; `state['expire']`: how many times page 3 answers 401."""

    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request.path)
        if url.path == "/api":
            page = int(parse_qs(url.query)["page"][0])
            state[f"page{page}"] = state.get(f"page{page}", 0) + 1
            time.sleep(0.2)
            if page == 3 and state["expire"] > 0:
                state["expire"] -= 1
                return 401, {"Content-Type": "application/json"}, b'{"error": "session expired"}'
            return 200, {"Content-Type": "application/json"}, json.dumps([f"{page}-{i}" for i in range(3)]).encode()
        if url.path == "/login":
            return 200, {}, LOGIN_PAGE
        return 200, {}, LIST_PAGE

    return respond


TABLE_STEPS = """
- id: page
  browser.goto: "{url}list"
- browser.wait_for: {{css: "#claims"}}
- id: rows
  browser.table: {{locator: "#claims", next: {{role: button, name: Next}}}}
"""


def test_a_list_whose_session_ends_between_pages_is_not_taken_for_its_last_page(robot):
    state = {"expire": 1}
    with serve(list_site(state)) as url:
        ctx = robot.once(robot(TABLE_STEPS.format(url=url)), fails=True)
    assert isinstance(ctx.failure, SessionExpired), ctx.failure  # not 6 of the 12 rows, and a run that succeeds
    message = str(ctx.failure)
    assert "after page 2" in message and "the table is no longer on the page" in message
    assert "/login?expired=1" in message and "the page is a login form: the session may have expired" in message
    assert "rows" not in ctx.steps


def test_the_item_starts_again_and_reads_the_whole_list_after_the_session_ended(robot):
    state = {"expire": 1}
    with serve(list_site(state)) as url:
        ctx = robot.item(robot(TABLE_STEPS.format(url=url)))
    assert [row["No"] for row in ctx.steps["rows"]] == ALL_ROWS  # the last page: Next disabled, table there
    assert state["page1"] == 2 and state["page3"] == 2  # read once to page 3, then again from the first step


# --- 2. a step that fails on a login page it did not expect --------------------------------------------------
def form_site(state: dict[str, int]):
    """A form whose first showing sends the browser to the login page by a script (a 401 of its own
    request), as an application whose session ended does; the next showings are the form."""

    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/login"):
            return 200, {}, LOGIN_PAGE
        if request.path != "/form":
            return 404, {}, b""
        state["visits"] = state.get("visits", 0) + 1
        if state["visits"] == 1:
            return 200, {}, b"<p>Loading...</p><script>setTimeout(() => location.href = '/login?expired=1', 300)</script>"
        return 200, {}, b"<form><label>Amount <input name=a></label></form>"

    return respond


def test_a_step_failing_on_a_login_page_starts_the_item_again_at_once(robot):
    state: dict[str, int] = {}
    with serve(form_site(state)) as url:
        root = robot(f"""
- id: page
  browser.goto: "{url}form"
- browser.fill: {{locator: {{label: Amount}}, value: 1200}}
- id: amount
  browser.attribute: {{locator: {{label: Amount}}, attribute: value}}
""")
        started = time.monotonic()
        ctx = robot.item(root)
    assert ctx.steps["amount"] == "1200" and state["visits"] == 2
    # one wait for the field (3 s) on the login page, then the item again: not three tries of the step there
    assert time.monotonic() - started < 7


def test_a_login_step_failing_on_the_login_form_is_retried_as_its_own_failure(robot):
    state: dict[str, int] = {}
    with serve(form_site(state)) as url:
        ctx = robot.once(robot(f"""
- browser.goto: "{url}login"
- retry: {{attempts: 1}}
  browser.fill_form:
    fields: {{Username: "{{{{ secrets.ERP_USER }}}}", Token: "{{{{ secrets.ERP_PASSWORD }}}}"}}
"""), fails=True)
    assert type(ctx.failure) is ApplicationError  # the login's own mistake: not the session, no new start
    assert "Token" in str(ctx.failure) and "the page is a login form" in str(ctx.failure)


# --- 3. a click whose work is a request the page sends ----------------------------------------------------
ACTIONS_PAGE = b"""<button id=ok>OK</button> <button id=plain>Plain</button> <button id=watch>Watch</button>
<input id=q placeholder=Search><p id=out></p><script>
let n = 0;
fetch('/poll');  // long polling, under way before any click
function toast(text) {
  const old = document.getElementById('toast'); if (old) old.remove();
  const t = document.createElement('div'); t.id = 'toast'; t.textContent = text; document.body.appendChild(t);
}
document.getElementById('ok').onclick = async () => {
  const r = await fetch('/save?n=' + (++n), {method: 'GET'}); toast('Claim ' + (await r.json()).number + ' created');
};
document.getElementById('q').onkeydown = async e => {
  if (e.key === 'Enter') { const r = await fetch('/save?n=' + (++n)); toast('Found ' + (await r.json()).number); }
};
document.getElementById('plain').onclick = () => { document.getElementById('out').textContent = 'plain ' + (++n); };
document.getElementById('watch').onclick = () => { fetch('/poll'); };  // starts a request that stays open
window.onhashchange = async () => {  // a route of a single-page application: a move inside the page
  const r = await fetch('/save?n=' + (++n)); toast('Listed ' + (await r.json()).number);
};
</script><a href="#/list">List</a>"""


def actions_site(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(request.path)
    if url.path == "/save":
        time.sleep(0.6)  # the save answers well after the click
        number = parse_qs(url.query)["n"][0]
        return 200, {"Content-Type": "application/json"}, json.dumps({"number": f"CLM-{number}"}).encode()
    if url.path == "/poll":
        time.sleep(8)
        return 200, {"Content-Type": "application/json"}, b"{}"
    return 200, {}, ACTIONS_PAGE


def test_a_click_or_key_waits_for_the_answers_of_the_requests_it_sent(robot):
    with serve(actions_site) as url:
        ctx = robot.once(robot(f"""
- browser.goto: "{url}"
- browser.click: {{role: button, name: OK}}
- browser.wait_for: [{{css: "#toast"}}, {{css: ".banner"}}]
- {{id: first, browser.text: "#toast"}}
- browser.click: {{role: button, name: OK}}
- browser.wait_for: [{{css: "#toast"}}, {{css: ".banner"}}]
- {{id: second, browser.text: "#toast"}}
- browser.press: {{key: Enter, locator: {{placeholder: Search}}}}
- {{id: third, browser.text: "#toast"}}
- browser.click: {{role: link, name: List}}
- {{id: fourth, browser.text: "#toast"}}
"""))
    # not the toast of the click before: each read comes after the answer of its own click (or key, or a
    # link to another #route of the page)
    assert (ctx.steps["first"], ctx.steps["second"], ctx.steps["third"], ctx.steps["fourth"]) == \
        ("Claim CLM-1 created", "Claim CLM-2 created", "Found CLM-3", "Listed CLM-4")


def test_a_click_that_sends_nothing_does_not_wait_and_an_open_request_is_left_after_a_quiet_time(robot,
                                                                                                monkeypatch):
    waited: list[bool] = []
    answered = browser_requests.answered
    monkeypatch.setattr(browser_requests, "answered", lambda *a, **kw: waited.append(answered(*a, **kw)) or waited[-1])
    monkeypatch.setattr(browser_requests, "QUIET_MS", 1000)
    with serve(actions_site) as url:
        root = robot(f"""
- browser.goto: "{url}"
- browser.click: {{role: button, name: Plain}}
- {{id: plain, browser.text: "#out"}}
- browser.click: {{role: button, name: Watch}}
""")
        started = time.monotonic()
        ctx = robot.once(root)
    assert ctx.steps["plain"] == "plain 1"
    assert waited == [False, True]  # the plain click sent nothing: no wait, no question to the page
    # the long poll under way before the clicks holds neither; the one the Watch click started (open 8 s)
    # is left alone once nothing has happened for the quiet time
    assert time.monotonic() - started < 5


FETCH_FORM = b"""<form id=f><label>Customer <input name=customer></label><button>Save</button></form>
<div id=toast></div><script>
document.getElementById('f').onsubmit = async e => {
  e.preventDefault();
  const r = await fetch('/save?n=' + encodeURIComponent(e.target.customer.value));
  document.getElementById('toast').textContent = 'Claim ' + (await r.json()).number + ' created';
  e.target.reset();  // the form drawn again for the next claim, once the save has answered
};
</script>"""


def fetch_form_site(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    return actions_site(request) if request.path.startswith("/save") else (200, {}, FETCH_FORM)


def test_fill_form_s_submit_waits_for_the_answer_of_a_form_the_page_saves_by_fetch(robot):
    """The next item's fill must not be wiped by the late answer of this one's save, nor read its toast."""
    with serve(fetch_form_site) as url:
        ctx = robot.once(robot(f"""
- browser.goto: "{url}"
- browser.fill_form: {{fields: {{Customer: ACME}}, submit: Save}}
- {{id: first, browser.text: "#toast"}}
- browser.fill_form: {{fields: {{Customer: Globex}}, submit: Save}}
- {{id: second, browser.text: "#toast"}}
"""))
    assert (ctx.steps["first"], ctx.steps["second"]) == ("Claim CLM-ACME created", "Claim CLM-Globex created")


# --- 4. browser.goto to the page's own URL, or to another #hash of it ----------------------------------------
def test_goto_loads_the_page_again_for_a_url_that_differs_only_by_its_hash(robot):
    loads = {"n": 0}

    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path != "/app":
            return 404, {}, b""  # (the browser's /favicon.ico)
        loads["n"] += 1
        return 200, {}, f"<h1>Load {loads['n']}</h1>".encode()

    with serve(respond) as url:
        ctx = robot.once(robot(f"""
- {{id: p1, browser.goto: "{url}app#/claims/new"}}
- browser.evaluate: "window.marker = 'the last item'"
- {{id: p2, browser.goto: "{url}app#/claims/new"}}
- {{id: m2, browser.evaluate: "window.marker || 'fresh'"}}
- browser.evaluate: "window.marker = 'the last item'"
- {{id: p3, browser.goto: "{url}app#/search"}}
- {{id: m3, browser.evaluate: "window.marker || 'fresh'"}}
- if: "{{{{ steps.p3.status >= 400 }}}}"
  fail: "the app answered {{{{ steps.p3.status }}}}"
- {{id: h1, browser.text: h1}}
- {{id: inline, browser.goto: "data:text/html,<h1>inline</h1>"}}
- if: "{{{{ (steps.inline.status or 0) >= 400 }}}}"
  fail: "never"
"""))
    assert (ctx.steps["p1"]["status"], ctx.steps["p2"]["status"], ctx.steps["p3"]["status"]) == (200, 200, 200)
    assert ctx.steps["m2"] == ctx.steps["m3"] == "fresh" and ctx.steps["h1"] == "Load 3"
    assert ctx.steps["p3"]["url"].endswith("/app#/search")
    assert ctx.steps["inline"]["status"] is None  # a data: page has no HTTP status
