"""`pages:` on `http.get`: follow an API's pagination and collect every page's list into one.

An API hands a long list out a page at a time and says where the next page is in one of three ways: a link
in the answer (`"next": "/orders?page=2"`, or a cursor to send back), a `Link: <...>; rel="next"` header, or
nothing (ask for page 1, 2, 3... until one comes back empty). `max_pages` is a safety cap that fails the
step when more pages are left: a list silently cut at the cap would pass for the whole list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.errors import BusinessError

PATH = re.compile(r"^(json|headers)((\.[A-Za-z_][\w-]*|\[\d+\])*)$")
LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")


class Pages(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: str = Field("json", description="Where each page's list is: json.items, json.data, json (a list).")
    next: str | None = Field(None, description="Where the next page is: a path in the answer (json.next: a full "
                                               "or relative URL; with `param`: a cursor) or `link` (Link header).")
    param: str | None = Field(None, description="The query parameter of the page number (from `start`, until a "
                                                "page is empty), or with `next`, of the cursor.")
    start: int = Field(1, description="The first page number (with `param` and no `next`).")
    max_pages: int = Field(100, ge=1, description="The most pages read; more left fails the step.")

    @model_validator(mode="after")
    def _readable(self) -> Pages:
        if self.next is None and self.param is None:
            raise ValueError("say where the next page is: `next: json.next` (a link in the answer), `next: link` "
                             "(the Link header), or `param: page` (page numbers until an empty page)")
        if not PATH.match(self.items) or not self.items.startswith("json"):
            raise ValueError(f"items: {self.items!r} is not a path in the answer; write e.g. json.items or json")
        if self.next is not None and self.next != "link" and not PATH.match(self.next):
            raise ValueError(f"next: {self.next!r} is not a path in the answer (json.next, json.links.next, "
                             "headers.x-next-page) nor `link`")
        return self


Fetch = Callable[[str, dict[str, Any] | None], tuple[dict[str, Any], str]]


def follow(pages: Pages, url: str, params: dict[str, Any] | None, fetch: Fetch) -> dict[str, Any]:
    """Read the pages one after the other with `fetch(url, params) -> (output, the page's URL)`; the output
    is the last page's status and headers, `items` (every page's list, in order) and `pages` (how many)."""
    import httpx

    numbered = pages.next is None
    params = dict(params or {})
    if numbered:
        params[pages.param] = pages.start
    collected: list[Any] = []
    read = 0
    while True:
        out, here = fetch(url, params)
        found = _items(out, pages.items, read + 1)
        if numbered and not found:
            break  # the empty page after the last one
        if read == pages.max_pages:  # a page past the cap that holds items
            raise _too_many(pages, here)
        collected += found
        read += 1
        if numbered:
            params = {**params, pages.param: pages.start + read}
            continue
        following = _next(out, pages, here)
        if following is None:
            break
        if read == pages.max_pages:
            raise _too_many(pages, here)
        if pages.param:  # a cursor: the same address with the cursor as a parameter
            params = {**params, pages.param: following}
            continue
        target = httpx.URL(here).join(following)
        if (target.scheme, target.host, target.port) != (httpx.URL(here).scheme, httpx.URL(here).host,
                                                         httpx.URL(here).port):
            raise BusinessError(f"pages: the next page is on another server ({target.scheme}://{target.host}): "
                                "not followed, it would be sent this step's credentials")
        if target == httpx.URL(here):
            raise BusinessError(f"pages: page {read} links to itself as the next page: the API's {pages.next} "
                                "is not a next-page link")
        url, params = str(target), None  # the link carries its own query
    return {"status": out["status"], "headers": out["headers"], "items": collected, "pages": read}


def _items(out: dict[str, Any], path: str, number: int) -> list[Any]:
    found = at(out, path)
    if isinstance(found, list):
        return found
    what = "not there" if found is None else f"a {type(found).__name__}, not a list"
    raise BusinessError(f"pages: {path} in the answer of page {number} is {what}: say where each page's list is "
                        f"with `items:` (e.g. json.items, json.data, or json when the answer is a list)")


def _next(out: dict[str, Any], pages: Pages, here: str) -> str | None:
    """Where the next page is (a URL, or a cursor with `param`); None on the last page."""
    if pages.next == "link":
        return next_link(out["headers"].get("link", ""))
    found = at(out, pages.next)
    if found in (None, "", False):
        return None
    if not isinstance(found, (str, int)):
        raise BusinessError(f"pages: {pages.next} in the answer of {here.split('?')[0]} is a "
                            f"{type(found).__name__}, not a link or a cursor")
    return str(found)


def next_link(header: str) -> str | None:
    """The rel="next" target of a Link header (RFC 8288): `<https://api/x?page=2>; rel="next", <...>; rel="last"`."""
    for target, attributes in LINK.findall(header or ""):
        for attribute in attributes.split(";"):
            name, _, value = attribute.partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return target.strip()
    return None


def at(out: dict[str, Any], path: str) -> Any:
    """The value at `path` (json.data.items, json.pages[0], headers.x-next) in a call's output, or None."""
    value: Any = out
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if name:
            name = name.lower() if value is out.get("headers") else name  # header names are lower case
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        if value is None:
            return None
    return value


def _too_many(pages: Pages, here: str) -> BusinessError:
    return BusinessError(f"pages: more than max_pages ({pages.max_pages}) pages at {here.split('?')[0]}: the "
                         f"list was not read to its end; raise `max_pages` if the list is really this long")
