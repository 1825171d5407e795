"""Forms as the world writes them: web components (shadow DOM), multi-selects, dates that read two ways,
yes and no in many languages, and `frame:` beside a locator."""

from __future__ import annotations

import html
import re
from http.server import BaseHTTPRequestHandler

import pytest
import test_browser_actions

from connectors import browser  # noqa: F401 - first, as the action registry imports the browser modules
from connectors.browser_fields import CheckArgs
from connectors.browser_read import AttributeArgs, TableArgs
from orchestrator.errors import ApplicationError, BusinessError

pytestmark = pytest.mark.browser
run_steps, serve = test_browser_actions.run_steps, test_browser_actions.serve  # the fixture and the small site

COMPONENT = """<meta charset=utf-8><h1>受注</h1><order-form></order-form><script>
customElements.define('order-form', class extends HTMLElement { constructor() { super();
  this.attachShadow({mode: 'open'}).innerHTML = `<form action="/done"><label>顧客コード <input name=cust></label>
  <fieldset><legend>支払方法</legend><label><input type=radio name=pay value=bank> 銀行振込</label>
    <label><input type=radio name=pay value=card> クレジットカード</label></fieldset>
  <table><tr><td>配送</td><td><label><input type=radio name=ship value=air> 航空便</label>
    <label><input type=radio name=ship value=sea> 船便</label></td></tr></table>
  <div><label>Size</label><input type=radio name=size value=S> S <input type=radio name=size value=L> L</div>
  <input type=radio name=wrap value=yes> <input type=radio name=wrap value=no>
  <button>登録</button></form>`;
}});
</script>"""

LISTS = """<meta charset=utf-8><form action="/done"><table>
<tr><td class=lbl>취급품목</td><td><select name=goods multiple size=3><option value=RM>원자재</option>
<option value=PT>부품</option><option value=SP selected>소모품</option></select></td></tr>
<tr><td class=lbl>지역</td><td><select name=region><option value="">불러오는 중…</option></select></td></tr>
<tr><td class=lbl>거래개시일</td><td><input type=date name=start_dt></td></tr>
<tr><td class=lbl>비고</td><td><input name=note></td></tr></table><input type=submit value=저장></form>
<script>setTimeout(() => { document.querySelector('[name=region]').innerHTML =
  '<option value="">--</option><option value=SEL>서울</option><option value=PUS>부산</option>'; }, 600);</script>"""

BOXES = ["ja", "nein", "oui", "non", "sí", "no", "si", "No", "sì", "NO", "sim", "não", "Ja", "nee", "はい", "いいえ",
         "是", "否"]  # yes, no, yes, no...
YES_NO = "<meta charset=utf-8><form>" + "".join(
    f"<label><input type=checkbox name=b{i} {'checked' if i % 2 else ''}> Box {i}</label>" for i in range(len(BOXES))
) + "</form>"

FRAMES = {
    "/frames": "<meta charset=utf-8><h1>Top</h1><iframe id=outer src=/mid></iframe>",
    "/mid": "<meta charset=utf-8><div id=wrap><iframe id=inner src=/leaf></iframe></div>",
    "/leaf": """<meta charset=utf-8><h1>Leaf</h1><label>Amount <input id=amount value=1200></label>
<label><input type=checkbox name=urgent checked> Urgent</label>
<select name=cur><option>KRW</option><option value=USD>US dollar</option></select>
<table id=t><tr><th>Code</th><th>Name</th></tr><tr><td>A1</td><td>ACME</td></tr></table>""",
}


def pages(routes: dict[str, str]):
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if request.path.startswith("/done"):
            return 200, {}, f"<h1>Done</h1><pre>{html.escape(request.path)}</pre>".encode()
        return 200, {}, routes.get(request.path.split("?")[0], "<h1>none</h1>").encode()
    return serve(respond)


