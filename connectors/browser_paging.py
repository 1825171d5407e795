"""Following a list's "next page" control, for `browser.table` with `next:`.

A page turn is a click on the control, then a wait until the table shows something else and has
settled: a new page loaded by a link or a form, or rows replaced by a script in the same page. A table
is not a page yet while it is busy: `aria-busy="true"` on it, around it or inside it, rows that only say
"Loading..." (or "Please wait", "로딩 중", "불러오는 중", "読み込み中"...), no data row at all, or a single
row of one cell across the table (a spinner or a message). It has settled when it shows the same thing
twice STEADY_MS apart while none of the requests the page's scripts started after the click (fetch,
XHR) is still under way (a page that keeps a request open is taken after NETWORK_CAP_MS of calm).

The last page is the one where the control is missing, disabled or hidden, or where a click changes
nothing within the browser's own `timeout` (not the step's whole time limit: while a request started by
the click is under way, the wait goes on up to the step's limit, for a slow server). A page seen before
also ends the walk (a "next" that goes round in circles). But only with the table still there, on the page
(path) where the last page was read: a table gone, a page gone elsewhere, or (after a click that changed
nothing) a login form is an application that ended the session and sent the browser away mid-list, and
the rows read so far are not the list: `SessionExpired`, and the item starts again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from connectors import browser_locators
from connectors.browser_guard import SessionExpired, guard, login_hint
from connectors.browser_requests import Requests

LEAVING = ("Execution context was destroyed", "Cannot find context", "navigation")
STEADY_MS = 100  # a table that shows the same thing twice this far apart has finished changing
NETWORK_CAP_MS = 2000  # steady this long, a table is taken even with a request still open (long polling)
WATCHED = frozenset({"fetch", "xhr", "document"})  # the requests that bring a page's rows
DISABLED_SCRIPT = """el => el.disabled || el.getAttribute('aria-disabled') === 'true'
  || !!el.closest('.disabled, [disabled], [aria-disabled="true"]')
  || (el.getClientRects().length === 0) || getComputedStyle(el).visibility === 'hidden'
  || getComputedStyle(el).pointerEvents === 'none'"""

# [text shown, state]: '' a page; 'loading' busy or only "Loading..." rows; 'empty' no data row, or one
# row of a single cell across the table (a spinner, "No data").
SNAPSHOT_SCRIPT = r"""t => {
  const text = t.innerText;
  if (t.getAttribute('aria-busy') === 'true' || t.closest('[aria-busy="true"]') || t.querySelector('[aria-busy="true"]'))
    return [text, 'loading'];
  const aria = t.tagName !== 'TABLE';
  const rows = aria ? [...t.querySelectorAll('[role=row]')] : [...t.rows];
  const cells = aria ? tr => [...tr.querySelectorAll('[role=cell], [role=gridcell], [role=columnheader], [role=rowheader]')]
      .filter(c => c.closest('[role=row]') === tr) : tr => [...tr.cells];
  const inHead = tr => !aria && tr.parentElement.tagName === 'THEAD';
  const allHead = tr => cells(tr).every(c => c.tagName === 'TH' || c.getAttribute('role') === 'columnheader');
  let lead = 0;  // the header: the rows at the top made only of header cells (and those of a <thead>)
  while (lead < rows.length && (inHead(rows[lead]) || allHead(rows[lead]))) lead++;
  const clean = el => (el.innerText || '').replace(/\s+/g, ' ').trim();
  const data = rows.slice(lead).filter(tr => cells(tr).length && !inHead(tr) && clean(tr));
  if (!data.length) return [text, 'empty'];
  const WORDS = /^(loading|please wait|one moment|searching|fetching|로딩|로드\s?중|불러오(는|고)|조회\s?중|검색\s?중|처리\s?중|잠시만|読み込|読込|ロード中|お待ち|加载|載入|正在)/i;
  const filled = tr => cells(tr).filter(c => clean(c)).length;
  if (data.every(tr => filled(tr) === 1 && clean(tr).length <= 40 && WORDS.test(clean(tr)))) return [text, 'loading'];
  const width = Math.max(...rows.map(tr => cells(tr).reduce((n, c) => n + Math.max(1, c.colSpan
    || Number(c.getAttribute('aria-colspan')) || 1), 0)));
  if (data.length === 1 && cells(data[0]).length === 1 && width > 1) return [text, 'empty'];
  return [text, ''];
}"""


def next_control(page: Any, spec: Any) -> Any | None:
    """The next-page control when there is one that can be clicked now; None on the last page."""
    for candidate in spec if isinstance(spec, list) else [spec]:
        loc = browser_locators.build(page, candidate)
        if loc.count():
            return None if loc.first.evaluate(DISABLED_SCRIPT) else loc.first
    return None


def snapshot(table: Any) -> tuple[str, str] | None:
    """(what the table shows, its state: '' a page, 'loading', 'empty'); None while the page is being
    replaced or the table is not there."""
    try:
        if not table.count():
            return None
        text, state = table.first.evaluate(SNAPSHOT_SCRIPT)
        return text, state
    except Exception as exc:
        if any(word in str(exc) for word in LEAVING):
            return None  # the page is being replaced: no table for the moment
        raise  # (a crashed browser is not the last page)


def first_page(browser: Any, table: Any, *, timeout_ms: float, loading_ms: float) -> str | None:
    """What the table shows once it has stopped loading (busy, or only "Loading..." rows), waited for up
    to `loading_ms` (the browser's timeout); a table still loading then is taken as it is."""
    table.first.wait_for(state="attached", timeout=timeout_ms)
    deadline = time.monotonic() + loading_ms / 1000
    shown = snapshot(table)
    while (shown is None or shown[1] == "loading") and time.monotonic() < deadline:
        browser.page.wait_for_timeout(STEADY_MS)
        shown = snapshot(table)
    return None if shown is None else shown[0]


def turn(browser: Any, control: Any, table: Any, before: str | None, *, timeout_ms: float,
         limit_ms: float | None = None) -> str | None:
    """Click `control` and wait until `table` shows something other than `before` and has settled (see
    the module's note); returns what it shows then, or None when nothing changed within `timeout_ms`
    (the last page). While a request the click started is under way, the wait goes on up to `limit_ms`."""
    page = browser.page
    with Requests(page, WATCHED) as requests:
        browser.click_and_settle(control, timeout=timeout_ms, answers=False)  # (the requests are watched here)
        started = time.monotonic()
        deadline, limit = started + timeout_ms / 1000, started + max(timeout_ms, limit_ms or 0) / 1000
        last, since = None, started
        while time.monotonic() < (limit if requests.open else deadline):
            page.wait_for_timeout(STEADY_MS)
            now = snapshot(table)
            if now != last:
                last, since = now, time.monotonic()
                continue
            if now is None or now[0] == before or now[1]:
                continue  # not a new page (yet)
            if not requests.open or (time.monotonic() - since) * 1000 >= NETWORK_CAP_MS:
                return now[0]
    return None


def more_pages(ctx: Any, browser: Any, table: Any, *, spec: Any, first: str | None, max_pages: int,
               timeout_ms: float, what: str, read: Callable[[], list[Any]]) -> list[Any]:
    """The rows of the pages after the first (`read()` reads the page shown), up to `max_pages` in all.
    Each turn is guarded on its own, so that a long list is bounded by the step's limit, not by the
    limit of one browser call."""
    rows: list[Any] = []
    seen, shown = {first}, first
    where = urlsplit(browser.page.url).path  # where the last page read is
    turn_ms = min(timeout_ms, browser.options.timeout * 1000)  # the browser's timeout, not the step's budget
    for number in range(1, max_pages):
        with guard(ctx, browser, what, timeout_ms=timeout_ms):
            control = next_control(browser.page, spec)
            if control is None:
                still_listing(ctx, browser, table, where=where, pages=number, clicked=False, what=what)
                break
            shown = turn(browser, control, table, shown, timeout_ms=turn_ms, limit_ms=timeout_ms)
            if shown is None:
                still_listing(ctx, browser, table, where=where, pages=number, clicked=True, what=what)
                break
            if shown in seen:
                break
            seen.add(shown)
            rows += read()
            where = urlsplit(browser.page.url).path
    return rows


def still_listing(ctx: Any, browser: Any, table: Any, *, where: str, pages: int, clicked: bool, what: str) -> None:
    """At what looks like the last page (no next control, or a click that changed nothing): make sure the
    list is still there. The table gone, the page on another path than `where` (the last page read), or,
    after a click, a login form: the application ended the session and sent the browser away (by a script,
    often), and the rows read so far are only part of the list; `SessionExpired` (the item starts again)."""
    page = browser.page
    try:
        there = table.count() > 0
    except Exception as exc:
        if not any(word in str(exc) for word in LEAVING):
            raise
        page.wait_for_load_state("load")  # the page is being replaced: ask the one that comes
        there = table.count() > 0
    moved = urlsplit(page.url).path != where
    if there and not moved and not clicked:
        return
    hint = login_hint(ctx, browser)
    if there and not moved and not hint:
        return
    why = [reason for reason, yes in (("the table is no longer on the page", not there),
                                      (f"the page went elsewhere (from {where})", moved)) if yes]
    why = why or ["a click on the next control changed nothing"]
    raise SessionExpired(f"{what}: the list broke off after page {pages}: {', and '.join(why)} "
                         f"(page {page.url}){hint or '; the session may have expired'}; the rows read so far are "
                         "not the whole list, so the item starts again from its first step (where robots log in)")
