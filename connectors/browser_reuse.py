"""A worker thread keeps its last run's browser context, cleared, for the robot's next run.

Opening a context costs a new browser renderer process and a cold first page, several times what a
short run's own work costs. So when a run ends, its context is cleared as a new one would be (cookies,
local and session storage, IndexedDB, cache storage and service workers of every origin it visited,
permissions, other tabs, routes, the tab's history), its tab is sent to `about:blank`, and it is kept
for the next run of the same robot, with the same browser options, in the same thread. The HTTP cache
stays, as in a person's browser. A context is used for at most MAX_RUNS runs, then closed.

Robots that keep a `storage_state`, or that say `browser: {reuse_context: false}`, get a new context
every run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MAX_RUNS = 50


@dataclass
class Kept:
    browser: Any
    key: str
    context: Any
    page: Any
    cdp: Any = None
    runs: int = 1
    routed: bool = False
    origins: set[str] = field(default_factory=set)
    thread: threading.Thread = field(default_factory=threading.current_thread)


_kept: dict[int, Kept] = {}


def take(browser: Any, key: str) -> Kept | None:
    """This thread's kept context when it suits (same browser and options), else None (closing it)."""
    kept = _kept.pop(threading.get_ident(), None)
    if kept is None or kept.thread is not threading.current_thread():
        return None  # (a thread id reused by a new thread: the old thread's Playwright is not ours)
    if kept.browser is browser and kept.key == key and browser.is_connected() and not kept.page.is_closed():
        kept.runs += 1
        return kept
    _close(kept.context)
    return None


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def keep(kept: Kept, *, tracing: bool) -> None:
    """Clear a finished run's context and keep it for this thread's next run; close it when that fails
    or when it has served MAX_RUNS runs."""
    if kept.runs >= MAX_RUNS:
        _close(kept.context)
        return
    try:
        _clear(kept, tracing=tracing)
    except Exception:  # noqa: BLE001 - a context that cannot be cleared is not used again
        _close(kept.context)
        return
    for ident in [i for i, k in _kept.items() if not k.thread.is_alive()]:
        _kept.pop(ident, None)  # threads that ended: their browsers went with them
    old = _kept.pop(threading.get_ident(), None)
    if old is not None:
        _close(old.context)
    _kept[threading.get_ident()] = kept


def _clear(kept: Kept, *, tracing: bool) -> None:
    context, page = kept.context, kept.page
    if tracing:
        context.tracing.stop()  # discards what the run recorded; the next run starts its own
    if kept.routed:
        context.unroute_all(behavior="ignoreErrors")
    for other in context.pages:
        if other is not page:
            other.close()
    if kept.cdp is None:
        kept.cdp = context.new_cdp_session(page)
    for origin in sorted(kept.origins):  # "all": cookies, local and session storage, IndexedDB, caches...
        kept.cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    kept.origins.clear()
    context.clear_cookies()
    context.clear_permissions()
    page.goto("about:blank", wait_until="commit")
    kept.cdp.send("Page.resetNavigationHistory")


def _close(context: Any) -> None:
    try:
        context.close()
    except Exception:  # noqa: BLE001 - a crashed browser cannot be closed politely
        pass


def discard() -> None:
    """Close this thread's kept context (the browser goes away, or the thread ends)."""
    kept = _kept.pop(threading.get_ident(), None)
    if kept is not None:
        _close(kept.context)
