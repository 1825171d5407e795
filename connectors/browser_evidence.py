"""The evidence a failed item leaves: a screenshot, the page's HTML (with its frames') and the trace.

Secrets are kept out of all three: fields holding one are masked in the screenshot, and the HTML and the
trace are cleaned of every spelling of them (`browser_secrets`).
"""

from __future__ import annotations

from typing import Any

from connectors import browser_secrets
from connectors.browser_guard import OPEN_LIMIT_S, interruptible


def capture(browser: Any, ctx: Any) -> None:
    """Screenshot, page HTML and trace of a failed item into the run's artifacts."""
    if browser.page is None or browser.crashed or ctx.index != browser.item_index:
        return  # this item did not use the browser (it failed before): no browser evidence
    with interruptible(OPEN_LIMIT_S):
        _capture(browser, ctx)


def _capture(browser: Any, ctx: Any) -> None:
    from connectors.browser_session import SECRET_MARK
    from orchestrator.logs import mask

    page = browser.page
    try:
        shot = ctx.artifact_path("failure.png")
        mask_locator = page.locator(f"[{SECRET_MARK}], input[type=password]")
        page.screenshot(path=str(shot), full_page=True, mask=[mask_locator], timeout=10_000, animations="disabled")
        ctx.add_artifact(shot, "screenshot")
    except Exception as problem:  # noqa: BLE001
        ctx.log.warning(f"no failure screenshot: {mask(str(problem))}")
    try:
        html = ctx.artifact_path("page.html")
        html.write_text(mask(browser_secrets.scrub_text(page_html(page), browser.secret_values())), encoding="utf-8")
        ctx.add_artifact(html, "html")
    except Exception as problem:  # noqa: BLE001
        ctx.log.warning(f"no page HTML: {mask(str(problem))}")
    if browser.trace_mode != "never" and browser.chunk_open:
        try:
            ctx.add_artifact(browser.save_trace(ctx.artifact_path("trace.zip")), "trace")
        except Exception as problem:  # noqa: BLE001
            ctx.log.warning(f"no trace: {mask(str(problem))}")
    browser.item_index = None  # the next action starts a fresh chunk, even for a retried item


def page_html(page: Any) -> str:
    """The page's HTML, then the HTML of each of its frames (a `<frameset>`'s frames, iframes, nested
    ones), each under a comment naming the frame and its URL: the page of a frame-based application
    holds little more than `<frame src=...>`."""
    parts = [page.content()]
    frames = page.frames[1:]
    for number, frame in enumerate(frames, 1):
        try:
            content = frame.content()
        except Exception as problem:  # noqa: BLE001 - a frame that went away meanwhile
            content = f"<!-- (could not be read: {_comment(str(problem).splitlines()[0])}) -->"
        parts.append(f"\n\n<!-- ===== frame {number} of {len(frames)}: {_comment(_path(frame))} "
                     f"{_comment(frame.url)} ===== -->\n{content}")
    return "".join(parts)


def _path(frame: Any) -> str:
    """`"main" > "content"`: the frame's name (or `(no name)`) after those of the frames it is in."""
    names = []
    while frame is not None and frame.parent_frame is not None:
        names.append(f'"{frame.name}"' if frame.name else "(no name)")
        frame = frame.parent_frame
    return " > ".join(reversed(names))


def _comment(text: str) -> str:
    return text.replace("--", "- -")  # (a comment ends at "-->")
