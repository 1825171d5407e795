"""Patterns of web applications the robots had not met: lookup popups, editable grids, suggesting inputs,
fields that take keys only, sliders, overlays, field names from the item."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest
from test_browser_actions import run_steps, serve  # noqa: F401 - the fixture and the small site

from orchestrator.errors import ApplicationError, BusinessError

pytestmark = pytest.mark.browser

PAGES = {
    "/opener": """<meta charset=utf-8><button onclick="window.open('/lookup','lk','width=400,height=300')">Find vendor</button>
<label>Vendor code <input id=vc></label>""",
    "/lookup": """<a href="#" onclick="opener.document.getElementById('vc').value='V-ACME';window.close();return false">ACME</a>""",
    "/grid": """<meta charset=utf-8><table id=t><tr><th>Code</th><th>Currency</th><th>Approved</th><th>Comment</th><th>Note</th></tr>
<tr><td>A1</td><td><select><option>KRW</option><option selected>USD</option></select></td>
<td><input type=checkbox checked></td><td><textarea>ok</textarea></td><td>see <input value=x></td></tr></table>""",
    "/suggest": """<meta charset=utf-8><form action="/done"><label id=cl for=cb>담당자</label>
<input id=cb name=name role=combobox aria-autocomplete=list aria-controls=lb aria-labelledby=cl>
<ul id=lb role=listbox hidden></ul><input type=hidden id=emp name=emp><input type=submit value=Save></form>
<script>
const people = {"김민지": "E02", "이서준": "E03"};
cb.addEventListener('input', () => setTimeout(() => {
  lb.innerHTML = ''; lb.hidden = false;
  for (const [name, id] of Object.entries(people)) if (name.startsWith(cb.value)) {
    const li = document.createElement('li'); li.setAttribute('role', 'option'); li.textContent = name + ' (' + id + ')';
    li.onclick = () => { cb.value = name; emp.value = id; lb.hidden = true; }; lb.append(li);
  }
}, 300));
</script>""",
    "/keys": """<meta charset=utf-8><label for=code>Code</label><input id=code name=code>
<label>Level <input type=range name=level min=0 max=10></label>
<script>let buf = ''; code.addEventListener('keydown', e => { if (e.key.length == 1) { buf += e.key.toUpperCase();
e.preventDefault(); code.value = buf; } }); code.addEventListener('input', () => { code.value = buf; });</script>""",
    "/modal": """<meta charset=utf-8><form action="/done"><label>Reference <input name=ref></label><button>Submit</button></form>
<div id=ov style="position:fixed;inset:0;background:rgba(0,0,0,.5)"><div role=dialog aria-modal=true>
<h2>Notice</h2><button onclick="document.getElementById('ov').remove()">Close</button></div></div>""",
}


def _invoice_pdf() -> bytes:
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "Invoice no: INV-77")
    canvas.save()
    return out.getvalue()


PAGES["/view"] = """<a href="javascript:void(0)" onclick="location.href='/files/invoice%2077.pdf'">Download invoice</a>
<button onclick="window.open('/files/second.pdf', '_blank')">View invoice PDF</button>"""


def site():
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/files/"):  # shown in the browser, not sent as an attachment
            return 200, {"Content-Type": "application/pdf"}, _invoice_pdf()
        if request.path.startswith("/done"):
            return 200, {}, f"<h1>Done</h1><pre>{request.path}</pre>".encode()
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGES.get(request.path, "<h1>?</h1>").encode()
    return serve(respond)


def test_a_lookup_popup_that_fills_its_opener_and_closes_itself(run_steps):
    with site() as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}opener"
      - browser.click: {{role: button, name: Find vendor}}
      - browser.switch_page: "**/lookup*"
      - browser.click: {{role: link, name: ACME}}
      - {{id: code, browser.evaluate: "document.getElementById('vc').value"}}
    """)
    assert ctx.steps["code"] == "V-ACME"


def test_table_cells_holding_form_controls_read_as_shown(run_steps):
    with site() as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}grid"
      - {{id: rows, browser.table: "#t"}}
    """)
    assert ctx.steps["rows"] == [{"Code": "A1", "Currency": "USD", "Approved": "true", "Comment": "ok", "Note": "see"}]


def test_an_input_that_suggests_a_list_has_its_option_picked(run_steps):
    with site() as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}suggest"
      - browser.fill_form: {{fields: {{담당자: 이서준}}, submit: Save}}
      - {{id: sent, browser.text: pre}}
    """)
    assert ctx.steps["sent"] == "/done?name=%EC%9D%B4%EC%84%9C%EC%A4%80&emp=E03"


def test_a_field_the_page_empties_and_a_slider_out_of_range_are_business_errors(run_steps):
    with site() as url:
        with pytest.raises(BusinessError, match="Code: the page emptied the field.*typing: true"):
            run_steps(f"""
      - browser.goto: "{url}keys"
      - browser.fill_form: {{fields: {{Code: ab-77}}}}
    """)
        with pytest.raises(BusinessError, match="Level: the field took 10, not 15"):
            run_steps(f"""
      - browser.goto: "{url}keys"
      - browser.fill_form: {{fields: {{Level: 15}}}}
    """)
        ctx = run_steps(f"""
      - browser.goto: "{url}keys"
      - browser.fill: {{locator: {{label: Code}}, value: ab-77, typing: true}}
      - browser.fill_form: {{fields: {{"{{{{ item.field }}}}": "{{{{ item.value }}}}"}}}}
      - {{id: values, browser.evaluate: "[code.value, document.querySelector('[name=level]').value]"}}
    """, item={"field": "Level", "value": 7})
    assert ctx.steps["values"] == ["AB-77", "7"]


def test_a_submit_under_an_overlay_is_not_sent_and_the_error_names_what_covers_it(run_steps):
    with site() as url:
        with pytest.raises(ApplicationError, match=r"the element is covered .*div id=\"ov\".*close it first"):
            run_steps(f"""
      - browser.goto: "{url}modal"
      - browser.fill_form: {{fields: {{Reference: R-1}}, submit: Submit}}
    """, options=", timeout: 1s")
        ctx = run_steps(f"""
      - browser.goto: "{url}modal"
      - browser.click: {{role: button, name: Close}}
      - browser.fill_form: {{fields: {{Reference: R-2}}, submit: Submit}}
      - {{id: sent, browser.text: pre}}
    """)
    assert ctx.steps["sent"] == "/done?ref=R-2"


def test_a_pdf_the_server_shows_in_the_browser_is_downloaded_from_its_answer(run_steps):
    with site() as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}view"
      - {{id: first, browser.download: {{role: link, name: Download invoice}}}}
      - {{id: first_no, pdf.extract: {{file: "{{{{ steps.first }}}}", fields: {{number: Invoice no}}}}}}
      - browser.goto: "{url}view"
      - {{id: second, browser.download: {{role: button, name: View invoice PDF}}}}
      - {{id: second_no, pdf.extract: {{file: "{{{{ steps.second }}}}", fields: {{number: Invoice no}}}}}}
    """)
    assert ctx.steps["first"].endswith("invoice 77.pdf") and ctx.steps["second"].endswith("second.pdf")
    assert ctx.steps["first_no"] == ctx.steps["second_no"] == {"number": "INV-77"}
