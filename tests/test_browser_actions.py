"""Every browser action against the sample ERP, in real Chromium launched by pytest-playwright."""

from __future__ import annotations

import csv
import textwrap
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from loguru import logger

from connectors.browser_launch import use_browser
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import ApplicationError, BusinessError, ConfigError, RetakeError
from orchestrator.loader import load_project
from orchestrator.runner import _capture_evidence, execute_steps

pytestmark = pytest.mark.browser

SECRETS = {"ERP_USER": "clerk", "ERP_PASSWORD": "demo-password"}
LOGIN = """
  - id: page
    browser.goto: /invoices/new
  - if: "{{ '/login' in steps.page.url }}"
    browser.fill_form:
      fields: {Username: "{{ secrets.ERP_USER }}", Password: "{{ secrets.ERP_PASSWORD }}"}
      submit: {role: button, name: Sign in}
"""


@pytest.fixture
def run_steps(browser, make_project, erp):
    """Run YAML steps of a one-item robot in this thread, on pytest-playwright's browser; returns ctx."""
    use_browser(browser)
    sessions: list[RunSession] = []

    def run(steps: str, *, options: str = "", item: object = None, fails: bool = False) -> StepContext:
        body = f"""
        robots:
          t:
            secrets: [ERP_USER, ERP_PASSWORD]
            browser: {{base_url: "{erp.url}"{options}}}
            steps:
        """
        head, rest = (LOGIN, steps[len(LOGIN):]) if steps.startswith(LOGIN) else ("", steps)
        listed = textwrap.dedent(head) + textwrap.dedent(rest.strip("\n") + "\n")
        root = make_project(textwrap.dedent(body) + textwrap.indent(listed, "    "))
        return run_robot_t(root, sessions, SECRETS, item=item, fails=fails)

    yield run
    for session in sessions:
        session.close()


def run_robot_t(root: Path, sessions: list[RunSession], secrets: dict[str, str], *, item: object = None,
                fails: bool = False) -> StepContext:
    """Run robot `t` of the project at `root` as one item in this thread (its session joins `sessions`, to be
    closed by the caller); with `fails`, expect a failure and keep its evidence as the runner does
    (`ctx.failure`)."""
    loaded = load_project(root)
    session = RunSession(project=loaded, robot_name="t", run_id=f"run-{len(sessions)}", inputs={},
                         secrets=dict(secrets))
    sessions.append(session)
    ctx = StepContext(session=session, item=item, index=0, key="item")
    ctx.log = logger.bind(run_id=session.run_id, robot="t", item="item", step="-")
    if not fails:
        execute_steps(ctx, loaded.spec.robots["t"].steps, None, done={}, section="steps")
        return ctx
    with pytest.raises(RetakeError) as failure:  # as the runner does: the failure, then its evidence
        execute_steps(ctx, loaded.spec.robots["t"].steps, None, done={}, section="steps")
    _capture_evidence(ctx, failure.value)
    ctx.failure = failure.value
    return ctx


def test_goto_follows_the_login_redirect_and_fill_form_logs_in(run_steps, erp):
    ctx = run_steps(LOGIN + "  - {id: after, browser.goto: /}\n")
    assert "/login?next=" in ctx.steps["page"]["url"]
    assert ctx.steps["page"]["status"] == 200 and "Sign in" in ctx.steps["page"]["title"]
    assert ctx.steps["after"]["url"].endswith("/") and ctx.steps["after"]["title"].startswith("Home")


