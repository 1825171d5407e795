"""Secrets out of traces, page HTML, logs and the ledger; HTTP authentication; messages that say where
the robot is and why an element cannot be used. Real Chromium against small local sites."""

from __future__ import annotations

import base64
import re
import textwrap
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from test_browser_actions import run_robot_t, serve  # the browser tests' robot runner and small site

from connectors import browser_secrets
from connectors.browser_launch import use_browser
from orchestrator import projects
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import ApplicationError, BusinessError, ConfigError
from orchestrator.loader import load_project
from orchestrator.logs import mask, register_secrets
from orchestrator.submit import run_embedded

pytestmark = pytest.mark.browser

SECRETS = {"SITE_USER": "clerk", "SITE_PASSWORD": "S3cr3t!pw"}
BASIC = "Basic " + base64.b64encode(b"clerk:S3cr3t!pw").decode()
CREDENTIALS = ', http_credentials: {username: "{{ secrets.SITE_USER }}", password: "{{ secrets.SITE_PASSWORD }}"}'
HEAD = """\
version: 1
project: security
timezone: Asia/Seoul
defaults:
  retry: {attempts: 3, backoff: 0s, max_backoff: 0s}
include: ["robots/*.yaml"]
"""


@pytest.fixture
def run_robot(browser, tmp_path):
    """Run the steps of a one-item robot `t`, written in robots/t.yaml, in this thread on pytest-playwright's
    browser; returns ctx. With `fails=True`, expects a failure and keeps its evidence as the runner does."""
    use_browser(browser)
    sessions: list[RunSession] = []

    def run(steps: str, *, options: str = "", timeout: str = "2s", fails: bool = False) -> StepContext:
        root = tmp_path / f"project-{len(sessions)}"
        (root / "robots").mkdir(parents=True)
        (root / "robots.yaml").write_text(HEAD, encoding="utf-8")
        robot = (f"robots:\n  t:\n    secrets: [SITE_USER, SITE_PASSWORD]\n    browser: {{timeout: {timeout}{options}}}\n"
                 "    steps:\n" + textwrap.indent(textwrap.dedent(steps).strip("\n") + "\n", "      "))
        (root / "robots" / "t.yaml").write_text(robot, encoding="utf-8")
        return run_robot_t(root, sessions, SECRETS, fails=fails)

    yield run
    for session in sessions:
        session.close()


def _evidence(ctx: StepContext) -> dict[str, Path]:
    return {a["kind"]: ctx.session.root / a["path"] for a in ctx.artifacts}


def _trace_blob(path: Path) -> bytes:
    with zipfile.ZipFile(path) as trace:
        return b"".join(trace.read(name) for name in trace.namelist())


