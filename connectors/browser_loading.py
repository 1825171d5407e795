"""Whether a page gave up a navigation it had started: Chromium's loading events, through a CDP session.

A click on a mail link, or on a link whose server answers "204 No Content", fires the page's
`beforeunload` and starts loading, then stops without a new page: nothing will come, so a step waiting
for the next page ends. Playwright reports committed navigations only, hence the page's own DevTools
session (Chromium's `Page.frameStartedLoading` / `frameNavigated` / `frameStoppedLoading` of its frames;
a frame of another site runs in its own process, unseen here, and is waited for until the time limit). The same session serves `browser_reuse` to clear storage between runs.
"""

from __future__ import annotations

from typing import Any


class LoadingWatch:
    """Counts abandoned navigations (started loading, stopped without a commit): the main frame's in
    `abandoned`, those of the page's frames (a frameset's, an iframe's of the same site) in `abandoned_inner`."""

    def __init__(self, context: Any, page: Any):
        self.page = page
        self.cdp = context.new_cdp_session(page)
        self.main = self.cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        self.loading: dict[str, bool] = {}  # frame id -> committed since it started loading
        self.abandoned = 0
        self.abandoned_inner = 0
        self.cdp.on("Page.frameStartedLoading", self._started)
        self.cdp.on("Page.frameNavigated", self._navigated)
        self.cdp.on("Page.frameStoppedLoading", self._stopped)
        self.cdp.send("Page.enable")

    def given_up(self, *, inner: bool = False) -> int:
        return self.abandoned_inner if inner else self.abandoned

    def _started(self, event: dict[str, Any]) -> None:
        self.loading[event.get("frameId", "")] = False

    def _navigated(self, event: dict[str, Any]) -> None:
        frame = event.get("frame", {}).get("id", "")
        if frame in self.loading:
            self.loading[frame] = True

    def _stopped(self, event: dict[str, Any]) -> None:
        frame = event.get("frameId", "")
        if self.loading.pop(frame, True) is False:
            if frame == self.main:
                self.abandoned += 1
            else:
                self.abandoned_inner += 1

    def detach(self) -> None:
        try:
            self.cdp.detach()
        except Exception:  # noqa: BLE001, S110 - a page or browser already gone took the session with it
            pass


def watch(context: Any, page: Any) -> LoadingWatch | None:
    """A watch of `page`, or None when the browser offers no DevTools session (then a step waits for a
    given-up navigation until its navigation time limit, as before)."""
    try:
        return LoadingWatch(context, page)
    except Exception:  # noqa: BLE001
        return None