def test_fill_form_sets_text_number_date_dropdown_and_checkbox_then_submits(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - id: entry
        browser.fill_form:
          fields:
            Vendor: 주식회사 한빛상사
            Invoice number: T-FORM-1
            Invoice date: 2026-03-14
            Due date: 2026-04-30
            Currency: KRW
            Amount: 1234567
            Category: Office supplies
            Notes: "two\\nlines"
            Urgent: true
          submit: {role: button, name: Save invoice}
      - id: number
        browser.text: {test_id: confirmation-number}
    """)
    saved = erp.state.invoices[-1]
    assert ctx.steps["number"] == saved["confirmation"]
    assert (saved["vendor"], saved["invoice_no"], saved["invoice_date"], saved["due_date"]) == \
        ("주식회사 한빛상사", "T-FORM-1", "2026-03-14", "2026-04-30")
    assert (saved["currency"], saved["amount"], saved["category"], saved["urgent"]) == \
        ("KRW", 1234567.0, "Office supplies", True)
    assert saved["notes"].replace("\r\n", "\n") == "two\nlines"  # browsers submit CRLF
    assert ctx.steps["entry"] == {"filled": ["Vendor", "Invoice number", "Invoice date", "Due date", "Currency",
                                             "Amount", "Category", "Notes", "Urgent"], "submitted": True}


def test_single_field_actions_fill_select_check_click(run_steps, erp):
    run_steps(LOGIN + """
      - browser.fill: {locator: {label: Vendor}, value: Initech}
      - browser.fill: {locator: "label=Invoice number", value: T-SINGLE-1, typing: true}
      - browser.fill: {locator: {label: Invoice date}, value: 2026-01-02}
      - browser.select: {locator: {label: Currency}, value: EUR}
      - browser.select: {locator: {role: combobox, name: Category}, label: Logistics}
      - browser.fill: {locator: {role: spinbutton, name: Amount}, value: 99.5}
      - browser.check: {label: Urgent}
      - browser.check: {locator: {label: Urgent}, checked: true}
      - browser.uncheck: {label: Urgent}
      - browser.click: {role: button, name: Save invoice}
      - browser.wait_for: {text: was saved}
    """)
    saved = erp.state.invoices[-1]
    assert (saved["vendor"], saved["invoice_no"], saved["currency"], saved["category"], saved["amount"],
            saved["urgent"]) == ("Initech", "T-SINGLE-1", "EUR", "Logistics", 99.5, False)


def test_a_click_that_leaves_waits_for_the_next_page_and_one_that_downloads_does_not(run_steps, erp):
    started = time.monotonic()
    ctx = run_steps(LOGIN + """
      - browser.goto: /
      - {id: file, browser.click: {role: link, name: Export all invoices (CSV)}}
      - {id: still, browser.text: h1}
      - browser.click: {role: link, name: Invoices, exact: true}
      - {id: list, browser.text: h1}
    """)
    assert ctx.steps["file"].rstrip("/") == erp.url.rstrip("/")  # the download left the page where it was
    assert ctx.steps["still"].startswith("Home") and ctx.steps["list"].startswith("Invoices")
    assert time.monotonic() - started < 20  # a download link does not wait out the 30 s page-load limit


@contextmanager
def serve(respond: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]) -> Iterator[str]:
    """A small site on a free local port for the block: `respond(request)` -> (status, headers, HTML)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = respond(self)
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)),
                                **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def test_a_click_waits_for_a_slow_next_page_and_for_one_a_script_puts_off(run_steps):
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/next"):
            time.sleep(0.8)  # a slow server: the next page commits long after the click
            return 200, {}, f"<h1>Next {request.path[-1]}</h1>".encode()
        return 200, {}, (b"<h1>Start</h1><a href='/next1'>plain link</a>"
                         b"<button onclick=\"setTimeout(() => location.href = '/next2', 0)\">later</button>"
                         b"<a href='#part'>same page</a>")

    with serve(respond) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.click: {{text: plain link}}
      - {{id: first, browser.text: h1}}
      - browser.goto: "{url}"
      - browser.click: {{role: button, name: later}}
      - {{id: second, browser.text: h1}}
      - browser.goto: "{url}"
      - {{id: url, browser.click: {{text: same page}}}}
      - {{id: third, browser.text: h1}}
    """)
    assert (ctx.steps["first"], ctx.steps["second"], ctx.steps["third"]) == ("Next 1", "Next 2", "Start")
    assert ctx.steps["url"].endswith("#part")


def test_a_form_sent_or_a_key_pressed_waits_for_the_next_page_a_script_puts_off(run_steps):
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/next"):
            time.sleep(0.5)
            return 200, {}, f"<h1>Next {request.path[5:6]}</h1>".encode()
        # the form's handler checks the values, then leaves a moment later; Enter in the search box too
        return 200, {}, (b"<h1>Start</h1><form id=f><label>Vendor <input name=v></label><button>Save</button></form>"
                         b"<label>Search <input id=q></label><script>"
                         b"f.onsubmit = e => { e.preventDefault(); setTimeout(() => location.href = '/next1', 0); };"
                         b"q.onkeydown = e => { if (e.key === 'Enter') setTimeout(() => location.href = '/next2', 0); };"
                         b"</script>")

    with serve(respond) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Vendor: ACME}}, submit: Save}}
      - {{id: first, browser.text: h1}}
      - browser.goto: "{url}"
      - browser.press: {{key: Enter, locator: {{label: Search}}}}
      - {{id: second, browser.text: h1}}
    """)
    assert (ctx.steps["first"], ctx.steps["second"]) == ("Next 1", "Next 2")


