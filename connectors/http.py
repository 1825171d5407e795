"""HTTP APIs: `http.request`, `http.get`, `http.post` (httpx).

One client per run (and worker thread) per `base_url` keeps connections and cookies between steps and
items: a login call's cookie is sent by the next calls. Connection errors, timeouts, 5xx, 408 and 429
are application errors (retried); other statuses outside `expect` are business errors. Error messages
name the method, the URL without its query (which may carry keys) and the status; credentials and
headers are never logged. docs/actions/http.md is the manual.
"""

from __future__ import annotations

import hashlib
import mimetypes
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.actions import action
from orchestrator.durations import parse_duration
from orchestrator.errors import ApplicationError, BusinessError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RETRIED_STATUSES = (408, 429)
EXCERPT = 200


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Auth(Strict):
    username: str | None = None
    password: str = ""
    bearer: str | None = Field(None, description="A token sent as `Authorization: Bearer TOKEN`.")

    @model_validator(mode="after")
    def _one_kind(self) -> Auth:
        if (self.username is None) == (self.bearer is None):
            raise ValueError("give `username:` and `password:` (basic auth) or `bearer:` (a token), not both")
        return self


class CallArgs(Strict):
    url: str = Field(description="The address; relative to `base_url` when that is given.")
    base_url: str | None = Field(None, description="Shared start of the URLs; one client (cookies) per base_url.")
    params: dict[str, Any] | None = Field(None, description="Query parameters, encoded for you.")
    headers: dict[str, Any] | None = Field(None, description="Extra headers: {Accept: application/json}.")
    json_: Any = Field(None, alias="json", description="A body sent as JSON.")
    data: str | None = Field(None, description="A raw text body (set Content-Type in headers).")
    form: dict[str, Any] | None = Field(None, description="Form fields (multipart when `files` are given).")
    files: dict[str, str | list[str]] | list[str] | str | None = Field(
        None, description="Project paths to upload: {field: path or [paths]}, or paths sent as field `file`.")
    auth: Auth | None = None
    timeout: Any = Field("30s", description="A duration: 10s, 2m.")
    expect: list[int] | int | None = Field(None, description="Accepted statuses (default: any 2xx).")
    save: str | None = Field(None, description="Project path to save the body to (e.g. a downloaded PDF).")
    follow_redirects: bool = True
    verify: bool = Field(True, description="Check the server's TLS certificate (false: self-signed intranet).")

    @model_validator(mode="after")
    def _one_body(self) -> CallArgs:
        bodies = [n for n, v in (("json", self.json_), ("data", self.data), ("form", self.form)) if v is not None]
        if len(bodies) > 1:
            raise ValueError(f"give one body: {' and '.join(bodies)} were given")
        if self.files and (self.json_ is not None or self.data is not None):
            raise ValueError("files are sent as a multipart form: add fields with `form:`, not json or data")
        return self


class RequestArgs(CallArgs):
    method: str = Field("GET", description=f"One of {', '.join(METHODS)}.")


@action("http.request", args=RequestArgs, scalar="url",
        effect=lambda args: args.method.upper() not in ("GET", "HEAD", "OPTIONS"))
def http_request(ctx, args: RequestArgs) -> dict[str, Any]:
    """Call an HTTP API: `http.request: {method: PUT, url: "https://api.example.com/orders/{{ item.id }}", json: ...}`.

    Output: {status, headers, json or text, path when saved}. *effect*: not repeated for a redelivered item."""
    return call(ctx, args.method, args)


@action("http.get", args=CallArgs, scalar="url")
def http_get(ctx, args: CallArgs) -> dict[str, Any]:
    """GET: `http.get: {url: "https://api.example.com/rates", params: {currency: KRW}}`."""
    return call(ctx, "GET", args)


@action("http.post", args=CallArgs, scalar="url", effect=True)
def http_post(ctx, args: CallArgs) -> dict[str, Any]:
    """POST: `http.post: {url: "https://api.example.com/orders", json: "{{ item }}"}` (*effect*)."""
    return call(ctx, "POST", args)


