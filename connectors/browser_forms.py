"""`browser.fill_form`: a whole form in one round trip to the page.

Fields whose locator the page script can find itself (a field name, CSS, label, placeholder, test id,
name) are all set by one `evaluate` that uses the native value setters and fires focus, input, change
and blur events, as a person typing would, so frameworks (React, Vue, plain onchange handlers) see
them. That is several times faster than one `fill` per field. Any other field (role and text locators,
fallback lists, or a field the script cannot find exactly once) is filled through Playwright's locators.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from connectors import browser_locators
from orchestrator.errors import BusinessError

SELECTOR_PREFIXES = ("css=", "text=", "xpath=", "id=", "role=", "data-testid=", "internal:", "nth=", "//", "(")
FAST_KINDS = ("css", "label", "placeholder", "test_id", "name", "field", "button")

FILL_SCRIPT = r"""
([fields, submit, mark]) => {
  const norm = s => (s || '').replace(/\s+/g, ' ').trim().replace(/[\s:*]+$/, '').toLowerCase();
  const CONTROL = 'input:not([type=hidden]), select, textarea';
  // Old pages often put a label beside its field without for= or nesting: take the next field.
  const nearControl = label => {
    if (label.hasAttribute('for')) return null;
    const next = label.nextElementSibling;
    if (next && next.matches(CONTROL)) return next;
    const inParent = label.parentElement ? label.parentElement.querySelectorAll(CONTROL) : [];
    return inParent.length === 1 ? inParent[0] : null;
  };
  // Every label of the page with its field, read once per call; read again when a lookup finds nothing
  // or finds a field no longer in the page (a field shown or redrawn by the one set before it).
  let labels = null;
  const readLabels = () => {
    labels = [];
    for (const label of document.querySelectorAll('label')) {
      const el = label.control || nearControl(label);
      if (el) labels.push([norm(label.textContent), el]);
    }
    for (const el of document.querySelectorAll('[aria-label]'))
      labels.push([norm(el.getAttribute('aria-label')), el]);
    for (const el of document.querySelectorAll('[aria-labelledby]'))
      labels.push([norm(el.getAttribute('aria-labelledby').split(/\s+/)
        .map(id => (document.getElementById(id) || {}).textContent || '').join(' ')), el]);
  };
  const lookLabels = (want, exact) => {
    const hits = new Set(), loose = new Set();
    for (const [got, el] of labels) {
      if (got === want) hits.add(el); else if (!exact && got.includes(want)) loose.add(el);
    }
    return hits.size ? [...hits] : [...loose];
  };
  const byLabel = (text, exact) => {
    const want = norm(text), fresh = labels === null;
    if (fresh) readLabels();
    let found = lookLabels(want, exact);
    if (!fresh && (found.length === 0 || !found.every(el => el.isConnected))) {
      readLabels();
      found = lookLabels(want, exact);
    }
    return found;
  };
  // Legacy layouts: "Vendor:" alone in a table cell, span or <dt>, its field inside it or in what follows.
  const byText = text => {
    const want = norm(text), out = new Set();
    for (const el of document.querySelectorAll('td, th, dt, span, b, strong, font, div, p')) {
      if (norm(el.textContent) !== want) continue;
      const inside = el.querySelectorAll(CONTROL);
      if (inside.length) { if (inside.length === 1) out.add(inside[0]); continue; }
      for (let sib = el.nextElementSibling; sib; sib = sib.nextElementSibling) {
        if (sib.matches(CONTROL)) { out.add(sib); break; }
        const within = sib.querySelectorAll(CONTROL);
        if (within.length) { if (within.length === 1 || within[0].type === 'radio') within.forEach(c => out.add(c)); break; }
      }
    }
    return [...out];
  };
  // A group of radio buttons named by its <legend>.
  const byLegend = text => {
    const want = norm(text);
    for (const legend of document.querySelectorAll('fieldset > legend'))
      if (norm(legend.textContent) === want) return [...legend.parentElement.querySelectorAll(CONTROL)];
    return [];
  };
  // Several radio buttons of one group: the one whose value or label is the value to set.
  const pickRadio = (found, value) => {
    if (found.length < 2 || !found.every(el => el.type === 'radio' && el.name === found[0].name)) return found;
    const want = norm(value);
    const labelOf = el => norm([...(el.labels || [])].map(l => l.textContent).join(' ')
      || (el.nextSibling && el.nextSibling.textContent) || '');
    const hit = found.filter(el => el.value === value) .concat(found.filter(el => labelOf(el) === want));
    return hit.length ? [hit[0]] : found;
  };
  const attr = (name, value) => [...document.querySelectorAll('[' + name + ']')]
    .filter(el => el.getAttribute(name) === value);
  const find = (kind, value, exact) => {
    try {
      if (kind === 'css') return [...document.querySelectorAll(value)];
      if (kind === 'label') return byLabel(value, exact);
      if (kind === 'placeholder') return attr('placeholder', value);
      if (kind === 'test_id') return attr('data-testid', value);
      if (kind === 'name') return attr('name', value);
      if (kind === 'button') {
        const want = norm(value), named = el => [el.innerText, el.value, el.getAttribute('aria-label'),
          el.getAttribute('title')].some(t => norm(t) === want);
        const buttons = [...document.querySelectorAll('button, input[type=submit], input[type=button], '
          + 'input[type=image], [role=button]')].filter(named);
        if (buttons.length) return buttons;
        const byId = document.getElementById(value);
        return byId ? [byId] : attr('name', value);
      }
      // a field name: its label, else its name, id or placeholder
      let found = byLabel(value, true);
      if (found.length === 0) found = attr('name', value);
      if (found.length === 0) { const el = document.getElementById(value); found = el ? [el] : []; }
      if (found.length === 0) found = attr('placeholder', value);
      if (found.length === 0) found = byLegend(value);
      if (found.length === 0) found = byText(value);
      if (found.length === 0) found = byLabel(value, false);
      return found;
    } catch (e) { return []; }
  };
  const truthy = v => !['', 'false', 'no', 'off', '0', 'none', 'null'].includes(String(v).trim().toLowerCase());
  const fire = (el, type) => el.dispatchEvent(type === 'focus' || type === 'blur'
    ? new FocusEvent(type) : new Event(type, {bubbles: true}));
  const setValue = (el, value) => {
    if (el.disabled) return 'the field is disabled';
    const tag = el.tagName;
    if (tag === 'SELECT') {
      const options = [...el.options], low = value.toLowerCase();
      const option = options.find(o => o.value === value) || options.find(o => o.label.trim() === value)
        || options.find(o => o.label.trim().toLowerCase() === low);
      if (!option) return 'no option ' + JSON.stringify(value) + ' (options: '
        + options.map(o => o.label.trim()).join(', ') + ')';
      fire(el, 'focus'); el.value = option.value;
      fire(el, 'input'); fire(el, 'change'); fire(el, 'blur');
      return null;
    }
    if (tag === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      if (el.checked !== truthy(value)) el.click();
      return el.checked === truthy(value) ? null : 'the box did not change';
    }
    if (el.readOnly) return 'the field is read-only';
    if (tag === 'INPUT' || tag === 'TEXTAREA') {
      const proto = tag === 'INPUT' ? HTMLInputElement.prototype : HTMLTextAreaElement.prototype;
      fire(el, 'focus');
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
      // Refused by the browser (a date or number in another format leaves the field empty)? Judged
      // before the page's own handlers run: many reformat what was typed (1200 -> 1,200.00 on blur).
      const refused = el.type !== 'file' && value !== '' && el.value === '';
      fire(el, 'input'); fire(el, 'change'); fire(el, 'blur');
      if (refused)
        return 'the field kept ' + JSON.stringify(el.value) + ' (check the format: dates as YYYY-MM-DD, '
          + 'numbers without thousands separators)';
      return null;
    }
    if (el.isContentEditable) {
      fire(el, 'focus'); el.textContent = value; fire(el, 'input'); fire(el, 'blur');
      return null;
    }
    return 'a ' + tag.toLowerCase() + ' element is not a form field';
  };
  const results = [];
  for (const f of fields) {
    const found = pickRadio(find(f.kind, f.value, f.exact), f.text);
    if (found.length !== 1) { results.push({i: f.i, status: 'unresolved', count: found.length}); continue; }
    const el = found[0];
    // a dropdown drawn by the page: opened and picked in through Playwright
    if (!['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && (el.getAttribute('role') === 'combobox'
        || el.getAttribute('aria-haspopup') === 'listbox')) { results.push({i: f.i, status: 'unresolved', count: 1}); continue; }
    if (f.secret) { el.setAttribute(mark, ''); el.style.webkitTextSecurity = 'disc'; }
    // a date input takes YYYY-MM-DD: a date written otherwise (29/11/2026, Nov 29, 2026) goes in as that
    const problem = setValue(el, el.tagName === 'INPUT' && el.type === 'date' && f.iso ? f.iso : f.text);
    results.push(problem ? {i: f.i, status: 'error', message: problem} : {i: f.i, status: 'ok'});
  }
  let submitted = false, navigating = false;
  if (submit && results.every(r => r.status === 'ok')) {
    const found = find(submit.kind, submit.value, submit.exact);
    if (found.length === 1) {
      // A form submission or a link that leaves the page: the caller waits for the next page.
      const seen = [];
      const onSubmit = e => seen.push(e), onClick = e => seen.push(e);
      window.addEventListener('submit', onSubmit); window.addEventListener('click', onClick);
      found[0].click();
      window.removeEventListener('submit', onSubmit); window.removeEventListener('click', onClick);
      navigating = seen.some(e => !e.defaultPrevented && (e.type === 'submit' || (e.target.closest
        && (a => a && a.getAttribute('href') && !a.getAttribute('href').startsWith('#')
          && !a.getAttribute('href').startsWith('javascript:') && a.target !== '_blank')(e.target.closest('a[href]')))));
      submitted = true;
    }
  }
  const answer = {results, submitted, navigating};
  // A submit whose handler leaves a moment later (setTimeout, 0): asked once the page's pending timers ran
  if (submitted && !navigating && typeof window.__retakeLeaving === 'function')
    return window.__retakeLeaving().then(leaving => ({...answer, navigating: leaving}));
  return answer;
}
"""

# Installed in every page of a run's context (an init script), before the page's own scripts:
# - `__retakeFill`, the form filler, so that a fill is one small call with its data and its answer as JSON
#   strings: sending the script, a nested argument and a nested result through Playwright's serializers
#   each time costs more than the fill (about 1 ms of a 4 ms round trip). JSON is taken before the page's
#   scripts run; an old library's Array.prototype.toJSON (Prototype.js) would encode the answer's lists twice.
# - `__retakeLeaving`, whether the page has started to leave (its `beforeunload` has fired) once the timers
#   it has already set for "at once" have run: a click or key whose handler navigates with `setTimeout(..,
#   0)` is leaving although nothing has been committed yet (browsers no longer start such navigations at
#   once, and Playwright's actions no longer wait for them). Asking forgets the answer. To know which
#   timers are pending, the page's `setTimeout` is wrapped (timers of 10 ms or less are noted).
INSTALL_SCRIPT = """(() => {
  const fill = __FILL__;
  const parse = JSON.parse, stringify = JSON.stringify;
  const encode = value => {
    const own = Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON');
    if (own) delete Array.prototype.toJSON;
    try { return stringify(value); } finally { if (own) Object.defineProperty(Array.prototype, 'toJSON', own); }
  };
  const Waiting = Promise, later = setTimeout.bind(window), now = () => performance.now();
  let leaving = false;
  window.addEventListener('beforeunload', () => { leaving = true; }, true);
  // Timers the page sets for "at once" (10 ms or less) and that have not run yet, with when they are due:
  // the question waits for those only (a timer of its own takes a frame or more after a click).
  const soon = new Map(), setTimer = window.setTimeout, clearTimer = window.clearTimeout;
  window.setTimeout = function (handler, delay, ...rest) {
    if (typeof handler !== 'function' || Number(delay) > 10) return setTimer.call(this, handler, delay, ...rest);
    const id = setTimer.call(this, function () { soon.delete(id); return handler.apply(this, arguments); },
                             delay, ...rest);
    soon.set(id, now() + (Number(delay) || 0));
    return id;
  };
  window.clearTimeout = function (id) { soon.delete(id); return clearTimer.call(this, id); };
  const answer = () => { const out = leaving; leaving = false; return out; };
  const hidden = value => ({value, configurable: true, enumerable: false});
  Object.defineProperty(window, '__retakeLeaving', hidden(() => soon.size === 0 ? Waiting.resolve(answer())
    : new Waiting(done => later(() => done(answer()), Math.max(0, ...soon.values()) - now() + 1))));
  Object.defineProperty(window, '__retakeFill', hidden(s => {
    const answer = fill(parse(s));
    return answer instanceof Waiting ? answer.then(encode) : encode(answer);
  }));
})();""".replace("__FILL__", FILL_SCRIPT.strip())
CALL_SCRIPT = "s => typeof window.__retakeFill === 'function' ? window.__retakeFill(s) : null"
LEAVING_SCRIPT = "() => typeof window.__retakeLeaving === 'function' ? window.__retakeLeaving() : false"


def is_selector(key: str) -> bool:
    """A fill_form key is a selector when it looks like one; plain words name a field (its label...)."""
    return key.startswith(("#", ".", "[", *SELECTOR_PREFIXES)) or bool(re.search(r"[\[#>]|^\w+=", key))


def as_locator(key: Any) -> Any:
    """The locator spec of a fill_form key: a field name becomes a `field` (label, name, id, placeholder)."""
    if isinstance(key, str) and not is_selector(key):
        return {"field": key}
    return key


def as_submit(key: Any) -> Any:
    """The locator spec of fill_form's `submit`: a plain word names a button (its text, value or label)."""
    if isinstance(key, str) and not is_selector(key):
        return {"button": key}
    return key


