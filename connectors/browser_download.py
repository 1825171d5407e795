"""`browser.download`: click what starts a download and keep the file.

A server that sends a PDF to be shown in the browser (`Content-Type: application/pdf` without
`Content-Disposition: attachment`, the usual "View invoice" link) starts no download: Chromium opens it
in its viewer, in the page or in a new window. Such a PDF is kept all the same (asked for again with the
run's cookies when Chromium hands its viewer instead of the bytes), so that the download -> `pdf.extract`
flow works whatever the server says.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from connectors import browser_locators
from connectors.browser import Located, target
from connectors.browser_guard import guard
from connectors.browser_read import _output
from connectors.browser_session import open_browser
from orchestrator.actions import action
from orchestrator.errors import ApplicationError

LATE_DOWNLOAD_S = 0.5  # after a PDF answer, how long a download of the same click may still come


class DownloadArgs(Located):
    path: str | None = None


@action("browser.download", args=DownloadArgs, scalar="locator")
def download(ctx: Any, args: DownloadArgs) -> str:
    """Click what starts a download and keep the file (in the run's artifacts, or at `path`); returns its path.

    `browser.download: {locator: {role: link, name: Export CSV}}`"""
    browser = open_browser(ctx)
    what = f"browser.download {browser_locators.describe(args.locator)}"
    loc = target(ctx, browser, args.locator, what)
    timeout = browser.timeout_ms(ctx, navigation=True)
    got: dict[str, Any] = {}

    def on_download(item: Any) -> None:
        got.setdefault("download", item)

    def on_page(page: Any) -> None:  # a popup's download (window.open of the file)
        page.on("download", on_download)

    def on_response(response: Any) -> None:
        kind = (response.headers.get("content-type") or "").lower()
        if "application/pdf" in kind and response.request.resource_type == "document":
            got.setdefault("pdf", (response, time.monotonic()))

    context = browser.context
    pages = list(context.pages)
    with guard(ctx, browser, what, timeout_ms=timeout):
        for page in pages:
            page.on("download", on_download)
        context.on("page", on_page)
        context.on("response", on_response)
        try:
            loc.click(timeout=timeout)
            deadline = time.monotonic() + timeout / 1000
            while "download" not in got and time.monotonic() < deadline:
                if "pdf" in got and time.monotonic() - got["pdf"][1] > LATE_DOWNLOAD_S:
                    break
                browser.page.wait_for_timeout(50)
        finally:
            for page in pages:
                page.remove_listener("download", on_download)
            context.remove_listener("page", on_page)
            context.remove_listener("response", on_response)
        if "download" in got:
            item = got["download"]
            dest, artifact = _output(ctx, args.path, Path(item.suggested_filename or "download").name, "download")
            item.save_as(str(dest))
        elif "pdf" in got:
            response = got["pdf"][0]
            dest, artifact = _output(ctx, args.path, _pdf_name(response), "download")
            dest.write_bytes(_pdf_bytes(context, response))
        else:
            raise ApplicationError(f"{what}: timed out after {timeout / 1000:g}s: no download started (and no PDF "
                                   "was opened) after the click")
    if artifact:
        ctx.add_artifact(dest, "download")
    return ctx.session.relative(dest)


def _pdf_bytes(context: Any, response: Any) -> bytes:
    """The PDF's bytes: Chromium hands its viewer's page for a PDF it shows, so the file is asked for again
    with the run's cookies (the browser context's own request client) when the answer is not a PDF."""
    body = response.body()
    if body.lstrip()[:5] == b"%PDF-" or response.request.method != "GET":
        return body
    referer = response.request.headers.get("referer")
    again = context.request.get(response.url, headers={"Referer": referer} if referer else None)
    return again.body() if again.ok else body


def _pdf_name(response: Any) -> str:
    """The file name the server gives (`Content-Disposition: inline; filename=...`), else the URL's last part."""
    header = response.headers.get("content-disposition") or ""
    found = re.search(r"filename\*=(?:UTF-8'')?([^;]+)", header, re.IGNORECASE) or \
        re.search(r'filename="?([^";]+)"?', header, re.IGNORECASE)
    name = unquote(found.group(1).strip()) if found else unquote(Path(urlparse(response.url).path).name)
    name = Path(name).name or "document.pdf"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"
