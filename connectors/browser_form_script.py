"""The page scripts of `browser.fill_form`: the form filler and the questions asked after a click.

`FILL_SCRIPT` finds each field (label, name, id, placeholder, legend, a table cell's text), sets it with
the native value setters and focus/input/change/blur events, and clicks the submit, in one round trip.
`INSTALL_SCRIPT` puts it in every page of a run's context before the page's own scripts, with the
question whether the page has started to leave (see `browser_settle`).
"""

from __future__ import annotations

import json

# A list drawn by the page: an ARIA combobox or a button opening a listbox (not a <select>); an input with
# that role only when it suggests a list (aria-autocomplete list or both, or the list it controls)
DRAWN_LIST = ("el => el.tagName !== 'SELECT' && (el.getAttribute('role') === 'combobox' || "
              "el.getAttribute('aria-haspopup') === 'listbox') && (!['INPUT', 'TEXTAREA'].includes(el.tagName) "
              "|| ['list', 'both'].includes(el.getAttribute('aria-autocomplete')) || el.hasAttribute('aria-controls') "
              "|| el.hasAttribute('aria-owns'))")
# A check box's value as sheets write it (the same words for the page script and `browser_forms.yes_no`)
YES = ("true", "yes", "y", "on", "1", "x", "t", "checked", "✓", "✔", "예", "네", "o")
NO = ("false", "no", "n", "off", "0", "f", "none", "null", "", "unchecked", "아니오", "아니요")

