# ruff: noqa: F811 - `run_steps` is the shared fixture, imported, then named by each test
"""A type-ahead whose suggestions come from the server (an ARIA combobox), on a page with two other
dropdowns: the suggestion chosen is the one the data names, never a guess among several; a text with no
suggestion stays as typed without waiting out the step; messages name this list's options only."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest
from test_browser_actions import run_steps, serve  # noqa: F401 - the fixture and the small site

from connectors.browser_drawn_list import choose, near
from orchestrator.errors import BusinessError

pytestmark = pytest.mark.browser

CUSTOMERS = [(101, "Acme Logistics GmbH"), (102, "Acme Retail Ltd"), (109, "Golden Gate Electronics"),
             (110, "Hanbit Motors"), (112, "Jeju Citrus Co")]
PRIORITIES = ["Low", "Normal", "High"]

# As the tester's claims desk: suggestions asked 100 ms after the last key, answered 150 ms later; a click on
# one sets the hidden customer id. Priority: a closed list drawn by the page, its options fetched on opening.
PAGE = """<meta charset=utf-8><form id=f>
<label for=cust>Customer</label><input id=cust role=combobox aria-autocomplete=list aria-controls=sugg
  aria-expanded=false><input type=hidden id=cid><ul id=sugg role=listbox hidden></ul>
<label for=carrier>Carrier</label><select id=carrier><option value="">-- choose --</option><option>Maersk</option>
  <option>MSC</option></select>
<label for=type>Claim type</label><select id=type><option value="">-- choose --</option><option>Damage</option>
  <option>Loss</option></select>
<span id=pl>Priority</span><div id=prio role=combobox aria-labelledby=pl aria-haspopup=listbox
  aria-controls=plist tabindex=0>Choose</div><ul id=plist role=listbox hidden></ul>
</form>
<script>
let timer = null, seq = 0;
cust.addEventListener('input', () => {
  cid.value = ''; clearTimeout(timer);
  timer = setTimeout(async () => {
    const my = ++seq, term = cust.value.trim();
    if (term.length < 2) { sugg.hidden = true; return; }
    const res = await (await fetch('/api/customers?q=' + encodeURIComponent(term))).json();
    if (my !== seq) return;
    sugg.innerHTML = res.map(c => `<li role=option data-id=${c.id}>${c.name}</li>`).join('');
    sugg.hidden = res.length === 0; cust.setAttribute('aria-expanded', String(res.length > 0));
  }, 100);
});
sugg.addEventListener('click', e => {
  const li = e.target.closest('li'); cust.value = li.textContent; cid.value = li.dataset.id; sugg.hidden = true;
});
prio.addEventListener('click', async () => {
  const res = await (await fetch('/api/priorities')).json();
  plist.innerHTML = res.map(p => `<li role=option>${p}</li>`).join(''); plist.hidden = false;
});
plist.addEventListener('click', e => { prio.textContent = e.target.textContent; plist.hidden = true; });
</script>"""


def site():
    def respond(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        url = urlparse(request.path)
        if url.path.startswith("/api/"):
            time.sleep(0.15)
            term = parse_qs(url.query).get("q", [""])[0].lower()
            found = [{"id": i, "name": n} for i, n in CUSTOMERS if term and term in n.lower()] \
                if url.path == "/api/customers" else PRIORITIES
            return 200, {"Content-Type": "application/json"}, json.dumps(found).encode()
        return 200, {}, PAGE.encode()
    return serve(respond)


READ = "  - {id: got, browser.evaluate: \"[cust.value, cid.value, carrier.value, type.value, prio.textContent]\"}\n"


def test_the_exact_suggestion_wins_among_several_whatever_its_spaces_and_case(run_steps):
    with site() as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Customer: " acme retail LTD ", Carrier: MSC, Claim type: Loss}}}}
    """ + READ)
    assert ctx.steps["got"] == ["Acme Retail Ltd", "102", "MSC", "Loss", "Choose"]


def test_the_only_suggestion_holding_the_text_is_chosen(run_steps):
    with site() as url:
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Customer: hanbit, Priority: high}}}}
    """ + READ)
        assert ctx.steps["got"] == ["Hanbit Motors", "110", "", "", "High"]
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - {{id: chosen, browser.select: {{locator: {{role: combobox, name: Customer}}, value: Golden Gate}}}}
    """ + READ)
    assert ctx.steps["chosen"] == ["Golden Gate Electronics"]
    assert ctx.steps["got"][:2] == ["Golden Gate Electronics", "109"]


def test_several_suggestions_holding_the_text_and_none_exact_fail_naming_them(run_steps):
    with site() as url, pytest.raises(BusinessError) as failure:
        run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Customer: Acme, Carrier: MSC}}}}
    """)
    message = str(failure.value)
    assert "Customer: 'Acme' is not exactly any of the suggestions offered and several hold it " \
           "(Acme Logistics GmbH, Acme Retail Ltd): write the exact text of the one meant" in message


def test_a_text_with_no_suggestion_stays_as_typed_without_waiting_out_the_step(run_steps):
    with site() as url:
        started = time.monotonic()
        ctx = run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Customer: Nordic Widgets AB, Carrier: Maersk, Claim type: Damage}}}}
    """ + READ, options=", timeout: 10s")
        took = time.monotonic() - started
    assert ctx.steps["got"] == ["Nordic Widgets AB", "", "Maersk", "Damage", "Choose"]  # the app's checks judge it
    assert took < 5  # the list answered with nothing: a short quiet period, not the 10 s timeout


def test_messages_name_the_options_of_this_list_only(run_steps):
    with site() as url:
        started = time.monotonic()
        with pytest.raises(BusinessError) as typed:
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Customer: cme}}}}
    """, options=", timeout: 10s")
        with pytest.raises(BusinessError) as clicked:
            run_steps(f"""
      - browser.goto: "{url}"
      - browser.fill_form: {{fields: {{Priority: Urgent}}}}
    """, options=", timeout: 10s")
        took = time.monotonic() - started
    assert "Customer: no suggestion for 'cme' fits (suggestions: Acme Logistics GmbH, Acme Retail Ltd)" \
        in str(typed.value)
    assert "Priority: no option 'Urgent' in the list (options: Low, Normal, High)" in str(clicked.value)
    for message in (str(typed.value), str(clicked.value)):
        assert "Maersk" not in message and "choose" not in message and "Damage" not in message
    assert took < 8  # two answered lists, neither waited out its 10 s


def test_the_rule_of_choice():
    offered = ["Acme Logistics GmbH", "Acme Retail Ltd", "Hanbit Motors", "이서준 (E03)"]
    assert choose(offered, " ACME retail  ltd", typed=True) == "Acme Retail Ltd"
    assert choose(offered, "hanb", typed=True) == "Hanbit Motors"  # starts with it
    assert choose(offered, "retail ltd", typed=True) == "Acme Retail Ltd"  # whole words inside
    assert choose(offered, "이서준", typed=True) == "이서준 (E03)"
    assert near(offered, "cme") == [] and near(offered, "motor") == []  # parts of words are no match
    assert choose([], "Nordic Widgets AB", typed=True) is None  # no suggestion: the typed text stays
    with pytest.raises(BusinessError, match=r"several hold it \(Acme Logistics GmbH, Acme Retail Ltd\)"):
        choose(offered, "acme", typed=True)
    with pytest.raises(BusinessError, match=r"no option 'Urgent' in the list \(options: none shown\)"):
        choose([], "Urgent", typed=False)
