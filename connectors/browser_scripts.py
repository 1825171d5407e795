"""Scripts every page of a run's context carries from its first line on (a Playwright init script).

- A watcher of clicks and form submissions, read after a click to learn whether the click is leaving the
  page (a form sent, a link followed) so that the next step waits for the next page. Whether an event
  was cancelled (`defaultPrevented`) is read when asked, after every handler of the page has run.
- The form filler of `browser.fill_form` (connectors.browser_forms), so a fill sends only its data.

Both are non-enumerable properties of `window`. A page the init script did not reach (a document
written by a script) has neither: a fill then sends the whole script, and a click gives a navigation it
started a moment before going on.
"""

from __future__ import annotations

LEAVE_WATCH = r"""
(() => {
  if (window.__retakeLeft) return;
  let seen = [];
  const keep = e => { seen.push(e); if (seen.length > 50) seen.shift(); };
  window.addEventListener('submit', keep, true);
  window.addEventListener('click', keep, true);
  const leaves = e => {
    if (e.defaultPrevented) return false;
    if (e.type === 'submit') return !e.target.target || e.target.target === '_self';
    const a = e.target && e.target.closest ? e.target.closest('a[href]') : null;
    if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return false;
    const href = a.getAttribute('href');
    return !href.startsWith('#') && !href.toLowerCase().startsWith('javascript:');
  };
  // Did a click or submit since the last question leave the page? (The question forgets them.)
  Object.defineProperty(window, '__retakeLeft', {
    value: () => { const out = seen.some(leaves); seen = []; return out; },
    configurable: true, enumerable: false,
  });
})();
"""

ASK_LEFT = "() => typeof window.__retakeLeft === 'function' ? window.__retakeLeft() : null"


def init_script() -> str:
    from connectors.browser_forms import INSTALL_SCRIPT

    return LEAVE_WATCH + "\n" + INSTALL_SCRIPT