def test_fill_form_and_clicks_work_in_a_frameset_and_wait_for_the_frame_s_next_page(run_steps):
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        path = request.path
        if path.startswith("/saved"):
            time.sleep(0.4)  # a slow server: the frame's next page commits well after the submit
            vendor = path.split("v=")[1].split("&")[0]
            return 200, {}, f"<h1>Saved {vendor}</h1><a href='/form'>Back</a>".encode()
        if path == "/form":
            return 200, {}, (b"<h1>Form</h1><form action=/saved><table><tr><td>Vendor:</td><td><input name=v></td></tr>"
                             b"<tr><td>Amount:</td><td><input name=a></td></tr></table>"
                             b"<input type=submit value=Save></form><button onclick=\"setTimeout(() => "
                             b"location.href = '/saved?v=Later', 0)\">Later</button>")
        if path == "/menu":
            return 200, {}, b"<a href='/form' target=main>New invoice</a>"
        return 200, {}, b"<frameset cols='20%,80%'><frame name=menu src=/menu><frame name=main src=/form></frameset>"

    with serve(respond) as url:
        started = time.monotonic()
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{frame: "frame[name=main]", fields: {{Vendor: ACME, Amount: 1200}}, submit: Save}}
      - {{id: saved, browser.text: {{frame: "frame[name=main]", css: h1}}}}
      - browser.click: {{frame: "frame[name=main]", text: Back}}
      - {{id: back, browser.count: {{frame: "frame[name=main]", css: "input[name=v]"}}}}
      - browser.fill_form: {{frame: "frame[name=main]", fields: {{"input[name=v]": Globex}}, submit: {{css: "input[type=submit]"}}, method: fill}}
      - {{id: again, browser.text: {{frame: "frame[name=main]", css: h1}}}}
      - browser.click: {{frame: "frame[name=main]", text: Back}}
      - browser.click: {{frame: "frame[name=main]", role: button, name: Later}}
      - {{id: later, browser.text: {{frame: "frame[name=main]", css: h1}}}}
    """)
    assert (ctx.steps["saved"], ctx.steps["back"], ctx.steps["again"]) == ("Saved ACME", 1, "Saved Globex")
    assert ctx.steps["later"] == "Saved Later"  # a frame's handler that leaves a moment later
    assert time.monotonic() - started < 15, "waited for the frame's page, not out the 30 s navigation limit"


def test_a_click_on_a_link_that_leaves_no_page_behind_does_not_wait(run_steps):
    # a mail link, and a link whose server answers "204 No Content": the page stays, nothing to wait for
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path == "/ping":
            return 204, {}, b""
        if request.path == "/frames":  # the same links in a frame of a frameset
            return 200, {}, b"<frameset rows='50%,50%'><frame name=top src='/'><frame name=main src='/'></frameset>"
        return 200, {}, b"<h1>Start</h1><a href='mailto:ap@example.com'>mail</a> <a href='/ping'>ping</a>"

    with serve(respond) as url:
        started = time.monotonic()
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.click: {{text: mail}}
      - browser.click: {{text: ping}}
      - {{id: still, browser.text: h1}}
      - browser.goto: "{url}frames"
      - browser.click: {{text: mail, frame: "frame[name=main]"}}
      - browser.click: {{text: ping, frame: "frame[name=main]"}}
      - {{id: framed, browser.text: {{selector: h1, frame: "frame[name=main]"}}}}
    """)
    assert ctx.steps["still"] == ctx.steps["framed"] == "Start"
    assert time.monotonic() - started < 15, "the clicks waited for a next page that never came"


def test_fill_form_finds_fields_of_legacy_layouts_and_radio_groups(run_steps):
    page = ("<form><table><tr><td>Vendor:</td><td><input name=v1></td></tr>"
            "<tr><td><b>Amount *</b></td><td><input name=v2 type=number></td></tr>"
            "<tr><td>Memo: <input name=v3></td></tr></table>"
            "<dl><dt>Due date</dt><dd><input name=v4 type=date></dd></dl>"
            "<fieldset><legend>Payment</legend><label><input type=radio name=pay value=cash> Cash</label>"
            "<label><input type=radio name=pay value=card> Credit card</label></fieldset>"
            "<input type=radio name=ship value=air>Air <input type=radio name=ship value=sea>Sea</form>")
    ctx = run_steps(f"""
      - browser.goto: "data:text/html,{page}"
      - id: filled
        browser.fill_form:
          fields: {{Vendor: ACME, Amount: 12.5, Memo: late, Due date: 2026-12-01, Payment: Credit card,
                   ship: sea}}
      - id: values
        browser.evaluate: "[...document.querySelectorAll('input:not([type=radio])')].map(e => e.value)
          .concat([...document.querySelectorAll('input:checked')].map(e => e.value))"
    """)
    assert ctx.steps["filled"]["filled"] == ["Vendor", "Amount", "Memo", "Due date", "Payment", "ship"]
    assert ctx.steps["values"] == ["ACME", "12.5", "late", "2026-12-01", "card", "sea"]


