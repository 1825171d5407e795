"""Waiting for the next page after an action that may leave the page (a click, a key, a form sent), or
for the answers to the requests it made the page send when it stays (`browser_requests`).

A mixin of `BrowserSession`, which counts the navigations Playwright reports (`navigations` for the
page, `frame_navigations` per frame), the downloads, and the page's given-up navigations (`loading`,
connectors.browser_loading).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors import browser_forms, browser_requests
from orchestrator.errors import BusinessError


class Settling:
    page: Any
    context: Any
    options: Any
    navigations: int
    frame_navigations: dict[Any, int]
    downloads: int
    loading: Any

    def wait_navigation(self, since: int, timeout_ms: float, *, downloads: int | None = None,
                        frame: Any = None, abandoned: int | None = None) -> None:
        """After a click or script that submitted a form or followed a link: wait until the next page has
        loaded (a link that turned out to be a download ends the wait). `frame`: an iframe whose own page
        is changing (`since` counts that frame's navigations), else the page's; the wait also ends when
        the page gives the navigation up (`abandoned`: the count of those before the action)."""
        deadline = time.monotonic() + timeout_ms / 1000
        downloads = self.downloads if downloads is None else downloads
        watch = self.loading if self.loading is not None and self.loading.page is self.page else None
        if watch is not None and abandoned is None:
            abandoned = watch.given_up(inner=frame is not None)

        def count() -> int:
            return self.navigations if frame is None else self.frame_navigations.get(frame, 0)

        while count() == since and self.downloads == downloads and time.monotonic() < deadline:
            if watch is not None and watch.given_up(inner=frame is not None) != abandoned:
                return  # the page gave the navigation up (a mail link, a "204 No Content" answer): it stays
            self.page.wait_for_timeout(5)
        if count() != since:
            (frame or self.page).wait_for_load_state("load", timeout=max(1.0, (deadline - time.monotonic()) * 1000))

    def click_and_settle(self, loc: Any, *, timeout: float, frame: Any = None, answers: bool = True,
                         **options: Any) -> None:
        """Click; when the click submits a form or follows a link, wait until the next page has loaded, so
        that the next step (a form script, a text read) does not see the page being left; when it stays,
        until the requests the click made it send have been answered and drawn (`answers=False`: a caller
        that watches them itself). `frame`: the Frame the element is in, when it is in an iframe."""
        with self.settling(frame, timeout_ms=timeout, answers=answers), self.slow_server():
            loc.click(timeout=timeout, **options)

    @contextmanager
    def slow_server(self) -> Iterator[None]:
        """Around a click or key: Playwright waits for a navigation it starts within the action's `timeout`;
        when that passes while the page is still loading (a server slower than `timeout`), the action
        was done, and settling waits for the next page up to `navigation_timeout`."""
        watch = self.loading
        loading_before = watch is not None and watch.main in watch.loading
        try:
            yield
        except Exception as exc:
            if self.page.is_closed():
                return  # the click closed its own page (a lookup popup that fills its opener and closes)
            # the page started loading during the action (not before it, as a page still coming in): the
            # action was done and its next page is on its way
            started = watch is not None and not loading_before and watch.loading.get(watch.main) is False
            if type(exc).__name__ != "TimeoutError" or not started:
                raise

    @contextmanager
    def settling(self, frame: Any = None, *, timeout_ms: float | None = None, answers: bool = True) -> Iterator[None]:
        """Around an action that may leave the page (a click, a key): afterwards, wait for the next page
        when the page has left or started to leave. A navigation committed during the action is counted
        by `framenavigated`; one only requested (a slow server) or put off by a handler (`setTimeout(..,
        0)`) is told by the page's `beforeunload`, asked once its timers for "at once" have run (one round
        trip, only after an action that committed nothing). An iframe whose own page changed during the
        action (a form sent inside a frame) is waited for until loaded; `frame`, the one acted in, is also
        asked whether it is leaving. When the page stays, the fetch/XHR requests the action made it send
        are waited for (`answered`, up to `timeout_ms`, the action's own timeout), and a page that leaves
        once their answers have come (a save, then the next page) is waited for too."""
        since, downloads, frames = self.navigations, self.downloads, dict(self.frame_navigations)
        watch = self.loading
        abandoned = (watch.given_up(), watch.given_up(inner=True)) if watch is not None else (None, None)
        with browser_requests.Requests(self.page) as sent:
            yield
            self._settled(since, downloads, frames, frame, abandoned)
            # the same document (a move to another #hash or path by a script is no new page)
            stayed = self.page is sent.page and not self.page.is_closed() and self.downloads == downloads \
                and not sent.new_document
            if answers and stayed:
                self.answered(sent, self.options.timeout * 1000 if timeout_ms is None else timeout_ms)

    def answered(self, sent: browser_requests.Requests, timeout_ms: float) -> None:
        """After an action that left the page's document where it was: wait until the requests it made the
        page send have been answered and drawn (nothing, at once, when it sent none); when the page then
        leaves (the answer sends it to the next page, or to a login page), wait for that page as well."""
        since = self.navigations
        watch = self.loading
        abandoned = watch.given_up() if watch is not None else None
        if not browser_requests.answered(self.page, sent, timeout_ms=timeout_ms):
            return
        if self.navigations != since or self._leaving(script=browser_requests.DRAWN_SCRIPT):
            self.wait_navigation(since, self.options.navigation_timeout * 1000, abandoned=abandoned)

    def _settled(self, since: int, downloads: int, frames: dict[Any, int], frame: Any,
                 abandoned: tuple[int | None, int | None]) -> None:
        """What `settling` waits for once the action is done: the next page of the page or of a frame."""
        if self.page.is_closed():
            self.back_to_opener()
            return
        if self.downloads != downloads:
            return
        limit = self.options.navigation_timeout * 1000
        if self.navigations != since or self._leaving():
            self.wait_navigation(since, limit, downloads=downloads, abandoned=abandoned[0])
            return
        inner = frames.get(frame, 0)
        if frame is not None and not frame.is_detached() and self.frame_navigations.get(frame, 0) == inner \
                and self._leaving(frame):
            self.wait_navigation(inner, limit, downloads=downloads, frame=frame, abandoned=abandoned[1])
        main = self.page.main_frame
        for other, count in list(self.frame_navigations.items()):
            if count != frames.get(other, 0) and other is not main and not other.is_detached():
                other.wait_for_load_state("load", timeout=limit)

    def back_to_opener(self) -> None:
        """The page closed itself (a lookup popup that filled its opener's field): work goes on in the page
        that opened it, else in the run's last open page, as a person's eyes go back to the window left."""
        try:
            opener = self.page.opener()
        except Exception:  # noqa: BLE001 - a page gone takes its opener's handle with it
            opener = None
        pages = [p for p in self.context.pages if not p.is_closed()]
        if opener is not None and not opener.is_closed():
            self.page = opener
        elif pages:
            self.page = pages[-1]

    def _leaving(self, frame: Any = None, *, script: str = browser_forms.LEAVING_SCRIPT) -> bool:
        """Whether the page (or `frame`) has started to leave: asked by `script`, LEAVING_SCRIPT or one that
        first lets the page draw (`browser_requests.DRAWN_SCRIPT`)."""
        try:
            return bool((frame or self.page).evaluate(script))
        except Exception as exc:  # the page went while asked: it has left
            if "context was destroyed" in str(exc) or "navigat" in str(exc).lower():
                return True
            raise

    def frame_of(self, ctx: Any, frames: str | list[str], what: str) -> Any:
        """The Playwright Frame of an iframe selector (a list: nested frames), waited for as a locator is."""
        from connectors.browser_guard import guard

        timeout = self.timeout_ms(ctx)  # type: ignore[attr-defined]
        scope = self.page.main_frame
        with guard(ctx, self, what, timeout_ms=timeout):
            for selector in [frames] if isinstance(frames, str) else frames:
                handle = scope.wait_for_selector(selector, state="attached", timeout=timeout)
                inner = handle.content_frame() if handle is not None else None
                if inner is None:
                    raise BusinessError(f"{what}: {selector!r} is not a frame (an <iframe> or <frame>)")
                scope = inner
        return scope
