"""Forms of legacy applications: late dropdowns, the browser's own checks, slow servers, yes/no boxes."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import pytest
from test_browser_actions import run_steps, serve  # noqa: F401 - the fixture and the small site

from orchestrator.errors import BusinessError

pytestmark = pytest.mark.browser

LATE_SELECT = """<meta charset=utf-8><form action="/done"><label for=country>Country</label>
<select id=country name=country><option value="">Loading…</option></select>
<label for=city>City</label><select id=city name=city><option value="">--</option></select>
<label for=cat>Category</label><select id=cat name=cat><option value="">--</option>
<option value="1">Raw&nbsp;material</option><option value="2">&nbsp;&nbsp;Services</option></select>
<input type=submit value=Save></form>
<script>
const country = document.getElementById('country'), city = document.getElementById('city');
setTimeout(() => { country.innerHTML = '<option value="">--</option><option value="KR">Korea</option>'; }, 700);
country.addEventListener('change', () => {
  city.innerHTML = '<option value="">Loading…</option>';
  setTimeout(() => { city.innerHTML = '<option value="">--</option><option>Seoul</option><option>Busan</option>'; }, 500);
});
</script>"""


def page(html: str):
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/slow"):
            time.sleep(3)  # a server slower than the browser's timeout (2s here)
            return 200, {}, b"<h1>Saved slowly</h1>"
        if request.path.startswith("/done"):
            return 200, {}, f"<h1>Done</h1><pre>{request.path}</pre>".encode()
        return 200, {}, html.encode()
    return serve(respond)


def test_dropdowns_whose_options_arrive_late_are_waited_for(run_steps):
    with page(LATE_SELECT) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Country: Korea, City: Busan, Category: Raw material}}, submit: Save}}
      - {{id: sent, browser.text: pre}}
      - browser.goto: "{url}"
      - browser.select: {{locator: {{label: Country}}, value: Korea}}
      - browser.select: {{locator: {{label: City}}, value: Seoul}}
      - browser.select: {{locator: {{label: Category}}, value: Services}}
      - {{id: picked, browser.evaluate: "[...document.querySelectorAll('select')].map(s => s.value)"}}
    """)
    assert ctx.steps["sent"] == "/done?country=KR&city=Busan&cat=1"
    assert ctx.steps["picked"] == ["KR", "Seoul", "2"]


def test_an_option_that_never_comes_fails_with_the_options_there_are(run_steps):
    with page(LATE_SELECT) as url, pytest.raises(BusinessError, match=r"no option 'Japan'.*options: --, Korea"):
        run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Country: Japan}}}}
    """, options=", timeout: 2s")


def test_a_form_the_browser_refuses_to_send_is_a_business_error_naming_the_field(run_steps):
    html = """<form action="/done"><label>Quantity <input type=number name=qty min=1 max=9999></label>
    <label>Email <input type=email name=email required></label><input type=submit value=Save></form>"""
    with page(html) as url:
        with pytest.raises(BusinessError, match=r"the browser did not send the form: Quantity: .*greater than or equal to 1"):
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Quantity: 0, Email: a@b.c}}, submit: Save}}
    """)
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - {{id: form, browser.fill_form: {{fields: {{Quantity: 5, Email: a@b.c}}, submit: Save}}}}
      - {{id: sent, browser.text: pre}}
    """)
    assert ctx.steps["form"]["submitted"] is True and ctx.steps["sent"] == "/done?qty=5&email=a%40b.c"


def test_a_click_on_a_server_slower_than_the_timeout_waits_for_the_next_page(run_steps):
    html = """<form action="/slow"><label>Note <input name=note></label><input type=submit value=Save></form>
    <a href="/slow">slow link</a>"""
    with page(html) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill: {{locator: {{label: Note}}, value: x}}
      - browser.click: {{role: button, name: Save}}
      - {{id: first, browser.text: h1}}
      - browser.goto: "{url}"
      - browser.click: {{text: slow link}}
      - {{id: second, browser.text: h1}}
      - browser.goto: "{url}"
      - browser.press: {{key: Enter, locator: {{label: Note}}}}
      - {{id: third, browser.text: h1}}
    """, options=", timeout: 2s")
    assert ctx.steps["first"] == ctx.steps["second"] == ctx.steps["third"] == "Saved slowly"


def test_check_boxes_take_yes_and_no_in_the_words_of_a_sheet(run_steps):
    boxes = "".join(f"<label><input type=checkbox name=b{i} {'checked' if i % 2 else ''}> Box {i}</label>"
                    for i in range(8))
    html = f"<form>{boxes}</form>"
    values = ["Y", "N", "예", "아니오", "x", "n", "TRUE", "0"]
    fields = ", ".join(f"Box {i}: '{v}'" for i, v in enumerate(values))
    with page(html) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{{fields}}}}}
      - {{id: fast, browser.evaluate: "[...document.querySelectorAll('input')].map(b => b.checked)"}}
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{{fields}}}, method: fill}}
      - {{id: slow, browser.evaluate: "[...document.querySelectorAll('input')].map(b => b.checked)"}}
    """)
        with pytest.raises(BusinessError, match=r"Box 0: 'maybe' is not a yes or no"):
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Box 0: maybe}}}}
    """)
    expected = [True, False, True, False, True, False, True, False]
    assert ctx.steps["fast"] == expected and ctx.steps["slow"] == expected


def test_a_field_named_by_part_of_a_bilingual_cell_is_found(run_steps):
    html = """<meta charset=utf-8><form action="/done"><table>
    <tr><td>사용자 ID (User ID)</td><td><input name=uid_x1></td></tr>
    <tr><td>비밀번호 (Password)</td><td><input type=password name=pw_x2></td></tr>
    <tr><td>User IDs to copy</td><td><input name=copies></td></tr></table><input type=submit value=Login></form>"""
    with page(html) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{User ID: clerk, 비밀번호: secret}}, submit: Login}}
      - {{id: sent, browser.text: pre}}
    """)
    assert ctx.steps["sent"] == "/done?uid_x1=clerk&pw_x2=secret&copies="
