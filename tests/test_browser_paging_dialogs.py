# ruff: noqa: F811 - `run_steps` is the shared fixture, imported, then named by each test
"""Paging through lists that show "Loading..." between pages, JavaScript dialogs, and selectors that can
never match: in real Chromium, on pages served locally."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
from loguru import logger
from test_browser_actions import SECRETS, run_steps, serve  # noqa: F401 - the fixture and the small site

from orchestrator.errors import BusinessError, ConfigError

pytestmark = pytest.mark.browser

CODES = [f"C{i:03d}" for i in range(1, 24)]

# 23 rows over 3 pages of 10; each turn shows a placeholder for 400 ms first. On the last page, Next stays
# visible and does nothing (as the tester's page does).
PAGER = """<meta charset=utf-8>
<table id=grid><thead><tr><th>Code</th><th>Name</th></tr></thead><tbody></tbody></table>
<a href="#" id=next onclick="go(page + 1); return false;">Next &gt;</a>
<script>
const data = []; for (let i = 1; i <= 23; i++) data.push(['C' + String(i).padStart(3, '0'), 'name ' + i]);
let page = 1, loading = false;  // (a click while a page loads is ignored)
const body = document.querySelector('#grid tbody'), grid = document.getElementById('grid');
function render(rows) {
  body.innerHTML = rows.map(r => `<tr><td>${r[0]}</td><td>${r[1]}</td></tr>`).join('');
  grid.removeAttribute('aria-busy');
  loading = false;
}
function go(p) {
  if (p > 3 || loading) return;
  loading = true;
  PLACEHOLDER
  LOAD
}
render(data.slice(0, 10));
</script>
"""
LATER = "setTimeout(() => { page = p; render(data.slice((p - 1) * 10, p * 10)); }, 400);"
FETCHED = ("setTimeout(() => fetch('/rows?page=' + p).then(r => r.json()).then(rows => { page = p; render(rows); }),"
           " 50);")
PLACEHOLDERS = {
    "a Loading row across the table": ("body.innerHTML = '<tr><td colspan=2>Loading...</td></tr>';", LATER),
    "a Korean loading row in one of two cells": ("body.innerHTML = '<tr><td>불러오는 중...</td><td></td></tr>';", LATER),
    "a busy table showing its old rows": ("grid.setAttribute('aria-busy', 'true'); body.firstChild.remove();", LATER),
    "an empty body while the rows are fetched": ("body.innerHTML = '';", FETCHED),
}


def pager(placeholder: str, load: str) -> object:
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/rows"):
            time.sleep(0.5)  # a slow server: the table stays empty meanwhile
            p = int(parse_qs(urlsplit(request.path).query)["page"][0])
            rows = [[c, f"name {int(c[1:])}"] for c in CODES[(p - 1) * 10:p * 10]]
            return 200, {"Content-Type": "application/json"}, json.dumps(rows).encode()
        page = PAGER.replace("PLACEHOLDER", placeholder).replace("LOAD", load)
        return 200, {}, page.encode()

    return respond


@pytest.mark.parametrize("kind", list(PLACEHOLDERS))
def test_table_next_waits_past_a_loading_placeholder_for_the_real_page(run_steps, kind):
    with serve(pager(*PLACEHOLDERS[kind])) as url:
        ctx = run_steps(f"""
          - browser.goto: "{url}"
          - id: rows
            browser.table: {{locator: "#grid", next: {{role: link, name: "Next"}}}}
        """, options=", timeout: 2s")
    assert [r["Code"] for r in ctx.steps["rows"]] == CODES  # no placeholder, no page dropped


def test_table_reads_the_first_page_once_its_loading_row_is_gone(run_steps):
    script = ("<table id=t aria-busy=true><tr><th>Code</th></tr><tr><td>Loading...</td></tr></table><script>"
              "setTimeout(() => { t.innerHTML = '<tr><th>Code</th></tr><tr><td>A-1</td></tr>'; "
              "t.removeAttribute('aria-busy'); }, 300);</script>")
    with serve(lambda request: (200, {}, script.encode())) as url:
        ctx = run_steps(f"""
          - browser.goto: "{url}"
          - {{id: rows, browser.table: "#t"}}
        """)
    assert ctx.steps["rows"] == [{"Code": "A-1"}]


def test_table_next_stops_on_the_last_page_within_the_browser_timeout_not_the_step_s(run_steps):
    with serve(pager(*PLACEHOLDERS["a Loading row across the table"])) as url:
        started = time.monotonic()
        ctx = run_steps(f"""
          - browser.goto: "{url}"
          - id: rows
            timeout: 20s
            browser.table: {{locator: "#grid", next: {{role: link, name: "Next"}}}}
        """, options=", timeout: 1s")
        took = time.monotonic() - started
    assert [r["Code"] for r in ctx.steps["rows"]] == CODES
    assert took < 10  # two turns and one second on the last page; not the step's 20 s


ALERT_FORM = """<meta charset=utf-8>
<form action="/saved" onsubmit="if (+this.qty.value > 100) { alert('수량은 100 이하여야 합니다 (PASSWORD)');
  return false; } return true;">