def test_table_lays_merged_cells_and_two_header_rows_on_a_grid(run_steps):
    page = ("<table id=t><thead><tr><th rowspan=2>Vendor</th><th colspan=2>Amount</th><th rowspan=2>Note</th>"
            "<th rowspan=2>Note</th></tr><tr><th>Net</th><th>Tax</th></tr></thead>"
            "<tbody><tr><td rowspan=2>ACME</td><td>100</td><td>10</td><td>a</td><td>b</td></tr>"
            "<tr><td>200</td><td>20</td><td colspan=2>merged</td></tr>"
            "<tr><td colspan=5></td></tr></tbody></table>")
    ctx = run_steps(f"""
      - browser.goto: "data:text/html,{page}"
      - {{id: rows, browser.table: "#t"}}
    """)
    assert ctx.steps["rows"] == [
        {"Vendor": "ACME", "Amount Net": "100", "Amount Tax": "10", "Note": "a", "Note_2": "b"},
        {"Vendor": "ACME", "Amount Net": "200", "Amount Tax": "20", "Note": "merged", "Note_2": ""}]


def test_fill_form_submit_names_a_button_by_its_text(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - id: entry
        browser.fill_form:
          fields: {Vendor: Hooli, Invoice number: T-WORD-1, Invoice date: 2026-02-03, Amount: 7, Currency: KRW,
                   Category: Goods}
          submit: Save invoice
      - {id: answer, browser.text: {test_id: confirmation-number}}
    """)
    assert ctx.steps["entry"]["submitted"] is True and ctx.steps["answer"].startswith("ERP-")
    assert erp.state.invoices[-1]["invoice_no"] == "T-WORD-1"


def test_fill_form_method_fill_and_list_of_locators(run_steps, erp):
    run_steps(LOGIN + """
      - browser.fill_form:
          method: fill
          fields:
            - {locator: ["#vendor-stale-id", {label: Vendor}], value: Globex}
            - {locator: {label: Invoice number}, value: T-LIST-1}
            - {locator: {label: Invoice date}, value: 2026-02-03}
            - {locator: {label: Currency}, value: CHF}
            - {locator: {role: spinbutton, name: Amount}, value: 10}
            - {locator: {label: Category}, value: Goods}
          submit: {role: button, name: Save invoice}
      - browser.wait_for: {test_id: confirmation-number}
    """)
    assert erp.state.invoices[-1]["invoice_no"] == "T-LIST-1"
    assert erp.state.invoices[-1]["currency"] == "CHF"


def test_fallback_locators_survive_a_changed_id(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - id: vendor
        browser.attribute:
          locator: ["#vendor", "input[name=vendor]", {label: Vendor}]
          attribute: id
    """)
    assert ctx.steps["vendor"].startswith("f")  # the per-session id, found through the label


def test_a_locator_matching_nothing_fails_with_its_description(run_steps):
    started = time.monotonic()
    with pytest.raises(ApplicationError, match=r"nothing on the page matches '#nope' or \{role: 'button', "
                                               r"name: 'Nope'\} after 0.8s"):
        run_steps(LOGIN + """
          - browser.click: ["#nope", {role: button, name: Nope}]
            timeout: 1s
            retry: {attempts: 1}
        """)
    assert time.monotonic() - started < 5


def test_a_timeout_is_an_application_error_naming_the_step(run_steps):
    with pytest.raises(ApplicationError, match=r"browser.click \{role: 'button', name: 'Missing'\}: timed out"):
        run_steps(LOGIN + """
          - browser.click: {role: button, name: Missing}
            timeout: 1s
            retry: {attempts: 1}
        """)


def test_a_value_the_field_refuses_is_a_business_error(run_steps):
    with pytest.raises(BusinessError, match=r'Amount: the field kept ""'):
        run_steps(LOGIN + "  - browser.fill_form: {fields: {Amount: '1.234,56'}}\n")
    with pytest.raises(BusinessError, match=r"field Currency: no option 'XYZ' in the list \(options: -- choose --, KRW"):
        run_steps(LOGIN + "  - browser.fill_form: {fields: {Currency: XYZ}}\n", options=", timeout: 2s")
    with pytest.raises(BusinessError, match=r"'05/01/2026' could be 5 January 2026 \(day first\) or May 1, 2026"):
        run_steps(LOGIN + "  - browser.fill: {locator: {label: Invoice date}, value: 05/01/2026}\n")
    with pytest.raises(BusinessError, match=r"refuses this value.*Cannot type text into input\[type=number\]"):
        run_steps(LOGIN + "  - browser.fill: {locator: {label: Amount}, value: '1.234,56'}\n")


