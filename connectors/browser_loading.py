"""Whether a page gave up a navigation it had started: Chromium's loading events, through a CDP session.

A click on a mail link, or on a link whose server answers "204 No Content", fires the page's
`beforeunload` and starts loading, then stops without a new page: nothing will come, so a step waiting
for the next page ends. Playwright reports committed navigations only, hence the page's own DevTools
session (Chromium's `Page.frameStartedLoading` / `frameNavigated` / `frameStoppedLoading` of its main
frame). The same session serves `browser_reuse` to clear storage between runs.
"""

from __future__ import annotations

from typing import Any


class LoadingWatch:
    """Counts the main frame's abandoned navigations (started loading, stopped without a commit)."""

    def __init__(self, context: Any, page: Any):
        self.page = page
        self.cdp = context.new_cdp_session(page)
        self.main = self.cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        self.loading = False
        self.committed = False
        self.abandoned = 0
        self.cdp.on("Page.frameStartedLoading", self._started)
        self.cdp.on("Page.frameNavigated", self._navigated)
        self.cdp.on("Page.frameStoppedLoading", self._stopped)
        self.cdp.send("Page.enable")

    def _started(self, event: dict[str, Any]) -> None:
        if event.get("frameId") == self.main:
            self.loading, self.committed = True, False

    def _navigated(self, event: dict[str, Any]) -> None:
        if event.get("frame", {}).get("id") == self.main:
            self.committed = True

    def _stopped(self, event: dict[str, Any]) -> None:
        if event.get("frameId") == self.main:
            if self.loading and not self.committed:
                self.abandoned += 1
            self.loading = False

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