<label>Quantity <input name=qty></label><input type=submit value=Save></form>
"""


def test_dialogs_are_logged_kept_for_the_item_and_returned_by_browser_dialogs(run_steps):
    from orchestrator.logs import register_secrets

    register_secrets(list(SECRETS.values()))
    page = ALERT_FORM.replace("PASSWORD", SECRETS["ERP_PASSWORD"])
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="INFO")
    try:
        with serve(lambda request: (200, {}, page.encode())) as url:
            ctx = run_steps(f"""
              - browser.goto: "{url}"
              - {{id: form, browser.fill_form: {{fields: {{Quantity: 500}}, submit: Save}}}}
              - {{id: seen, browser.dialogs: {{}}}}
              - {{id: again, browser.dialogs: {{}}}}
              - browser.evaluate: "confirm('Really?')"
              - {{id: last, browser.dialogs: {{last: true}}}}
            """)
            with pytest.raises(BusinessError, match="refused: 수량은 100 이하여야 합니다"):
                run_steps(f"""
                  - browser.goto: "{url}"
                  - browser.fill_form: {{fields: {{Quantity: 500}}, submit: Save}}
                  - {{id: dialog, browser.dialogs: {{last: true}}}}
                  - if: "{{{{ steps.dialog and steps.dialog.type == 'alert' }}}}"
                    fail: "refused: {{{{ steps.dialog.message }}}}"
                """)
    finally:
        logger.remove(sink)
    message = f"수량은 100 이하여야 합니다 ({SECRETS['ERP_PASSWORD']})"
    assert ctx.steps["form"]["submitted"] is True  # no error of its own: the dialog is logged and kept
    assert ctx.steps["seen"] == [{"type": "alert", "message": message, "answer": "accept"}]
    assert ctx.steps["again"] == []  # each call returns the dialogs met since the last one
    assert ctx.steps["last"] == {"type": "confirm", "message": "Really?", "answer": "accept"}
    logged = [line for line in lines if "dialog" in line]
    assert "alert dialog '수량은 100 이하여야 합니다 (***)': accepted" in logged
    assert not any(SECRETS["ERP_PASSWORD"] in line for line in lines)


ASKING = """
<p id=out></p><input id=q aria-label=Search>
<button onclick="out.textContent = confirm('Delete?') ? 'deleted' : 'kept'">Delete</button>
<button onclick="out.textContent = prompt('Name?', 'nobody')">Name</button>
<form onsubmit="out.textContent = confirm('Send?') ? 'sent' : 'not sent'; return false;">
<label>Note <input name=note></label><input type=submit value=Send></form>
<script>q.onkeydown = e => { if (e.key === 'Enter') out.textContent = confirm('Search?') ? 'searched' : 'not searched'; };
</script>
"""


def test_a_step_s_dialog_argument_answers_the_dialogs_of_that_step_only(run_steps):
    with serve(lambda request: (200, {}, ASKING.encode())) as url:
        ctx = run_steps(f"""
          - browser.goto: "{url}"
          - browser.click: {{locator: {{role: button, name: Delete}}, dialog: dismiss}}
          - {{id: dismissed, browser.text: "#out"}}
          - browser.click: {{role: button, name: Delete}}
          - {{id: accepted, browser.text: "#out"}}
          - browser.click: {{locator: {{role: button, name: Name}}, dialog: Kim}}
          - {{id: answered, browser.text: "#out"}}
          - browser.click: {{role: button, name: Name}}
          - {{id: default, browser.text: "#out"}}
          - browser.press: {{key: Enter, locator: "#q", dialog: dismiss}}
          - {{id: pressed, browser.text: "#out"}}
          - browser.fill_form: {{fields: {{Note: hi}}, submit: Send, dialog: dismiss}}
          - {{id: form, browser.text: "#out"}}
          - {{id: dialogs, browser.dialogs: {{}}}}
        """)
    assert (ctx.steps["dismissed"], ctx.steps["accepted"]) == ("kept", "deleted")
    assert (ctx.steps["answered"], ctx.steps["default"]) == ("Kim", "nobody")  # OK keeps the default
    assert (ctx.steps["pressed"], ctx.steps["form"]) == ("not searched", "not sent")
    assert [(d["type"], d["answer"]) for d in ctx.steps["dialogs"]] == [
        ("confirm", "dismiss"), ("confirm", "accept"), ("prompt", "Kim"), ("prompt", "accept"),
        ("confirm", "dismiss"), ("confirm", "dismiss")]


@pytest.mark.parametrize("locator", ['"a.btn["', "\"xpath=//a[@class='btn'\"", '["#gone", "a.btn["]'])
def test_an_invalid_css_or_xpath_selector_is_a_config_error_naming_the_step_not_retried(run_steps, locator):
    page = "<a class=btn href='#'>Go</a>"
    started = time.monotonic()
    with serve(lambda request: (200, {}, page.encode())) as url, \
            pytest.raises(ConfigError, match=r"robots\.yaml:\d+:\d+: browser\.click .*btn.* not a valid selector"):
        run_steps(f"""
          - browser.goto: "{url}"
          - browser.click: {locator}
        """, options=", timeout: 3s")
    assert time.monotonic() - started < 3  # failed at once: no wait for the element, no retry