def test_text_attribute_table_and_count_read_the_list(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - browser.goto: /invoices
      - {id: rows, browser.table: "#invoice-list"}
      - {id: vendors, browser.text: {locator: "#invoice-list tbody td:nth-child(3)", all: true}}
      - {id: href, browser.attribute: {locator: {role: link, name: Export CSV}, attribute: href}}
      - {id: count, browser.count: "#invoice-list tbody tr"}
      - {id: title, browser.evaluate: "document.title"}
      - browser.hover: {role: link, name: Export CSV}
      - browser.goto: /
      - {id: back, browser.back: {}}
      - {id: again, browser.reload: {}}
    """)
    assert ctx.steps["back"]["url"].endswith("/invoices") and ctx.steps["again"]["status"] == 200
    rows = ctx.steps["rows"]
    assert len(rows) == len(erp.state.invoices) == ctx.steps["count"]
    newest = erp.state.invoices[-1]
    assert rows[0]["Confirmation"] == newest["confirmation"] and rows[0]["Vendor"] == newest["vendor"]
    assert list(rows[0]) == ["Confirmation", "Invoice no", "Vendor", "Invoice date", "Due date", "PO number",
                             "Currency", "Amount", "Category", "Entered by"]
    assert ctx.steps["vendors"] == [r["Vendor"] for r in rows]
    assert ctx.steps["href"].startswith("/invoices/export.csv")
    assert ctx.steps["title"] == "Invoices - ACME ERP"


def test_press_and_wait_for_url_search_the_list(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - browser.goto: /invoices
      - browser.fill: {locator: {placeholder: "Vendor, invoice or confirmation no"}, value: Northwind}
      - browser.press: {key: Enter, locator: {label: Search}}
      - {id: url, browser.wait_for: {url: "**/invoices?q=Northwind"}}
      - {id: rows, browser.table: "#invoice-list"}
    """)
    assert ctx.steps["url"].endswith("q=Northwind")
    assert ctx.steps["rows"] and all(r["Vendor"] == "Northwind Supplies Ltd" for r in ctx.steps["rows"])


