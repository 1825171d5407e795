"""The requests a page's scripts send (fetch, XHR), so that an action is not done before their answers are.

A click or a key that makes the page send a request (the OK of a modal that saves by `fetch`, Enter in a
search box) has not done its work when Playwright's click returns: the answer, and what the page draws from
it (a toast, an error banner), come later. A step reading the page at once reads it as it was, perhaps
with the previous item's toast. So after such an action (`Settling.settling`), `answered` waits until the
fetch/XHR requests started since the action began have finished, those their answers start included (a
save, then the list reloaded), and the page has drawn them (one animation frame, then one turn of its
task queue). A request the page keeps open (long polling, a stream) must not hold the robot: once QUIET_MS
have passed in which none of the watched requests started or finished, those still open are left alone.
Requests started before the action are not watched; WebSockets and EventSource streams are not requests
here. An action that starts none costs nothing more: the page's listeners are set once (`tracker`), and
the question is asked of events already delivered.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Self

SENT = frozenset({"fetch", "xhr"})  # what a page's scripts send
QUIET_MS = 5000  # none of the watched requests started or finished for this long: the open ones are left
POLL_MS = 10  # how often a wait looks at the requests again (each look lets Playwright deliver events)
# One animation frame, then a task of its own: the page has run what the answers set off (promise
# callbacks, a redraw). A page not being drawn gets no frame: then 100 ms. Then, whether the page has
# started to leave (its `beforeunload`): a script that goes to the next page once the answer has come.
DRAWN_SCRIPT = """() => new Promise(done => {
  let asked = false;
  const ask = () => {
    if (asked) return;
    asked = true;
    done(typeof window.__retakeLeaving === 'function' ? window.__retakeLeaving() : false);
  };
  requestAnimationFrame(() => setTimeout(ask, 0));
  setTimeout(ask, 100);
})"""


class _Tracker:
    """A page's request events, listened to for the page's whole life and passed on to the `Requests`
    watching it at the time. Playwright tells its driver of every listener set or removed: doing that
    around each action cost about 2 ms a step, where the events of a page that sends nothing cost nothing."""

    def __init__(self, page: Any):
        self.watchers: list[Requests] = []
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        for watcher in list(self.watchers):
            watcher._started(request)

    def _ended(self, request: Any) -> None:
        for watcher in list(self.watchers):
            watcher._ended(request)


_trackers: weakref.WeakKeyDictionary[Any, _Tracker] = weakref.WeakKeyDictionary()


def tracker(page: Any) -> _Tracker:
    """The page's one tracker, made (and its listeners set) on first use."""
    found = _trackers.get(page)
    if found is None:
        found = _trackers[page] = _Tracker(page)
    return found


class Requests:
    """The page's requests of `kinds` under way, counted from `__enter__` on: `open` those not finished yet,
    `started` how many began, `changed` when one last started or finished (monotonic seconds);
    `new_document`: whether the page asked for another document (a link, a form sent), as opposed to a
    move inside the page (a #hash, `history.pushState`), which loads nothing."""

    def __init__(self, page: Any, kinds: frozenset[str] = SENT):
        self.page = page
        self.kinds = kinds
        self.open: set[Any] = set()
        self.started = 0
        self.changed = time.monotonic()
        self.new_document = False

    def _started(self, request: Any) -> None:
        if request.is_navigation_request() and _in_main_frame(request, self.page):
            self.new_document = True
        if request.resource_type in self.kinds:
            self.open.add(request)
            self.started += 1
            self.changed = time.monotonic()

    def _ended(self, request: Any) -> None:
        if request in self.open:
            self.open.discard(request)
            self.changed = time.monotonic()

    def __enter__(self) -> Self:
        tracker(self.page).watchers.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        watchers = tracker(self.page).watchers
        if self in watchers:
            watchers.remove(self)


def answered(page: Any, requests: Requests, *, timeout_ms: float) -> bool:
    """Wait until the requests watched by `requests` have finished, up to `timeout_ms`, or until they have
    been quiet for QUIET_MS (those still open are then left alone). False, at once, when none was started:
    nothing to wait for, nor to draw."""
    if not requests.started:
        return False
    deadline = time.monotonic() + timeout_ms / 1000
    while requests.open and time.monotonic() < deadline \
            and (time.monotonic() - requests.changed) * 1000 < QUIET_MS:
        page.wait_for_timeout(POLL_MS)
    return True


def _in_main_frame(request: Any, page: Any) -> bool:
    try:
        return request.frame == page.main_frame
    except Exception:  # noqa: BLE001 - a service worker's request has no frame
        return False
