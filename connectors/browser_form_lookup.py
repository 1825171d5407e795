"""How the page script of `browser.fill_form` finds a field: the declarations `FILL_SCRIPT` starts with.

A field name is looked for as a label (`for=`, nesting, a label right before its field, `aria-label`,
`aria-labelledby`), a `name`, an id, a placeholder, the legend of a group of radio buttons, then text
standing alone before the field (a table cell, a <dt>...), whole, then among other words. The document is
searched first; a field it does not hold is looked for in the open shadow roots of the page's web
components. `find(kind, value, exact)` answers the elements found; `pickRadio` narrows a group of radio
buttons to the one to choose.
"""

from __future__ import annotations

FIND_FIELD = r"""
  const norm = s => (s || '').replace(/\s+/g, ' ').trim().replace(/[\s:*]+$/, '').toLowerCase();
  const CONTROL = 'input:not([type=hidden]), select, textarea';
  const plain = s => (s || '').replace(/\s+/g, ' ').trim();  // \s: &nbsp; too
  const labelText = el => [...(el.labels || [])].map(l => l.textContent).join(' ')
    || (el.nextSibling && el.nextSibling.textContent) || '';
  const labelOf = el => norm(labelText(el));
  // Where fields are looked for: the document; for a field not found there, the open shadow roots of the
  // page's web components (which the document's queries do not enter), all of them at once.
  let roots = [document];
  const all = sel => roots.flatMap(r => [...r.querySelectorAll(sel)]);
  const byIds = id => roots.map(r => r.getElementById(id)).filter(Boolean);
  const shadowRoots = () => {
    const out = [], walk = root => {
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { out.push(el.shadowRoot); walk(el.shadowRoot); }
    };
    walk(document);
    return out;
  };
  // Old pages often put a label beside its field without for= or nesting: take the next field.
  const nearControl = label => {
    if (label.hasAttribute('for')) return null;
    const next = label.nextElementSibling;
    if (next && next.matches(CONTROL)) return next;
    const inParent = label.parentElement ? label.parentElement.querySelectorAll(CONTROL) : [];
    return inParent.length === 1 ? inParent[0] : null;
  };
  // Every label of a root with its field, read once per call; read again when a lookup finds nothing
  // or finds a field no longer in the page (a field shown or redrawn by the one set before it).
  const labels = new Map();
  const readLabels = root => {
    const out = [];
    for (const label of root.querySelectorAll('label')) {
      const el = label.control || nearControl(label);
      if (!el) continue;
      // a label beside a group of radio buttons (not around one of them): the whole group
      const group = !label.control && el.type === 'radio' && el.name ? [...(label.parentElement || root)
        .querySelectorAll('input[type=radio]')].filter(r => r.name === el.name) : [el];
      for (const one of group) out.push([norm(label.textContent), one]);
    }
    for (const el of root.querySelectorAll('[aria-label]'))
      out.push([norm(el.getAttribute('aria-label')), el]);
    for (const el of root.querySelectorAll('[aria-labelledby]'))
      out.push([norm(el.getAttribute('aria-labelledby').split(/\s+/)
        .map(id => (root.getElementById(id) || {}).textContent || '').join(' ')), el]);
    labels.set(root, out);
  };
  const lookLabels = (want, exact) => {
    const hits = new Set(), loose = new Set();
    for (const root of roots) for (const [got, el] of labels.get(root)) {
      if (got === want) hits.add(el); else if (!exact && got.includes(want)) loose.add(el);
    }
    return hits.size ? [...hits] : [...loose];
  };
  const byLabel = (text, exact) => {
    const want = norm(text), fresh = roots.filter(r => !labels.has(r));
    fresh.forEach(readLabels);
    let found = lookLabels(want, exact);
    if (fresh.length < roots.length && (found.length === 0 || !found.every(el => el.isConnected))) {
      roots.forEach(readLabels);
      found = lookLabels(want, exact);
    }
    return found;
  };
  // Legacy layouts: "Vendor:" alone in a table cell, span or <dt>, its field inside it or in what follows.
  // `loose`: the text holds the name among other words ("사용자 ID (User ID)" for "User ID"), in a short text
  const byText = (text, loose) => {
    const want = norm(text), out = new Set();
    const words = new RegExp('(^|[^\\p{L}\\p{N}])' + want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '($|[^\\p{L}\\p{N}])', 'u');
    for (const el of all('td, th, dt, span, b, strong, font, div, p')) {
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
    for (const legend of all('fieldset > legend'))
      if (norm(legend.textContent) === want) return [...legend.parentElement.querySelectorAll(CONTROL)];
    return [];
  };
  // Several radio buttons of one group (by its legend, its label or text, its name): the one whose value
  // or label is the value to set; none of them: an error listing them
  const pickRadio = (found, value) => {
    if (found.length < 2 || typeof value !== 'string'
        || !found.every(el => el.type === 'radio' && el.name === found[0].name)) return found;
    const want = norm(value);
    const hit = found.filter(el => el.value === value).concat(found.filter(el => labelOf(el) === want));
    return hit.length ? [hit[0]] : {message: 'no choice \'' + value + '\' among its radio buttons (choices: '
      + found.map(el => plain(labelText(el)) || el.value).join(', ') + ')'};
  };
  const attr = (name, value) => all('[' + name + ']').filter(el => el.getAttribute(name) === value);
  const lookup = (kind, value, exact) => {
    try {
      if (kind === 'css') return all(value);
      if (kind === 'label') return byLabel(value, exact);
      if (kind === 'placeholder') return attr('placeholder', value);
      if (kind === 'test_id') return attr('data-testid', value);
      if (kind === 'name') return attr('name', value);
      if (kind === 'button') {
        const want = norm(value), named = el => [el.innerText, el.value, el.getAttribute('aria-label'),
          el.getAttribute('title')].some(t => norm(t) === want);
        const buttons = all('button, input[type=submit], input[type=button], input[type=image], [role=button]')
          .filter(named);
        if (buttons.length) return buttons;
        const byId = byIds(value);
        return byId.length ? byId : attr('name', value);
      }
      // a field name: its label, else its name, id or placeholder
      let found = byLabel(value, true);
      if (found.length === 0) found = attr('name', value);
      if (found.length === 0) found = byIds(value);
      if (found.length === 0) found = attr('placeholder', value);
      if (found.length === 0) found = byLegend(value);
      if (found.length === 0) found = byText(value);
      if (found.length === 0) found = byLabel(value, false);
      if (found.length === 0) found = byText(value, true);
      return found;
    } catch (e) { return []; }
  };
  const find = (kind, value, exact) => {
    roots = [document];
    const found = lookup(kind, value, exact);
    if (found.length) return found;
    const shadows = shadowRoots();
    if (!shadows.length) return found;
    roots = shadows;
    try { return lookup(kind, value, exact); } finally { roots = [document]; }
  };
"""