FILL_SCRIPT = r"""
([fields, submit, mark]) => {
  const norm = s => (s || '').replace(/\s+/g, ' ').trim().replace(/[\s:*]+$/, '').toLowerCase();
  const CONTROL = 'input:not([type=hidden]), select, textarea';
  const DRAWN = __DRAWN__;
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
  // `loose`: the text holds the name among other words ("사용자 ID (User ID)" for "User ID"), in a short text
  const byText = (text, loose) => {
    const want = norm(text), out = new Set();
    const words = new RegExp('(^|[^\\p{L}\\p{N}])' + want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '($|[^\\p{L}\\p{N}])', 'u');
    for (const el of document.querySelectorAll('td, th, dt, span, b, strong, font, div, p')) {
      const got = norm(el.textContent);
      if (loose ? !(got.length <= want.length + 40 && words.test(got)) : got !== want) continue;
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
      if (found.length === 0) found = byText(value, true);
      return found;
    } catch (e) { return []; }
  };
  const yesNo = v => { const t = String(v).trim().toLowerCase();
    return __YES__.includes(t) ? true : __NO__.includes(t) ? false : null; };
  const plain = s => (s || '').replace(/\s+/g, ' ').trim();  // \s: &nbsp; too
  const labelOf = el => norm([...(el.labels || [])].map(l => l.textContent).join(' ')
    || (el.nextSibling && el.nextSibling.textContent) || '');
  const fire = (el, type) => el.dispatchEvent(type === 'focus' || type === 'blur'
    ? new FocusEvent(type) : new Event(type, {bubbles: true}));
  const setValue = (el, value) => {
    if (el.disabled) return 'the field is disabled';
    const tag = el.tagName;
    if (tag === 'SELECT') {
      const options = [...el.options], want = plain(value), low = want.toLowerCase();
      const option = options.find(o => o.value === value) || options.find(o => plain(o.label) === want)
        || options.find(o => plain(o.label).toLowerCase() === low);
      if (!option) return {later: true, message: 'no option ' + JSON.stringify(value) + ' (options: '
        + options.map(o => plain(o.label)).join(', ') + ')'};  // options a script has yet to add: waited for
      fire(el, 'focus'); el.value = option.value;
      fire(el, 'input'); fire(el, 'change'); fire(el, 'blur');
      return null;
    }
    if (tag === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      // a radio button chosen by its value or label is ticked; a box takes yes or no
      let want = el.type === 'radio' && (el.value === value || labelOf(el) === norm(value)) ? true : yesNo(value);
      if (want === null && el.type === 'radio') want = true;
      if (want === null) return "'" + value + "' is not a yes or no (yes/no, y/n, true/false, 1/0, on/off, x, 예/아니오)";
      if (el.checked !== want) el.click();
      return el.checked === want ? null : 'the box did not change';
    }
    if (el.readOnly) return 'the field is read-only';
    if (tag === 'INPUT' || tag === 'TEXTAREA') {
      const proto = tag === 'INPUT' ? HTMLInputElement.prototype : HTMLTextAreaElement.prototype;
      fire(el, 'focus');
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
      // Refused by the browser (a date or number in another format leaves the field empty)? Judged
      // before the page's own handlers run: many reformat what was typed (1200 -> 1,200.00 on blur).
      const refused = el.type !== 'file' && value !== '' && el.value === '';
      // a range takes the nearest value it allows (15 on a 0-10 slider becomes 10): not what was asked
      const clamped = el.type === 'range' && !refused && Number(el.value) !== Number(value);
      fire(el, 'input'); fire(el, 'change'); fire(el, 'blur');
      const FORMATS = {time: 'HH:MM or HH:MM:SS, 24-hour', 'datetime-local': 'YYYY-MM-DDTHH:MM',
        month: 'YYYY-MM', week: 'YYYY-Www', date: 'YYYY-MM-DD', number: 'digits without thousands separators'};
      if (refused)
        return 'the field kept ' + JSON.stringify(el.value) + ' (check the format: ' + (FORMATS[el.type]
          || 'dates as YYYY-MM-DD, numbers without thousands separators') + ')';
      if (clamped)
        return 'the field took ' + el.value + ', not ' + value + ' (it allows ' + (el.min || 0) + ' to ' + (el.max || 100) + ')';
      // emptied by the page's own handlers: a field that takes typed keys only (keydown handlers)
      if (value !== '' && el.value === '' && el.type !== 'file')
        return 'the page emptied the field after it was set (it takes typed keys only): use browser.fill with '
          + 'typing: true for it';
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
    // a dropdown drawn by the page (an input that suggests a list too): opened and picked in through Playwright
    if (DRAWN(el)) { results.push({i: f.i, status: 'unresolved', count: 1}); continue; }
    if (f.secret) { el.setAttribute(mark, ''); el.style.webkitTextSecurity = 'disc'; }
    // a date input takes YYYY-MM-DD: a date written otherwise (29/11/2026, Nov 29, 2026) goes in as that
    const problem = setValue(el, el.tagName === 'INPUT' && el.type === 'date' && f.iso ? f.iso : f.text);
    results.push(!problem ? {i: f.i, status: 'ok'} : problem.later ? {i: f.i, status: 'later', message: problem.message}
      : {i: f.i, status: 'error', message: problem});
  }
  let submitted = false, navigating = false;
  if (submit && results.every(r => r.status === 'ok')) {
    const found = find(submit.kind, submit.value, submit.exact);
    // A submit button of a form the browser will not send (required, min, type=email...): say which fields
    const form = found.length === 1 && ['submit', 'image'].includes(found[0].type) ? found[0].form : null;
    if (form && !form.noValidate && !found[0].formNoValidate && !form.checkValidity())
      return {results, submitted: false, navigating: false, invalid: [...form.elements]
        .filter(e => e.willValidate && !e.validity.valid).map(e => (plain([...(e.labels || [])]
          .map(l => l.textContent).join(' ')) || e.getAttribute('aria-label') || e.name || e.id) + ': '
          + e.validationMessage)};
    // Covered by something drawn over it (a modal, an overlay): not clicked here, where a person could not
    // click it; Playwright's click then waits for it to be free, or says what covers it
    const covered = b => {
      const r = b.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
      if (!r.width || !r.height || x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
      const top = b.getRootNode().elementFromPoint(x, y);
      return !!top && top !== b && !b.contains(top) && !(top.control === b);
    };
    if (found.length === 1 && covered(found[0])) return {results, submitted: false, navigating: false};
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
""".replace("__DRAWN__", DRAWN_LIST).replace("__YES__", json.dumps(YES, ensure_ascii=False)).replace("__NO__", json.dumps(NO, ensure_ascii=False))

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
