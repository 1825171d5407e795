"""Following a list's "next page" control, for `browser.table` with `next:`.

A page turn is a click on the control, then a wait until the table shows something else: a new page
loaded by a link or a form, or rows replaced by a script in the same page. The last page is the one
where the control is missing, disabled or hidden, or where a click changes nothing; a page seen before
also ends the walk (a "next" that goes round in circles).
"""

from __future__ import annotations

import time
from typing import Any

from connectors import browser_locators

LEAVING = ("Execution context was destroyed", "Cannot find context", "navigation")
STEADY_MS = 100  # a table that shows the same thing twice this far apart has finished changing
DISABLED_SCRIPT = """el => el.disabled || el.getAttribute('aria-disabled') === 'true'
  || !!el.closest('.disabled, [disabled], [aria-disabled="true"]')
  || (el.getClientRects().length === 0) || getComputedStyle(el).visibility === 'hidden'
  || getComputedStyle(el).pointerEvents === 'none'"""


def next_control(page: Any, spec: Any) -> Any | None:
    """The next-page control when there is one that can be clicked now; None on the last page."""
    for candidate in spec if isinstance(spec, list) else [spec]:
        loc = browser_locators.build(page, candidate)
        if loc.count():
            return None if loc.first.evaluate(DISABLED_SCRIPT) else loc.first
    return None


def fingerprint(table: Any) -> str | None:
    """What the table shows now (None while the page is being replaced or the table is not there)."""
    try:
        if not table.count():
            return None
        return table.first.evaluate("t => t.innerText")
    except Exception as exc:
        if any(word in str(exc) for word in LEAVING):
            return None  # the page is being replaced: no table for the moment
        raise  # (a crashed browser is not the last page)


def turn(browser: Any, control: Any, table: Any, before: str | None, *, timeout_ms: float) -> str | None:
    """Click `control` and wait until `table` shows something other than `before`, and has stopped
    changing (a "Loading..." row replaced by the rows); returns what it shows then, or None when nothing
    changed within the timeout (the control did nothing: the last page)."""
    browser.click_and_settle(control, timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    last = before
    while time.monotonic() < deadline:
        browser.page.wait_for_timeout(STEADY_MS)
        now = fingerprint(table)
        if now is not None and now != before and now == last:
            return now
        last = now
    return None
