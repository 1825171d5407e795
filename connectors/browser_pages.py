"""Tabs, popups and moving through a page's history: `browser.reload`, `browser.back`, `browser.switch_page`,
`browser.close_page`."""

from __future__ import annotations

from typing import Any, Literal

from connectors.browser import Args, _navigate
from connectors.browser_guard import guard
from connectors.browser_session import open_browser
from orchestrator.actions import action
from orchestrator.errors import BusinessError


class NavigateArgs(Args):
    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"


@action("browser.reload", args=NavigateArgs)
def reload(ctx: Any, args: NavigateArgs) -> dict[str, Any]:
    """Load the page again; returns {url, status, title} like browser.goto. `browser.reload: {}`"""
    return _navigate(ctx, "browser.reload", lambda page, t: page.reload(wait_until=args.wait_until, timeout=t))


@action("browser.back", args=NavigateArgs)
def back(ctx: Any, args: NavigateArgs) -> dict[str, Any]:
    """Go back one page in the history; returns {url, status, title}. `browser.back: {}`"""
    return _navigate(ctx, "browser.back", lambda page, t: page.go_back(wait_until=args.wait_until, timeout=t))


class SwitchArgs(Args):
    to: Any = "last"


@action("browser.switch_page", args=SwitchArgs, scalar="to")
def switch_page(ctx: Any, args: SwitchArgs) -> dict[str, Any]:
    """Work in another tab or popup of the run: `last` (waits for a new one), `first`, a number from 0, or a
    URL glob (`**/lookup*`, `re:` for a regular expression); returns {url, title, index}.

    `browser.switch_page: last` after a click that opens a popup; `browser.switch_page: first` to come back."""
    import fnmatch
    import re

    browser = open_browser(ctx)
    timeout = browser.timeout_ms(ctx)
    with guard(ctx, browser, f"browser.switch_page {args.to}", timeout_ms=timeout):
        pages = browser.context.pages
        if args.to == "last" and pages[-1] is browser.page:
            pages = [*pages, browser.context.wait_for_event("page", timeout=timeout)]
        target_page = None
        if args.to in ("last", "first"):
            target_page = pages[-1] if args.to == "last" else pages[0]
        elif isinstance(args.to, int) or str(args.to).lstrip("-").isdigit():
            index = int(args.to)
            target_page = pages[index] if -len(pages) <= index < len(pages) else None
        else:
            text = str(args.to)
            match = (lambda url: re.search(text[3:], url)) if text.startswith("re:") else \
                (lambda url: fnmatch.fnmatch(url, text))
            target_page = next((p for p in reversed(pages) if match(p.url)), None)
        if target_page is None:
            raise BusinessError(f"browser.switch_page: no page {args.to!r} among {len(pages)}: "
                                f"{', '.join(p.url for p in pages)}")
        target_page.wait_for_load_state("domcontentloaded", timeout=timeout)
        browser.page = target_page
        target_page.bring_to_front()
        return {"url": target_page.url, "title": target_page.title(), "index": pages.index(target_page)}


@action("browser.close_page", args=NavigateArgs)
def close_page(ctx: Any, args: NavigateArgs) -> dict[str, Any]:
    """Close the current tab or popup and go back to the run's first page. `browser.close_page: {}`"""
    browser = open_browser(ctx)
    with guard(ctx, browser, "browser.close_page"):
        pages = browser.context.pages
        if len(pages) > 1:
            browser.page.close()
        browser.page = browser.context.pages[0]
        return {"url": browser.page.url, "title": browser.page.title(), "index": 0}