def fast_form(spec: Any) -> dict[str, Any] | None:
    """The page script's form of a locator, or None when only Playwright can resolve it."""
    if isinstance(spec, str):
        for prefix in ("label=", "placeholder=", "test_id=", "name="):
            if spec.startswith(prefix):
                return {"kind": prefix[:-1], "value": spec[len(prefix):].strip(), "exact": False}
        if spec.startswith(SELECTOR_PREFIXES) or ">>" in spec or ":has-text(" in spec or ":text(" in spec:
            return None
        return {"kind": "css", "value": spec, "exact": False}
    if isinstance(spec, dict):
        kinds = [k for k in spec if k in FAST_KINDS]
        others = [k for k in spec if k not in FAST_KINDS and k != "exact"]
        if len(kinds) == 1 and not others:
            return {"kind": kinds[0], "value": str(spec[kinds[0]]), "exact": bool(spec.get("exact"))}
    return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
# Worth a try as a date (most values of a form are not: a cheap look first)
_DATE_LIKE = re.compile(rf"\d{{1,4}}\s*[-./년年]\s*\d{{1,2}}\s*[-./월月]\s*\d{{1,4}}|{_MONTH}[a-z]*\.?[\s-]+\d|\d[\s-]+{_MONTH}",
                        re.IGNORECASE)


