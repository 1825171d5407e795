"""Choosing in a list drawn by the page: an ARIA combobox or a button opening a listbox, and the text box
that suggests as one types (a type-ahead whose suggestions may come from the server).

`pick` serves `browser.select` and `browser.fill_form` (through `browser_fields._select`). Its rules:

- Only the field's own list counts: the listbox its `aria-controls` / `aria-owns` points to, else the one
  that opened for it. The page's other dropdowns (native `<select>`s, other lists) are never read.
- The option with exactly the wanted text (spaces and letter case aside) is clicked as soon as it shows.
- Otherwise the list is first let settle: no request of the page (fetch/XHR) in flight, and neither the
  list nor the network changed for `QUIET_S`; `FIRST_S` when nothing at all happened since the text was
  typed (a debounced type-ahead asks the server a moment after the last key). The step timeout caps it.
- Then the one option that starts with the text or holds it as whole words is clicked ("hanbit" picks
  "Hanbit Motors" when it is the only such one); several such options and none exact is a business error
  naming them: a silent guess would enter the wrong record.
- No option at all: in a text box, what was typed stays (the page's own checks judge it); a list opened
  by a click that shows no options, or options none of which fits, is a business error naming its options.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from connectors.browser_requests import Requests
from orchestrator.errors import ApplicationError, BusinessError

QUIET_S = 0.5  # the list has answered: no request in flight, nothing changed for so long
FIRST_S = 1.5  # nothing happened since typing (no request, no option): so long for a debounce to ask
POLL_MS = 50
SHOWN_MAX = 20  # options named in a message

# The field's own list and its options. `arg.before`: remember the lists shown before the field is typed
# into or clicked (a list without an id link is "the one that opened for it"); `arg.pick`: the option with
# that text, as an element to click; otherwise the texts of the options shown.
LIST_SCRIPT = r"""(el, arg) => {
  const shown = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const plain = e => (e.innerText || e.textContent || '').replace(/\s+/g, ' ').trim();
  const root = el.getRootNode(), scopes = root === document ? [document] : [root, document];
  const byId = id => scopes.map(s => s.getElementById ? s.getElementById(id)
    : s.querySelector('#' + CSS.escape(id))).find(Boolean);
  const every = sel => [...new Set(scopes.flatMap(s => [...s.querySelectorAll(sel)]))];
  const lists = every('[role=listbox]').filter(l => l !== el);
  if (arg.before) { el.__retakeListsShown = lists.filter(shown); return null; }
  // the list the field points to (a popup holding one: the listbox inside it)
  let own = ['aria-controls', 'aria-owns'].flatMap(a => (el.getAttribute(a) || '').split(/\s+/))
    .filter(Boolean).map(byId).filter(Boolean)
    .map(e => e.getAttribute('role') === 'listbox' ? e : e.querySelector('[role=listbox]') || e);
  let options;
  if (own.length) options = own.flatMap(l => shown(l) ? [...l.querySelectorAll('[role=option]')] : []);
  else {
    // no link: the list that opened for it, else the lists shown; options outside any list as a last resort
    const before = el.__retakeListsShown || [], open = lists.filter(shown), opened = open.filter(l => !before.includes(l));
    own = opened.length ? opened : open;
    options = own.length ? own.flatMap(l => [...l.querySelectorAll('[role=option]')])
      : every('[role=option]').filter(o => !o.closest('[role=listbox]'));
  }
  options = options.filter(shown);
  if (arg.pick !== undefined) return options.find(o => plain(o) === arg.pick) || null;
  return options.map(plain);
}"""


def _norm(text: str) -> str:
    """Text as compared: spaces collapsed, letter case aside."""
    return " ".join(text.split()).casefold()


def exact(options: list[str], want: str) -> str | None:
    """The option that is the wanted text (spaces and letter case aside): the first such one."""
    return next((o for o in options if _norm(o) == _norm(want)), None)


def near(options: list[str], want: str) -> list[str]:
    """The options that start with the wanted text or hold it as whole words ("Acme" is in "Acme Retail
    Ltd" and "Hanb" starts "Hanbit Motors"; "cme" is in neither): the candidates when none is exact."""
    wanted = _norm(want)
    if not wanted:
        return []
    words = re.compile(r"(?<!\w)" + re.escape(wanted) + r"(?!\w)")
    return [o for o in options if _norm(o).startswith(wanted) or words.search(_norm(o))]


def _named(options: list[str]) -> str:
    """Options for a message: the first `SHOWN_MAX`, each quoted as the page shows it."""
    more = f", ... ({len(options) - SHOWN_MAX} more)" if len(options) > SHOWN_MAX else ""
    return ", ".join(options[:SHOWN_MAX]) + more


def choose(options: list[str], want: str, *, typed: bool) -> str | None:
    """The option to click for `want` by the rules above; None when there is no option at all (a text box
    then keeps what was typed). Several candidates, or options none of which fits, fail the item."""
    found = exact(options, want)
    if found is not None:
        return found
    candidates = near(options, want)
    if len(candidates) == 1:
        return candidates[0]
    what = "suggestions" if typed else "options"
    if len(candidates) > 1:
        raise BusinessError(f"{want!r} is not exactly any of the {what} offered and several hold it "
                            f"({_named(candidates)}): write the exact text of the one meant")
    if typed and options:
        raise BusinessError(f"no suggestion for {want!r} fits ({what}: {_named(options)}): write the exact text "
                            "of one of them (for a free-text field that only suggests, use browser.fill)")
    if not typed:
        raise BusinessError(f"no option {want!r} in the list (options: {_named(options) or 'none shown'})")
    return None


def pick(loc: Any, want: str, *, timeout: float, note: Callable[[str], None] | None = None) -> str:
    """Open the field's list (type `want` into a text box, else click the control) and click the option
    `choose` finds once the list has settled; returns the text chosen, or `want` when a text box got no
    suggestion and keeps what was typed."""
    page = loc.page
    typed = loc.evaluate("el => el.tagName === 'INPUT' || el.tagName === 'TEXTAREA'", timeout=timeout)
    loc.evaluate(LIST_SCRIPT, {"before": True}, timeout=timeout)
    deadline = time.monotonic() + timeout / 1000
    with Requests(page) as traffic:
        if typed:
            loc.fill(want, timeout=timeout)
        else:
            loc.click(timeout=timeout)
        options = _settled(loc, want, traffic, deadline)
    chosen = choose(options, want, typed=typed)
    if chosen is None:
        return want  # a text box with no suggestion: what was typed stays, the page's own checks judge it
    if note is not None and _norm(chosen) != _norm(want):
        note(f"{want!r}: the only {'suggestion' if typed else 'option'} holding it was chosen: {chosen!r}")
    _click(loc, chosen, deadline)
    return chosen


def _settled(loc: Any, want: str, traffic: Requests, deadline: float) -> list[str]:
    """The options of the field's list once one is exactly `want`, or once the list has settled (see the
    module's rules), or at the step's deadline: what is shown then."""
    typed_at = time.monotonic()
    last, changed = None, typed_at
    while True:
        options = loc.evaluate(LIST_SCRIPT, {}, timeout=max(1000.0, (deadline - time.monotonic()) * 1000))
        now = time.monotonic()
        if options != last:
            last, changed = options, now
        if exact(options, want) is not None or now >= deadline:
            return options
        answered = traffic.started > 0 or bool(options)
        quiet = now - max(changed, traffic.changed, typed_at)
        if not traffic.open and quiet >= (QUIET_S if answered else FIRST_S):
            return options
        loc.page.wait_for_timeout(POLL_MS)


def _click(loc: Any, chosen: str, deadline: float) -> None:
    """Click the option with the text `chosen`; a list drawn again meanwhile (a late answer) is read again."""
    for _ in range(3):
        left = max(1000.0, (deadline - time.monotonic()) * 1000)
        handle = loc.evaluate_handle(LIST_SCRIPT, {"pick": chosen}, timeout=left)
        option = handle.as_element()
        if option is None:
            break
        try:
            option.click(timeout=left)
            return
        except Exception as exc:
            if "not attached" not in str(exc):
                raise
        finally:
            handle.dispose()
    raise ApplicationError(f"the option {chosen!r} went from the list before it could be clicked "
                           "(the page drew its list again)")
