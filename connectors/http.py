"""HTTP APIs: `http.request`, `http.get`, `http.post` (httpx).

One client per run (and worker thread) per `base_url` keeps connections and cookies between steps and
items: a login call's cookie is sent by the next calls. Connection errors, timeouts, 5xx, 408 and 429
are application errors (retried, but a POST or PATCH that may have been done only with an Idempotency-Key:
http_retries.py); other statuses outside `expect` are business errors. Error messages name the method,
the URL without its query (which may carry keys) and the status; credentials sent or handed out are
registered as secrets (http_credentials.py), so never logged. `pages:` follows pagination (http_pages.py).
docs/actions/http.md is the manual.
"""

from __future__ import annotations

import hashlib
import mimetypes
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from connectors.http_credentials import register_answer, register_sent, sends_credential, shown_body
from connectors.http_pages import Pages, follow
from connectors.http_retries import (
    has_idempotency_key,
    idempotency_key,
    longest_wait,
    refused,
    unknown_outcome,
)
from orchestrator.actions import action
from orchestrator.durations import parse_duration
from orchestrator.errors import ApplicationError, BusinessError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
READ_ONLY = ("GET", "HEAD", "OPTIONS")


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
    idempotency_key: bool = Field(False, description="Send `Idempotency-Key: <run>-<item key>-<step>` (same "
                                                     "for every try): a POST that may have been done is retried.")
    pages: Pages | None = Field(None, description="GET every page: {items: json.items, next: json.next}.")
    _login: bool = PrivateAttr(False)  # the body sent a secret or credential (see `changes_outside`)
    _refused: bool = PrivateAttr(False)  # the accepted answer was a 4xx: the server changed nothing

    @field_validator("expect")
    @classmethod
    def _statuses(cls, value: list[int] | int | None) -> list[int] | int | None:
        wrong = [s for s in ([value] if isinstance(value, int) else value or []) if not 100 <= s <= 599]
        if wrong:
            raise ValueError(f"{', '.join(map(str, wrong))} is not an HTTP status: statuses are 100 to 599")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> CallArgs:
        bodies = [n for n, v in (("json", self.json_), ("data", self.data), ("form", self.form)) if v is not None]
        if len(bodies) > 1:
            raise ValueError(f"give one body: {' and '.join(bodies)} were given")
        if self.files and (self.json_ is not None or self.data is not None):
            raise ValueError("files are sent as a multipart form: add fields with `form:`, not json or data")
        if self.idempotency_key and has_idempotency_key(self.headers or {}):
            raise ValueError("idempotency_key: true and an Idempotency-Key header: give one")
        if self.pages is not None and self.save:
            raise ValueError("pages are collected into `items`: `save:` cannot be used with `pages:`")
        return self


class RequestArgs(CallArgs):
    method: str = Field("GET", description=f"One of {', '.join(METHODS)}.")


def changes_outside(method: str, args: CallArgs) -> bool:
    """Is this call an `effect`, checkpointed so that an item that starts again does not repeat it? Not a
    read; not a login (its body sent a secret: a restarted item must log in again, a recorded token would be
    reused expired, or as the *** the ledger keeps of it); not a call whose accepted answer was a 4xx
    (`expect: [201, 401]`): the server did nothing, and the item that starts again must call again."""
    return method.upper() not in READ_ONLY and not args._login and not args._refused


@action("http.request", args=RequestArgs, scalar="url", effect=lambda args: changes_outside(args.method, args))
def http_request(ctx, args: RequestArgs) -> dict[str, Any]:
    """Call an HTTP API: `http.request: {method: PUT, url: "https://api.example.com/orders/{{ item.id }}", json: ...}`.

    Output: {status, headers, json or text; path when saved; items and pages with `pages:`}. *effect* (not a
    login): not repeated for a redelivered item."""
    return call(ctx, args.method, args)


