"""The page scripts of `browser.fill_form`: the form filler and the questions asked after a click.

`FILL_SCRIPT` finds each field (label, name, id, placeholder, legend, a table cell's text, in the document
or its open shadow roots: see `browser_form_lookup`), sets it with the native value setters and
focus/input/change/blur events, and clicks the submit, in one round trip.
`INSTALL_SCRIPT` puts it in every page of a run's context before the page's own scripts, with the
question whether the page has started to leave (see `browser_settle`).
"""

from __future__ import annotations

import json
import re

from connectors.browser_form_lookup import FIND_FIELD

# A list drawn by the page: an ARIA combobox or a button opening a listbox (not a <select>); an input with
# that role only when it suggests a list (aria-autocomplete list or both, or the list it controls)
DRAWN_LIST = ("el => el.tagName !== 'SELECT' && (el.getAttribute('role') === 'combobox' || "
              "el.getAttribute('aria-haspopup') === 'listbox') && (!['INPUT', 'TEXTAREA'].includes(el.tagName) "
              "|| ['list', 'both'].includes(el.getAttribute('aria-autocomplete')) || el.hasAttribute('aria-controls') "
              "|| el.hasAttribute('aria-owns'))")
# A check box's value as sheets write it, in the languages of our users (the same words for the page script
# and `browser_forms.yes_no`): compared in lower case, NFC
YES = ("true", "yes", "y", "on", "1", "x", "t", "checked", "✓", "✔", "o", "ja", "oui", "sí", "si", "sì", "sim",
       "はい", "是", "예", "네")
NO = ("false", "no", "n", "off", "0", "f", "none", "null", "", "unchecked", "nein", "non", "nee", "não", "いいえ",
      "否", "아니오", "아니요")
YES_NO_WORDS = ("yes/no, y/n, true/false, 1/0, on/off, x, ja/nein, oui/non, sí/no, sì/no, sim/não, ja/nee, "
                "はい/いいえ, 是/否, 예/아니오")
# What a date field (<input type=date>) takes: converted to YYYY-MM-DD before it is set (`browser_forms.date_iso`)
DATE_FORMATS = ("YYYY-MM-DD, or 29/11/2026, 11/29/2026, 29.11.2026, 2026.11.29, 29 Nov 2026, Nov 29, 2026, "
                "2026년 11월 29일")
# A list of values is for a <select multiple> only
MANY = "a list of values is for a list where several options can be chosen (<select multiple>): give one value"

FILL_SCRIPT = r"""
([fields, submit, mark, spot]) => {
  const DRAWN = __DRAWN__;
__LOOKUP__  const yesNo = v => { const t = String(v).normalize('NFC').trim().toLowerCase();
    return __YES__.includes(t) ? true : __NO__.includes(t) ? false : null; };
  const fire = (el, type) => el.dispatchEvent(type === 'focus' || type === 'blur'
    ? new FocusEvent(type) : new Event(type, {bubbles: true}));
  const setValue = (el, value) => {
    if (el.disabled) return 'the field is disabled';
    const tag = el.tagName, many = Array.isArray(value);
    if (many && !(tag === 'SELECT' && (el.multiple || value.length === 1))) return __MANY__;
    if (tag === 'SELECT') {
      // by value, else visible text; a list (a <select multiple>): those options chosen, the others not
      const options = [...el.options], wanted = many ? value : [value];
      const pick = v => { const want = plain(v), low = want.toLowerCase();
        return options.find(o => o.value === v) || options.find(o => plain(o.label) === want)
          || options.find(o => plain(o.label).toLowerCase() === low); };
      const chosen = wanted.map(pick), missing = wanted.filter((v, k) => !chosen[k]);
      if (missing.length) return {later: true, message: 'no option ' + JSON.stringify(missing[0]) + ' (options: '
        + options.map(o => plain(o.label)).join(', ') + ')'};  // options a script has yet to add: waited for
      fire(el, 'focus');
      if (many && el.multiple) options.forEach(o => { o.selected = chosen.includes(o); });
      else el.value = chosen[0].value;
      fire(el, 'input'); fire(el, 'change'); fire(el, 'blur');
      return null;
    }
    if (tag === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      // a radio button chosen by its value or label is ticked; a box takes yes or no
      let want = el.type === 'radio' && (el.value === value || labelOf(el) === norm(value)) ? true : yesNo(value);
      if (want === null && el.type === 'radio') want = true;
      if (want === null) return "'" + value + "' is not a yes or no (__YES_NO_WORDS__)";
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
        month: 'YYYY-MM', week: 'YYYY-Www', date: __DATES__, number: 'digits without thousands separators'};
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
    if (!Array.isArray(found)) { results.push({i: f.i, status: 'error', message: found.message}); continue; }
    if (found.length !== 1) { results.push({i: f.i, status: 'unresolved', count: found.length}); continue; }
    const el = found[0];
    // Left to Playwright (a dropdown drawn by the page, options still to come): marked, so that it finds
    // the field found here (by a table cell's text, in a shadow root...)
    const spotted = () => { el.setAttribute('data-retake-field', spot + '-' + f.i); return true; };
    // a dropdown drawn by the page (an input that suggests a list too): opened and picked in through Playwright
    if (DRAWN(el)) { results.push({i: f.i, status: 'unresolved', count: 1, marked: spotted()}); continue; }
    const date = el.tagName === 'INPUT' && el.type === 'date';
    // a date that reads two ways (03/04/2027) is not guessed: the field is left as it is
    if (date && f.ambiguous) {
      results.push({i: f.i, status: 'error', message: 'the field kept ' + JSON.stringify(el.value) + ': ' + f.ambiguous});
      continue;
    }
    if (f.secret) { el.setAttribute(mark, ''); el.style.webkitTextSecurity = 'disc'; }
    // a date input takes YYYY-MM-DD: a date written otherwise (29/11/2026, Nov 29, 2026) goes in as that
    const problem = setValue(el, date && f.iso ? f.iso : f.text);
    results.push(!problem ? {i: f.i, status: 'ok'} : !problem.later ? {i: f.i, status: 'error', message: problem}
      : {i: f.i, status: 'later', message: problem.message, marked: spotted()});
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
      // A form submission or a link that leaves the page: the caller waits for the next page. (In a shadow
      // root, its submit events stay there, and its clicks reach the window with the host as their target.)
      const seen = [], onEvent = e => seen.push([e, e.composedPath()[0]]), root = found[0].getRootNode();
      const spots = root === document ? [window] : [window, root];
      spots.forEach(w => { w.addEventListener('submit', onEvent); w.addEventListener('click', onEvent); });
      found[0].click();
      spots.forEach(w => { w.removeEventListener('submit', onEvent); w.removeEventListener('click', onEvent); });
      navigating = seen.some(([e, t]) => !e.defaultPrevented && (e.type === 'submit' || (t.closest
        && (a => a && a.getAttribute('href') && !a.getAttribute('href').startsWith('#')
          && !a.getAttribute('href').startsWith('javascript:') && a.target !== '_blank')(t.closest('a[href]')))));
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
_PARTS = {"__LOOKUP__": FIND_FIELD, "__DRAWN__": DRAWN_LIST, "__YES_NO_WORDS__": YES_NO_WORDS,
          "__YES__": json.dumps(YES, ensure_ascii=False), "__NO__": json.dumps(NO, ensure_ascii=False),
          "__DATES__": json.dumps(DATE_FORMATS, ensure_ascii=False), "__MANY__": json.dumps(MANY)}
FILL_SCRIPT = re.sub("|".join(_PARTS), lambda found: _PARTS[found.group()], FILL_SCRIPT)

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