def call(ctx, method: str, args: CallArgs) -> dict[str, Any]:
    """Send one request through the run's client and turn the answer into an output or an error."""
    import httpx

    method = method.upper()
    if method not in METHODS:
        raise BusinessError(f"http: unknown method {method!r}; use one of {', '.join(METHODS)}")
    try:
        seconds = parse_duration(args.timeout)
    except ValueError as exc:
        raise BusinessError(f"http: timeout: {exc}") from None
    client = _client(ctx, args.base_url, args.verify)
    with ExitStack() as files:
        try:
            request = client.build_request(method, args.url, params=args.params, headers=_headers(args),
                                           json=args.json_, content=args.data, data=args.form,
                                           files=_uploads(ctx, args.files, files), timeout=seconds)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, TypeError, ValueError) as exc:
            raise BusinessError(f"http: {method} {_shown(args.url)}: not a usable request: {exc}") from None
        where = f"{method} {_shown(request.url)}"
        auth = (args.auth.username, args.auth.password) if args.auth and args.auth.username is not None else None
        clock = time.perf_counter()
        try:
            response = client.send(request, auth=auth, follow_redirects=args.follow_redirects, stream=True)
        except httpx.TimeoutException:
            raise ApplicationError(f"{where}: no answer within {seconds:g}s") from None
        except httpx.UnsupportedProtocol as exc:
            raise BusinessError(f"{where}: {exc}") from None
        except httpx.TransportError as exc:
            raise ApplicationError(f"{where}: the connection failed ({type(exc).__name__}: {exc})") from None
    try:
        return _answer(ctx, response, args, where, seconds, clock)
    finally:
        response.close()


def _answer(ctx, response: Any, args: CallArgs, where: str, seconds: float, clock: float) -> dict[str, Any]:
    import httpx

    status = response.status_code
    accepted = [args.expect] if isinstance(args.expect, int) else args.expect
    ok = status in accepted if accepted is not None else 200 <= status < 300
    try:
        if not ok or not args.save:
            response.read()
        if not ok:
            excerpt = " ".join(response.text.split())[:EXCERPT]
            detail = f"{where} answered {status} {response.reason_phrase}" + (f": {excerpt}" if excerpt else "")
            if status >= 500 or status in RETRIED_STATUSES:
                raise ApplicationError(detail)
            wanted = ", ".join(map(str, accepted)) if accepted is not None else "2xx"
            raise BusinessError(f"{detail} (expected {wanted})")
        out: dict[str, Any] = {"status": status, "headers": _kept_headers(response.headers)}
        if args.save:
            target = ctx.resolve(args.save)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
            out["path"] = ctx.session.relative(target)
        elif "json" in response.headers.get("content-type", "") and response.content:
            try:
                out["json"] = response.json()
            except ValueError:
                out["text"] = response.text
        else:
            out["text"] = response.text
    except httpx.TimeoutException:
        raise ApplicationError(f"{where}: the answer did not arrive within {seconds:g}s") from None
    except httpx.TransportError as exc:
        raise ApplicationError(f"{where}: the connection broke while reading ({exc})") from None
    if ctx.log is not None:
        ctx.log.debug(f"{where} -> {status} in {time.perf_counter() - clock:.3f}s")
    return out


def _client(ctx, base_url: str | None, verify: bool) -> Any:
    key = hashlib.sha1(f"{base_url or ''}|{verify}".encode()).hexdigest()[:12]
    return ctx.session.resource(f"http:{key}", lambda: _open_client(base_url, verify))


@contextmanager
def _open_client(base_url: str | None, verify: bool) -> Iterator[Any]:
    import httpx

    with httpx.Client(base_url=base_url or "", verify=verify, headers={"User-Agent": "retake-rpa"}) as client:
        yield client


def _headers(args: CallArgs) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in (args.headers or {}).items()}
    if args.auth and args.auth.bearer is not None:
        headers["Authorization"] = f"Bearer {args.auth.bearer}"
    return headers


def _uploads(ctx, files: Any, stack: ExitStack) -> list[tuple[str, tuple[str, Any, str]]] | None:
    if not files:
        return None
    if isinstance(files, (str, list)):
        files = {"file": files}
    parts = []
    for field, paths in files.items():
        for path in [paths] if isinstance(paths, str) else paths:
            target = ctx.resolve(path)
            if not target.is_file():
                raise BusinessError(f"http: {path}: no such file to upload", file=path)
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            parts.append((field, (target.name, stack.enter_context(target.open("rb")), kind)))
    return parts


def _kept_headers(headers: Any) -> dict[str, str]:
    """Response headers for the output; cookies stay in the client, out of the ledger."""
    return {k: v for k, v in headers.items() if k.lower() != "set-cookie"}


def _shown(url: Any) -> str:
    """A URL fit for messages: no user, password, query or fragment (they may hold keys)."""
    import httpx

    try:
        return str(httpx.URL(str(url)).copy_with(query=None, fragment=None, userinfo=b""))
    except (httpx.InvalidURL, TypeError, ValueError):
        return str(url).split("?", 1)[0]