def test_download_screenshot_and_pdf_go_into_the_artifacts(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - browser.goto: /invoices
      - {id: csv, browser.download: {role: link, name: Export CSV}}
      - {id: shot, browser.screenshot: {}}
      - {id: part, browser.screenshot: {locator: "#invoice-list", path: out/list.png}}
      - {id: pdf, browser.pdf: {}}
    """)
    root = ctx.session.root
    with open(root / ctx.steps["csv"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(erp.state.invoices)
    assert (root / ctx.steps["shot"]).read_bytes()[:4] == b"\x89PNG"
    assert ctx.steps["part"] == "out/list.png" and (root / "out/list.png").stat().st_size > 1000
    assert (root / ctx.steps["pdf"]).read_bytes()[:5] == b"%PDF-"
    assert {a["kind"] for a in ctx.artifacts} == {"download", "screenshot", "pdf"}


def test_upload_puts_project_files_into_a_file_input(run_steps, tmp_path):
    (tmp_path / "project").mkdir(exist_ok=True)
    (tmp_path / "project" / "scan.txt").write_text("hello", encoding="utf-8")
    ctx = run_steps("""
      - browser.goto: "data:text/html,<label>Scan <input type=file id=f multiple></label>"
      - {id: up, browser.upload: {locator: {label: Scan}, files: [scan.txt]}}
      - {id: name, browser.evaluate: "document.getElementById('f').files[0].name"}
    """)
    assert ctx.steps["up"] == ["scan.txt"] and ctx.steps["name"] == "scan.txt"


def test_a_failure_leaves_screenshot_html_and_a_trace_without_secrets(run_steps, erp):
    from orchestrator.logs import register_secrets

    register_secrets(list(SECRETS.values()))
    ctx = run_steps("""
      - browser.goto: /login
      - browser.fill: {locator: {label: Username}, value: "{{ secrets.ERP_USER }}"}
      - browser.fill_form: {fields: {Password: "{{ secrets.ERP_PASSWORD }}"}}
      - browser.click: "#does-not-exist"
        timeout: 1s
        retry: {attempts: 1}
    """, fails=True)
    kinds = {a["kind"]: ctx.session.root / a["path"] for a in ctx.artifacts}
    assert set(kinds) == {"screenshot", "html", "trace"}
    assert kinds["screenshot"].read_bytes()[:4] == b"\x89PNG"
    html = kinds["html"].read_text(encoding="utf-8")
    assert "data-retake-secret" in html and "demo-password" not in html
    with zipfile.ZipFile(kinds["trace"]) as trace:
        blob = b"".join(trace.read(name) for name in trace.namelist())
    assert b"does-not-exist" in blob and b"Username" in blob  # the trace did record the login page
    assert b"demo-password" not in blob and b"clerk" not in blob


def test_locators_reach_into_iframes(run_steps):
    inner = "<label>Amount <input id=amount></label><button>Go</button>"
    ctx = run_steps(f"""
      - browser.goto: "data:text/html,<h1>Legacy</h1><iframe id=main srcdoc='{inner}'></iframe>"
      - browser.fill: {{locator: {{frame: "#main", label: Amount}}, value: "42"}}
      - {{id: value, browser.attribute: {{locator: {{frame: "#main", css: "#amount"}}, attribute: value}}}}
      - {{id: count, browser.count: {{frame: ["#main"], role: button, name: Go}}}}
    """)
    assert ctx.steps["value"] == "42" and ctx.steps["count"] == 1


def test_switch_page_follows_a_popup_and_comes_back(run_steps, erp):
    ctx = run_steps(LOGIN + """
      - browser.goto: /invoices
      - browser.evaluate: "window.open('/invoices/new', '_blank')"
      - {id: popup, browser.switch_page: last}
      - {id: label, browser.text: "label >> nth=0"}
      - {id: back, browser.close_page: {}}
    """)
    assert ctx.steps["popup"]["url"].endswith("/invoices/new") and ctx.steps["popup"]["index"] == 1
    assert ctx.steps["label"] == "Vendor"
    assert ctx.steps["back"]["url"].endswith("/invoices")


def test_fill_form_accepts_a_page_that_reformats_what_was_typed(run_steps):
    # legacy amount fields format on blur, code fields upper-case on input: the page's business, not an error
    page = ('<label>Amount <input id=a onblur="this.value=Number(this.value).toLocaleString(`en-US`,'
            '{minimumFractionDigits: 2})"></label>'
            '<label>Code <input id=c oninput="this.value=this.value.toUpperCase()"></label>')
    ctx = run_steps(f"""
      - browser.goto: 'data:text/html,{page}'
      - browser.fill_form: {{fields: {{Amount: 1200, Code: abc-1}}}}
      - id: values
        browser.evaluate: "[a.value, c.value]"
    """)
    assert ctx.steps["values"] == ["1,200.00", "ABC-1"]


def test_fill_form_finds_fields_shown_or_redrawn_by_the_field_set_before(run_steps):
    # setting Country shows a Province field; setting Vendor redraws the Amount field (a new element)
    page = ("<label>Vendor <input id=v></label><span id=box><label>Amount <input id=a></label></span>"
            "<label>Country <select id=c><option>US</option><option>KR</option></select></label><div id=more></div>"
            "<script>v.addEventListener(`input`, () => { box.innerHTML = box.innerHTML; });"
            "c.addEventListener(`change`, () => { more.innerHTML = "
            "`<label for=p>Province</label><input id=p>`; });</script>")
    ctx = run_steps(f"""
      - browser.goto: 'data:text/html,{page}'
      - browser.fill_form: {{fields: {{Vendor: ACME, Amount: 1200, Country: KR, Province: Gyeonggi}}}}
      - id: values
        browser.evaluate: "[v.value, document.getElementById('a').value, c.value, document.getElementById('p').value]"
    """)
    assert ctx.steps["values"] == ["ACME", "1200", "KR", "Gyeonggi"]


def test_fill_form_answers_on_a_page_whose_scripts_change_json(run_steps):
    # an old library's Array.prototype.toJSON (Prototype.js) encodes lists twice; a page may replace JSON
    page = ("<label>Vendor <input id=v></label><label>Amount <input id=a></label>"
            "<script>Array.prototype.toJSON = function () { return `twice`; };"
            "window.JSON = {parse: () => null, stringify: () => `broken`};</script>")
    ctx = run_steps(f"""
      - browser.goto: 'data:text/html,{page}'
      - id: filled
        browser.fill_form: {{fields: {{Vendor: ACME, Amount: 1200}}}}
      - id: values
        browser.evaluate: "[v.value, document.getElementById('a').value, typeof [].toJSON]"
    """)
    assert ctx.steps["filled"] == {"filled": ["Vendor", "Amount"], "submitted": False}
    assert ctx.steps["values"] == ["ACME", "1200", "function"]


PAGED_SCRIPT = """
const data = [['A-1', '10'], ['A-2', '20'], ['B-1', '30'], ['B-2', '40'], ['C-1', '50']];
let at = 0;
function show() {
  const body = document.querySelector('#t tbody');
  body.innerHTML = '<tr><td colspan=2>Loading...</td></tr>';
  setTimeout(() => {
    body.innerHTML = data.slice(at, at + 2).map(r => `<tr><td>${r[0]}</td><td>${r[1]}</td></tr>`).join('');
    document.querySelector('#next').disabled = at + 2 >= data.length;
  }, 150);
}
document.querySelector('#next').onclick = () => { at += 2; show(); };
show();
"""


def test_table_follows_next_through_pages_drawn_by_a_script(run_steps, tmp_path):
    page = tmp_path / "paged.html"
    page.write_text("<table id=t><thead><tr><th>No</th><th>Amount</th></tr></thead><tbody></tbody></table>"
                    f"<button id=next>Next</button><script>{PAGED_SCRIPT}</script>", encoding="utf-8")
    ctx = run_steps(f"""
      - browser.goto: "{page.as_uri()}"
      - browser.wait_for: {{text: A-1}}
      - id: rows
        browser.table: {{locator: "#t", next: {{role: button, name: Next}}}}
      - id: two
        browser.table: {{locator: "#t", next: "#next", max_pages: 2}}
    """)
    assert [r["No"] for r in ctx.steps["rows"]] == ["A-1", "A-2", "B-1", "B-2", "C-1"]
    assert ctx.steps["rows"][4] == {"No": "C-1", "Amount": "50"}
    assert [r["No"] for r in ctx.steps["two"]] == ["C-1"]  # already on the last page: Next is disabled


def test_table_follows_next_links_through_server_pages(run_steps):
    from urllib.parse import parse_qs, urlsplit

    def page(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        number = int(parse_qs(urlsplit(handler.path).query).get("page", ["1"])[0])
        rows = "".join(f"<tr><td>{number}-{i}</td></tr>" for i in range(3))
        link = f"<a href='/list?page={number + 1}'>Next &raquo;</a>" if number < 3 else "<span>Next</span>"
        return 200, {}, f"<table id=t><tr><th>Ref</th></tr>{rows}</table>{link}".encode()

    with serve(page) as url:
        ctx = run_steps(f"""
          - browser.goto: "{url}list"
          - id: rows
            browser.table: {{locator: "#t", next: {{role: link, name: "Next »"}}}}
          - id: url
            browser.evaluate: location.search
        """)
    assert [r["Ref"] for r in ctx.steps["rows"]] == [f"{p}-{i}" for p in (1, 2, 3) for i in range(3)]
    assert ctx.steps["url"] == "?page=3"


def test_http_credentials_sign_in_to_a_site_behind_basic_authentication(run_steps):
    import base64

    expected = "Basic " + base64.b64encode(b"clerk:demo-password").decode()

    def intranet(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.headers.get("Authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="intranet"'}, b""
        return 200, {}, b"<h1 id=hello>Welcome to the intranet</h1>"

    with serve(intranet) as url:
        ctx = run_steps(f"""
          - browser.goto: "{url}"
          - id: hello
            browser.text: "#hello"
        """, options=', http_credentials: {username: "{{ secrets.ERP_USER }}", password: "{{ secrets.ERP_PASSWORD }}"}')
        with pytest.raises(ConfigError, match="asks for a user name and password.*browser.http_credentials"):
            run_steps(f"- browser.goto: {url}\n")  # without them: not retried, says what to set
    assert ctx.steps["hello"] == "Welcome to the intranet"


def test_check_ticks_boxes_drawn_by_the_page_over_a_hidden_input(run_steps):
    page = ("<label><input type=checkbox id=a style='opacity:0;position:absolute;width:0;height:0'>"
            "<span>Agree</span></label>"
            "<label><input type=checkbox id=b checked style='display:none'><span>Newsletter</span></label>"
            "<label><input type=checkbox id=c><span>Plain</span></label>")
    ctx = run_steps(f"""
      - browser.goto: "data:text/html,{page}"
      - browser.check: {{label: Agree}}
      - browser.uncheck: {{label: Newsletter}}
      - browser.check: {{label: Plain}}
      - browser.check: {{label: Agree}}
      - id: boxes
        browser.evaluate: "[a.checked, b.checked, c.checked]"
    """)
    assert ctx.steps["boxes"] == [True, False, True]


LISTBOX_SCRIPT = """
const box = document.getElementById('box'), list = document.getElementById('list');
box.onclick = () => { list.hidden = false; };
for (const option of list.children) option.onclick = () => {
  box.textContent = option.textContent; list.hidden = true;
};
const city = document.getElementById('city'), cities = document.getElementById('cities');
city.oninput = () => {
  cities.innerHTML = ['Seoul', 'Busan', 'Incheon'].filter(c => c.toLowerCase().startsWith(city.value.toLowerCase()))
    .map(c => `<li role=option>${c}</li>`).join('');
};
cities.onclick = e => { city.value = e.target.textContent; cities.innerHTML = ''; };
"""


def test_select_picks_in_dropdowns_drawn_by_the_page(run_steps, tmp_path):
    page = tmp_path / "listbox.html"
    page.write_text("<label id=l>Priority</label><div id=box role=combobox aria-labelledby=l tabindex=0>Choose"
                    "</div><ul id=list role=listbox hidden><li role=option>Low</li><li role=option>High</li>"
                    "<li role=option>Highest</li></ul>"
                    "<label>City <input id=city role=combobox></label><ul id=cities role=listbox></ul>"
                    f"<script>{LISTBOX_SCRIPT}</script>", encoding="utf-8")
    ctx = run_steps(f"""
      - browser.goto: "{page.as_uri()}"
      - browser.select: {{locator: {{role: combobox, name: Priority}}, value: High}}
      - browser.select: {{locator: {{label: City}}, label: Busan}}
      - id: chosen
        browser.evaluate: "[box.textContent, city.value]"
    """)
    assert ctx.steps["chosen"] == ["High", "Busan"]  # "High", not "Highest": the exact text first
    ctx = run_steps(f"""
      - browser.goto: "{page.as_uri()}"
      - browser.fill_form: {{fields: {{Priority: Highest, City: Incheon}}}}
      - id: chosen
        browser.evaluate: "[box.textContent, city.value]"
    """)
    assert ctx.steps["chosen"] == ["Highest", "Incheon"]  # fill_form opens the drawn one too
    with pytest.raises(BusinessError, match=r"no option 'Urgent' in the list \(options: Low, High, Highest\)"):
        run_steps(f"""
          - browser.goto: "{page.as_uri()}"
          - browser.select: {{locator: {{role: combobox, name: Priority}}, value: Urgent, }}
        """, options=", timeout: 1s")


def test_date_inputs_take_dates_written_another_way(run_steps):
    page = "<label>Issued <input type=date id=a></label><label>Due <input type=date id=b></label>"
    page += "<label>Reference <input id=c></label>"
    ctx = run_steps(f"""
      - browser.goto: "data:text/html,{page}"
      - browser.fill_form: {{fields: {{Issued: 29/11/2026, Reference: 29/11/2026}}}}
      - browser.fill: {{locator: {{label: Due}}, value: "Dec 29, 2026"}}
      - id: values
        browser.evaluate: "[a.value, b.value, c.value]"
    """)
    assert ctx.steps["values"] == ["2026-11-29", "2026-12-29", "29/11/2026"]  # a text field keeps the text
    with pytest.raises(BusinessError, match=r"Issued: the field kept \"\""):
        run_steps(f"""
          - browser.goto: "data:text/html,{page}"
          - browser.fill_form: {{fields: {{Issued: 03/04/2026}}}}
        """)


def test_table_reads_a_grid_drawn_with_aria_roles(run_steps):
    head = "".join(f"<div role=columnheader>{h}</div>" for h in ("Order", "Customer", "Total"))
    body = "".join(f"<div role=row><div role=gridcell>{o}</div><div role=gridcell>{c}</div>"
                   f"<div role=gridcell><span>{t}</span></div></div>"
                   for o, c, t in (("SO-1", "Globex", "1,200.00"), ("SO-2", "Initech", "88.50")))
    page = f"<div role=grid id=orders><div role=rowgroup><div role=row>{head}</div></div>" \
           f"<div role=rowgroup>{body}</div></div>"
    ctx = run_steps(f"""
      - browser.goto: "data:text/html,{page}"
      - id: rows
        browser.table: {{role: grid}}
    """)
    assert ctx.steps["rows"] == [{"Order": "SO-1", "Customer": "Globex", "Total": "1,200.00"},
                                 {"Order": "SO-2", "Customer": "Initech", "Total": "88.50"}]