@action("http.get", args=CallArgs, scalar="url")
def http_get(ctx, args: CallArgs) -> dict[str, Any]:
    """GET: `http.get: {url: "https://api.example.com/rates", params: {currency: KRW}}`."""
    return call(ctx, "GET", args)


@action("http.post", args=CallArgs, scalar="url", effect=lambda args: changes_outside("POST", args))
def http_post(ctx, args: CallArgs) -> dict[str, Any]:
    """POST: `http.post: {url: "https://api.example.com/orders", json: "{{ item }}"}` (*effect*, but a login is not)."""
    return call(ctx, "POST", args)


def call(ctx, method: str, args: CallArgs) -> dict[str, Any]:
    """Send the request (each page's, with `pages:`) and turn the answer into an output or an error."""
    method = method.upper()
    if method not in METHODS:
        raise BusinessError(f"http: unknown method {method!r}; use one of {', '.join(METHODS)}")
    try:
        seconds = parse_duration(args.timeout)
    except ValueError as exc:
        raise BusinessError(f"http: timeout: {exc}") from None
    if args.pages is None:
        return send(ctx, method, args, args.url, args.params, seconds)[0]
    if method != "GET":
        raise BusinessError(f"http: pages: only a GET reads pages, not a {method}")
    return follow(args.pages, args.url, args.params, lambda url, params: send(ctx, method, args, url, params, seconds))


def send(ctx, method: str, args: CallArgs, url: str, params: Any, seconds: float) -> tuple[dict[str, Any], str]:
    """One request through the run's client: (its output, the URL that answered)."""
    import httpx

    client = _client(ctx, args.base_url, args.verify)
    headers = _headers(ctx, method, args)
    register_sent(args.auth, headers)
    secrets = ctx.session.secrets.values()
    args._login = any(sends_credential(body, secrets) for body in (args.json_, args.data, args.form))
    with ExitStack() as files:
        try:
            request = client.build_request(method, url, params=params, headers=headers,
                                           json=args.json_, content=args.data, data=args.form,
                                           files=_uploads(ctx, args.files, files), timeout=seconds)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, TypeError, ValueError) as exc:
            raise BusinessError(f"http: {method} {_shown(url)}: not a usable request: {exc}") from None
        where = f"{method} {_shown(request.url)}"
        auth = (args.auth.username, args.auth.password) if args.auth and args.auth.username is not None else None
        clock = time.perf_counter()
        try:
            response = client.send(request, auth=auth, follow_redirects=args.follow_redirects, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError) as exc:
            # the request never left: sending it again is safe, whatever it does
            raise ApplicationError(f"{where}: the connection failed ({type(exc).__name__}: {exc})") from None
        except httpx.TimeoutException:
            raise unknown_outcome(request, f"{where}: no answer within {seconds:g}s") from None
        except httpx.UnsupportedProtocol as exc:
            raise BusinessError(f"{where}: {exc}") from None
        except httpx.TransportError as exc:
            raise unknown_outcome(request, f"{where}: the connection failed ({type(exc).__name__}: {exc})") from None
    try:
        return _answer(ctx, response, args, where, seconds, clock), str(response.url)
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
            raise refused(response, where, accepted, longest_wait(ctx), shown_body(response))
        args._refused = 400 <= status < 500
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
                register_answer(out["json"])  # before any log line, message or ledger row can show them
        else:
            out["text"] = response.text
    except httpx.TimeoutException:
        raise unknown_outcome(response.request, f"{where}: the answer did not arrive within {seconds:g}s") from None
    except httpx.TransportError as exc:
        raise unknown_outcome(response.request, f"{where}: the connection broke while reading ({exc})") from None
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


def _headers(ctx, method: str, args: CallArgs) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in (args.headers or {}).items()}
    if args.auth and args.auth.bearer is not None:
        headers["Authorization"] = f"Bearer {args.auth.bearer}"
    if args.idempotency_key and method not in READ_ONLY:
        headers["Idempotency-Key"] = idempotency_key(ctx)
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