def date_iso(text: str) -> str | None:
    """YYYY-MM-DD for a date written another way (`29/11/2026`, `Nov 29, 2026`, `2026년 11월 29일`), for
    date inputs; None when the text is ISO already, is no date, or could be two dates (03/04/2026)."""
    if len(text) > 40 or _ISO_DATE.fullmatch(text) or not _DATE_LIKE.search(text):
        return None
    from connectors.pdf_values import parse_date

    try:
        return parse_date(text)
    except ValueError:
        return None


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fields_list(fields: Any) -> list[tuple[str, Any, Any]]:
    """(label for messages, locator spec, value) from a mapping or a list of {locator, value}."""
    out = []
    if isinstance(fields, dict):
        for key, value in fields.items():
            out.append((str(key), as_locator(key), value))
    elif isinstance(fields, list):
        for entry in fields:
            if not isinstance(entry, dict) or "locator" not in entry or "value" not in entry:
                raise BusinessError("browser.fill_form: each entry of a fields list is {locator: ..., value: ...}")
            out.append((browser_locators.describe(entry["locator"]), entry["locator"], entry["value"]))
    else:
        raise BusinessError("browser.fill_form: fields is a mapping of field -> value, or a list of "
                            "{locator: ..., value: ...}")
    for label, spec, _ in out:
        if not (isinstance(spec, dict) and "field" in spec):
            try:
                browser_locators.validate(spec)
            except browser_locators.LocatorError as exc:
                raise BusinessError(f"browser.fill_form field {label}: {exc}") from None
    return out