# --- 1. Authorization headers and the base64 of the credentials ----------------------------------------------
def test_a_trace_keeps_no_authorization_header_of_any_scheme_nor_the_base64_of_the_credentials(run_robot):
    def site(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("Authorization") != BASIC:
            if request.path == "/api":  # called by the page's script with a token of its own
                return 200, {"Content-Type": "application/json"}, b'{"ok": true}'
            return 401, {"WWW-Authenticate": 'Basic realm="intranet"'}, b"sign in"
        # the page shows the header it got (some intranet pages print what they were sent), sets a cookie,
        # and its script calls an API with a bearer token
        return 200, {"Set-Cookie": "session=cookie-value-42"}, (
            f"<h1>Intranet</h1><p id=echo>{BASIC}</p><p id=done></p><script>fetch('/api', {{headers: "
            "{'Authorization': 'Bearer tok-0123456789abcdef'}}).then(() => done.textContent = 'called')"
            "</script>").encode()

    with serve(site) as url:
        ctx = run_robot(f"""
        - browser.goto: "{url}"
        - browser.goto: "{url}again"
        - browser.wait_for: {{text: called}}
        - browser.click: "#not-there"
          timeout: 1s
          retry: {{attempts: 1}}
        """, options=CREDENTIALS, fails=True)
    evidence = _evidence(ctx)
    blob = _trace_blob(evidence["trace"])
    assert b"Intranet" in blob and b"/api" in blob  # the trace did record the page and its request
    assert BASIC[6:].encode() not in blob and b"tok-0123456789abcdef" not in blob and b"S3cr3t" not in blob
    assert re.search(rb'"name":\s*"authorization",\s*"value":\s*"Basic \*\*\*"', blob, re.IGNORECASE)
    assert re.search(rb'"name":\s*"authorization",\s*"value":\s*"Bearer \*\*\*"', blob, re.IGNORECASE)
    assert b"cookie-value-42" in blob  # cookies are left as they are
    html = evidence["html"].read_text(encoding="utf-8")
    assert "<p id=\"echo\">Basic ***</p>" in html  # not even the user name's part of it


def test_authorization_values_are_scrubbed_wherever_a_trace_file_writes_headers(tmp_path):
    # the shapes headers take in trace files: HAR-like lists (.network, resources/*.json), mappings, raw lines
    digest = 'Digest username=\\"clerk\\", realm=\\"x\\", response=\\"6629fae49393a05397450978507c4ef1\\"'
    files = {
        "trace.network": '{"request": {"headers": [{"name": "Proxy-Authorization", "value": "NTLM TlRMTVNTUAABAAAA"},'
                         f' {{"name": "authorization", "value": "{digest}"}}, {{"name": "Cookie", "value": "a=b"}}]}}}}',
        "resources/req.json": '{"headers": {"Authorization": "Bearer eyJhbGciOi.payload.sig"}}',
        "resources/raw.txt": "GET / HTTP/1.1\r\nAuthorization: Basic Y2xlcms6UzNjcjN0IXB3\r\nHost: x\r\n",
        "trace.trace": '{"log": "sent NTLM TlRMTVNTUAABAAAA and eyJhbGciOi.payload.sig again"}',
    }
    path = tmp_path / "trace.zip"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    assert browser_secrets.scrub_zip(path, [])
    with zipfile.ZipFile(path) as z:
        out = {name: z.read(name).decode() for name in z.namelist()}
    assert '"value": "NTLM ***"' in out["trace.network"] and '"value": "Digest ***"' in out["trace.network"]
    assert '"value": "a=b"' in out["trace.network"] and "6629fae4" not in out["trace.network"]
    assert out["resources/req.json"] == '{"headers": {"Authorization": "Bearer ***"}}'
    assert "Authorization: Basic ***\r\n" in out["resources/raw.txt"]
    assert out["trace.trace"] == '{"log": "sent NTLM *** and *** again"}'  # copies elsewhere go too


# --- 2, 3. Wrong or missing http_credentials: a configuration error at the robot's own step ------------------
def test_wrong_http_credentials_fail_at_once_as_a_configuration_error_at_the_step_s_line(run_robot):
    wrong = "Basic " + base64.b64encode(b"clerk:an-old-password").decode()
    sent_wrong: list[str] = []

    def site(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("Authorization") == wrong:
            sent_wrong.append(request.path)
        body = b"" if request.path == "/empty" else "인증 필요".encode()  # a 401 page, or none at all
        return 401, {"WWW-Authenticate": 'Basic realm="intranet"'}, body

    options = ', http_credentials: {username: "{{ secrets.SITE_USER }}", password: an-old-password}'
    steps = """
        - log: first
        - browser.goto: "{url}{path}"
        - browser.fill: {{locator: "#name", value: x}}
    """
    with serve(site) as url:
        for path in ("page", "empty"):
            with pytest.raises(ConfigError) as refused:
                run_robot(steps.format(url=url, path=path), options=options)
            assert str(refused.value).startswith("robots/t.yaml:7:23: browser.goto")
            assert "refused the user name and password of the robot's browser.http_credentials" in str(refused.value)
        assert sent_wrong == ["/page", "/empty"]  # once each: not retried (3 attempts), so no account lock-out
        with pytest.raises(ConfigError) as missing:  # without credentials: the robot's file too, not robots.yaml
            run_robot(steps.format(url=url, path="page"))
    assert str(missing.value).startswith("robots/t.yaml:7:23: browser.goto")
    assert "asks for a user name and password" in str(missing.value)


# --- 4. Secrets masked in every spelling in logs and the ledger --------------------------------------------
def test_a_secret_in_a_url_is_masked_in_the_log_and_the_ledger_in_every_spelling(embedded, make_project,
                                                                                 monkeypatch):
    secret = "Geheim #2026/ä&"
    forms = {urllib.parse.quote(secret), urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             base64.b64encode(secret.encode()).decode()}
    register_secrets([secret])
    assert all(mask(f"at {form}.") == "at ***." for form in forms)
    monkeypatch.setenv("PORTAL_PW", secret)
    with serve(lambda request: (200, {}, b"<title>Suche</title><h1>Suche</h1>")) as url:
        root = make_project(f"""
        robots:
          search:
            secrets: [PORTAL_PW]
            retry: {{attempts: 1}}
            steps:
              - id: s
                browser.goto: "{url}suche?q={{{{ secrets.PORTAL_PW | urlencode }}}}"
              - log: "landed on {{{{ steps.s.url }}}}"
              - fail: "stop at {{{{ steps.s.url }}}}"
        """)
        loaded = load_project(root)
        run = run_embedded(loaded, "search", {})
    assert run["items_failed"] == 1
    failed = projects.ledger_for(loaded).run_items(run["id"])[0]
    assert failed["error_message"] == f"stop at {url}suche?q=***"
    files = [p for p in (root / ".retake").rglob("*") if p.is_file() and p.suffix in (".jsonl", ".db", ".html")]
    assert any(p.suffix == ".jsonl" for p in files) and any(p.suffix == ".db" for p in files)
    for path in files:
        data = path.read_bytes()
        for form in forms | {secret}:
            assert form.encode() not in data, (path, form)
    assert f"landed on {url}suche?q=***" in next(p for p in files if p.suffix == ".jsonl").read_text(encoding="utf-8")


# --- 5. page.html of a frame-based application -------------------------------------------------------------
def test_page_html_holds_the_html_of_every_frame_cleaned_of_secrets(run_robot):
    def site(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        pages = {"/": "<frameset rows='30,*'><frame name=menu src=/menu><frame name=main src=/home></frameset>",
                 "/menu": "<b>MENU</b>",
                 "/home": "<h3>Vendors</h3><iframe name=content src=/vendor></iframe>",
                 "/vendor": "<p>Signed in as clerk</p><table><tr><td>Vendor:</td><td>ACME Korea</td></tr></table>"}
        return 200, {}, pages[request.path].encode()

    with serve(site) as url:
        ctx = run_robot(f"""
        - browser.goto: "{url}"
        - browser.text: {{frame: ["frame[name=main]", "iframe[name=content]"], text: ACME Korea}}
        - fail: the vendor is there, but the item fails
        """, fails=True)
    html = _evidence(ctx)["html"].read_text(encoding="utf-8")
    assert html.startswith("<html><head></head><frameset")  # the page itself first, as it was
    assert f'<!-- ===== frame 1 of 3: "menu" {url}menu ===== -->' in html and "<b>MENU</b>" in html
    assert f'<!-- ===== frame 3 of 3: "main" > "content" {url}vendor ===== -->' in html
    assert "ACME Korea" in html and "Signed in as ***" in html and "clerk" not in html


# --- 6. Timeouts say on which page, and when it is a login form ---------------------------------------------
def test_a_timeout_names_the_page_and_says_when_it_is_a_login_form(run_robot):
    def site(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/app"):  # the session has expired: to the login form
            return 302, {"Location": "/login?next=/app"}, b""
        if request.path.startswith("/login"):
            return 200, {}, (b"<form><label>User <input name=u></label><label>Password <input type=password "
                             b"name=p></label><button>Sign in</button></form>")
        # a form with a PIN field among many others is no login form
        return 200, {}, b"<form>" + b"".join(b"<input name=f%d>" % i for i in range(6)) + b"<input type=password></form>"

    with serve(site) as url:
        for steps, pattern in (('- browser.text: {xpath: "//h1[@id=\'total\']"}', r"timed out after 1s: Locator\.inner_text"),
                               ("- browser.click: ['#save', {role: button, name: Save}]", r"nothing on the page matches")):
            with pytest.raises(ApplicationError) as expired:
                run_robot(f"""
                - browser.goto: "{url}app/orders"
                {steps}
                  retry: {{attempts: 1}}
                """, timeout="1s")
            assert re.search(pattern, str(expired.value))
            assert re.search(rf"\(page {re.escape(url)}login\?next=/app\); the page is a login form: the session may "
                             "have expired$", str(expired.value)), str(expired.value)
        with pytest.raises(ApplicationError) as other:
            run_robot(f"""
            - browser.goto: "{url}form"
            - browser.text: {{xpath: "//h1[@id='total']"}}
              retry: {{attempts: 1}}
            """, timeout="1s")
    assert str(other.value).endswith(f"Timeout 1000ms exceeded. (page {url}form)")


# --- 7. Read-only and disabled elements ---------------------------------------------------------------------
def test_fill_on_a_read_only_or_disabled_field_fails_as_bad_data_and_a_click_on_a_disabled_button_says_so(
        run_robot):
    page = ("data:text/html,<input name=reg readonly value=R-1><input name=off disabled>"
            "<button id=save disabled>Save</button>")
    for locator, state in (("[name=reg]", "read-only"), ("[name=off]", "disabled")):
        with pytest.raises(BusinessError, match=rf": the field is {state} \(it stayed so for 0\.8s, page data:"):
            run_robot(f"""
            - browser.goto: "{page}"
            - browser.fill: {{locator: "{locator}", value: R-9999}}
              timeout: 1s
            """)
    with pytest.raises(ApplicationError, match=r"browser.click '#save': timed out after 0\.8s: the element is "
                                               r"disabled and stayed so \(Locator.click: Timeout 800ms exceeded\.\) "
                                               r"\(page data:"):
        run_robot(f"""
        - browser.goto: "{page}"
        - browser.click: "#save"
          timeout: 1s
          retry: {{attempts: 1}}
        """)