def test_radio_groups_inside_a_web_component_are_set_by_legend_cell_label_and_name(run_steps):
    with pages({"/": COMPONENT}) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form:
          fields: {{顧客コード: C-1, 支払方法: クレジットカード, 配送: sea, Size: L, wrap: "no"}}
          submit: 登録
      - {{id: sent, browser.text: pre}}
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{支払方法: 銀行振込, wrap: "yes", "[name=cust]": C-2}}, method: fill}}
      - browser.fill_form: {{fields: [{{locator: {{name: ship}}, value: 航空便}}]}}
      - id: set
        browser.evaluate: "[...document.querySelector('order-form').shadowRoot.querySelectorAll(':checked')].map(e => e.value)"
    """)
        with pytest.raises(BusinessError, match=r"支払方法: no choice '現金' among its radio buttons \(choices: 銀行振込, "
                                                r"クレジットカード\)"):
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{支払方法: 現金}}}}
    """)
        with pytest.raises(BusinessError, match=r"支払方法: no choice '現金'"):
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{支払方法: 現金}}, method: fill}}
    """)
    assert ctx.steps["sent"] == "/done?cust=C-1&pay=card&ship=sea&size=L&wrap=no"
    assert ctx.steps["set"] == ["bank", "air", "yes"]


def test_a_multi_select_takes_a_list_and_a_late_list_labelled_by_a_cell_is_waited_for(run_steps):
    with pages({"/": LISTS}) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{취급품목: [RM, 부품], 지역: 부산}}, submit: 저장}}
      - {{id: sent, browser.text: pre}}
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{goods: [PT], "[name=region]": [서울]}}, method: fill}}
      - {{id: slow, browser.evaluate: "[...document.querySelectorAll('option:checked')].map(o => o.value)"}}
      - browser.fill_form: {{fields: {{취급품목: 원자재}}}}
      - {{id: single, browser.evaluate: "[...document.querySelectorAll('[name=goods] option:checked')].map(o => o.value)"}}
    """)
        for method in ("fast", "fill"):
            with pytest.raises(BusinessError, match=r"note: a list of values is for a list where several options can "
                                                    r"be chosen \(<select multiple>\)"):
                run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{note: [a, b]}}, method: {method}}}
    """)
        for value, message in (("[RM, XX]", r"no option 'XX'"), ('"RM,PT"', r"no option 'RM,PT'.*\(several options: a list")):
            with pytest.raises(BusinessError, match=message):  # (a text is one option: the list is YAML's)
                run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{goods: {value}}}}}
    """, options=", timeout: 2s")
    assert ctx.steps["sent"] == "/done?goods=RM&goods=PT&region=PUS&start_dt=&note="
    assert ctx.steps["slow"] == ["PT", "SEL"] and ctx.steps["single"] == ["RM"]


