"""A worker thread keeps its last run's browser context, cleared, for the robot's next run.

Opening a context costs a new browser renderer process and a cold first page, several times what a
short run's own work costs. So when a run ends (once it has been reported: `orchestrator.tidy`), its
context is cleared as a new one would be (cookies, local and session storage, IndexedDB, cache storage
and service workers of every origin it visited, permissions, other tabs, routes, the tab's history), its
tab is sent to `about:blank`, and it is kept for the next run of the same robot, with the same browser
options, in the same thread (the last PER_THREAD robots' contexts are kept, for IDLE_S at most). The HTTP
cache stays, as in a person's browser. A context is used for at most MAX_RUNS runs, then closed.

Robots that keep a `storage_state`, or that say `browser: {reuse_context: false}`, get a new context
every run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from connectors import browser_loading

MAX_RUNS = 50
PER_THREAD = 2  # robots whose runs alternate in a worker thread each keep theirs
IDLE_S = 900.0  # a context unused this long is closed (its renderer's memory goes back)


@dataclass
class Kept:
    browser: Any
    key: str
    context: Any
    page: Any
    watch: Any = None  # the page's LoadingWatch (connectors.browser_loading): its DevTools session
    runs: int = 1
    routed: bool = False
    origins: set[str] = field(default_factory=set)
    thread: threading.Thread = field(default_factory=threading.current_thread)
    since: float = field(default_factory=time.monotonic)


_kept: dict[int, list[Kept]] = {}  # by thread, the most recently kept last


def take(browser: Any, key: str) -> Kept | None:
    """This thread's kept context for these options (same browser), else None; drops stale ones."""
    mine = _kept.get(threading.get_ident(), [])
    if mine and mine[0].thread is not threading.current_thread():
        _kept.pop(threading.get_ident())  # a thread id reused by a new thread: not our Playwright
        return None
    for kept in list(mine):
        usable = kept.browser is browser and browser.is_connected() and not kept.page.is_closed()
        if usable and kept.key == key:
            mine.remove(kept)
            kept.runs += 1
            return kept
        if not usable or time.monotonic() - kept.since > IDLE_S:
            mine.remove(kept)
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
    for ident in [i for i, ks in list(_kept.items()) if ks and not ks[0].thread.is_alive()]:
        _kept.pop(ident, None)  # threads that ended: their browsers went with them
    mine = _kept.setdefault(threading.get_ident(), [])
    kept.since = time.monotonic()
    mine.append(kept)
    while len(mine) > PER_THREAD:
        _close(mine.pop(0).context)


def _clear(kept: Kept, *, tracing: bool) -> None:
    context, page = kept.context, kept.page
    if tracing:
        context.tracing.stop()  # discards what the run recorded; the next run starts its own
    if kept.routed:
        context.unroute_all(behavior="ignoreErrors")
    for other in context.pages:
        if other is not page:
            other.close()
    # The pages are left first: what their unload handlers save (a draft in localStorage, a cookie) is
    # cleared with the rest. (about:blank fully loaded: just after a commit, the history may not answer.)
    page.goto("about:blank")
    if kept.watch is None:
        kept.watch = browser_loading.LoadingWatch(context, page)
    for origin in sorted(kept.origins):  # "all": cookies, local and session storage, IndexedDB, caches...
        kept.watch.cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    kept.origins.clear()
    context.clear_cookies()
    context.clear_permissions()
    kept.watch.cdp.send("Page.resetNavigationHistory")


def _close(context: Any) -> None:
    try:
        context.close()
    except Exception:  # noqa: BLE001 - a crashed browser cannot be closed politely
        pass