def test_a_date_that_reads_two_ways_is_refused_naming_both_and_a_refused_date_lists_the_formats(run_steps):
    both = (r"'03/04/2027' could be 3 April 2027 \(day first\) or March 4, 2027 \(month first\): write the date "
            r"as YYYY-MM-DD \(2027-04-03 or 2027-03-04\)")
    with pages({"/": LISTS}) as url:
        for field, method in (("거래개시일", "fast"), ("start_dt", "fill")):  # (Playwright: no table cells)
            with pytest.raises(BusinessError, match=f"{field}: (the field kept \"\": )?" + both):
                run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{"{field}": "03/04/2027"}}, method: {method}}}
    """)
            with pytest.raises(BusinessError, match=r"start_dt: .*YYYY-MM-DD, or 29/11/2026, 11/29/2026, .*Nov 29, 2026"):
                run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{start_dt: "31/02/2027"}}, method: {method}}}
    """)
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{거래개시일: "29/11/2026", 비고: "03/04/2027"}}}}
      - {{id: values, browser.evaluate: "[document.querySelector('[name=start_dt]').value, document.querySelector('[name=note]').value]"}}
    """)
    assert ctx.steps["values"] == ["2026-11-29", "03/04/2027"]  # a text field takes the text as it is


def test_check_boxes_take_yes_and_no_in_german_french_spanish_italian_portuguese_dutch_japanese_chinese(run_steps):
    fields = ", ".join(f"Box {i}: '{v}'" for i, v in enumerate(BOXES))
    script = "[...document.querySelectorAll('input')].map(b => b.checked)"
    with pages({"/": YES_NO}) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{{fields}}}}}
      - {{id: fast, browser.evaluate: "{script}"}}
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{{fields}}}, method: fill}}
      - {{id: slow, browser.evaluate: "{script}"}}
      - browser.check: {{label: Box 0, checked: nein}}
      - browser.check: {{label: Box 1, exact: true, checked: いいえ}}
      - {{id: check, browser.evaluate: "{script}"}}
    """)
        with pytest.raises(BusinessError, match=r"'vielleicht' is not a yes or no \(yes/no, .*ja/nein, oui/non, "
                                                r".*はい/いいえ, 是/否, 예/아니오\)"):
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Box 0: vielleicht}}}}
    """)
    expected = [i % 2 == 0 for i in range(len(BOXES))]
    assert ctx.steps["fast"] == expected and ctx.steps["slow"] == expected
    assert ctx.steps["check"][:2] == [False, False]
    with pytest.raises(ValueError, match=r"'peut-être' is not a yes or no \(.*oui/non"):
        CheckArgs(locator="#x", checked="peut-être")


def test_frame_beside_a_locator_reaches_into_nested_frames_and_errors_show_the_nesting(run_steps):
    inner = '["#outer", "#inner"]'
    with pages(FRAMES) as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}frames"
      - {{id: amount, browser.attribute: {{frame: {inner}, locator: "label=Amount", attribute: value}}}}
      - {{id: title, browser.text: {{frame: {inner}, locator: h1}}}}
      - {{id: cells, browser.count: {{frame: {inner}, locator: td}}}}
      - {{id: rows, browser.table: {{frame: {inner}, locator: "#t"}}}}
      - browser.select: {{frame: {inner}, locator: {{name: cur}}, value: USD}}
      - browser.check: {{frame: {inner}, locator: {{label: Urgent}}, checked: nein}}
      - {{id: inline, browser.text: {{frame: "#outer", css: "#wrap", all: true}}}}
      - {{id: chosen, browser.attribute: {{frame: {inner}, locator: {{name: cur}}, attribute: value}}}}
      - {{id: ticked, browser.count: {{frame: {inner}, locator: "input:checked"}}}}
    """)
        with pytest.raises(ApplicationError, match=r"browser.text \{frame: #outer > #inner, selector: '#missing'\}: "
                                                   r"nothing on the page matches \{frame: #outer > #inner, "):
            run_steps(f"""
      - browser.goto: "{url}frames"
      - browser.text: {{frame: {inner}, locator: ["#missing"]}}
    """, options=", timeout: 1s")
    assert ctx.steps["amount"] == "1200" and ctx.steps["title"] == "Leaf" and ctx.steps["cells"] == 2
    assert ctx.steps["rows"] == [{"Code": "A1", "Name": "ACME"}] and ctx.steps["inline"] == [""]
    assert ctx.steps["chosen"] == "USD" and ctx.steps["ticked"] == 0


def test_frame_is_folded_into_the_locator_when_the_arguments_are_read():
    args = AttributeArgs.model_validate({"frame": ["frame[name=main]", "#content"], "locator": "#total",
                                         "attribute": "value"})
    assert args.locator == {"selector": "#total", "frame": ["frame[name=main]", "#content"]}
    assert args.frame is None
    nested = CheckArgs.model_validate({"frame": "#outer", "locator": [{"frame": "#inner", "label": "Urgent"}, "#u"]})
    assert nested.locator == [{"frame": ["#outer", "#inner"], "label": "Urgent"}, {"selector": "#u", "frame": "#outer"}]
    assert CheckArgs.model_validate({"frame": "#f", "label": "Urgent"}).locator == {"label": "Urgent", "frame": "#f"}
    table = TableArgs.model_validate({"frame": "#f", "next": {"role": "link", "name": "Next"}})
    assert table.locator == {"selector": "table", "frame": "#f"} and table.next["frame"] == "#f"
    inline = TableArgs.model_validate({"frame": "frame[name=main]", "css": "#list", "header": False})
    assert inline.locator == {"frame": "frame[name=main]", "css": "#list"} and inline.header is False
    with pytest.raises(ValueError, match=re.escape("frame is a selector of the iframe")):
        AttributeArgs.model_validate({"frame": [""], "locator": "#total", "attribute": "value"})
