"""Credentials an HTTP step sends or receives, kept out of logs, messages and the ledger.

A bearer token read from a login answer is not one of the robot's `secrets:`, so nothing masked it: it
reached the log, `runs show`, the report and the ledger as soon as an API echoed it (`401 token tok_...
expired`). Each value is therefore registered as a secret (`orchestrator.logs.register_secrets`) the moment
the step has it: what it sends as credentials before sending, what an answer hands out as soon as it is
read. The robot keeps using the real value in memory; every text written from then on shows `***`.

A call that sends one of the robot's secrets or such a credential as a value of its body is a login: it is
not an `effect` (its answer is not checkpointed), so an item that starts again logs in again instead of
reusing a recorded token that has expired meanwhile, or that the ledger only holds as `***`.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

from orchestrator.logs import MIN_SECRET_LENGTH, register_secrets, secret_variants

# A header or JSON field whose name, in lower case without separators, ends with one of these holds a
# credential: access_token, X-Auth-Token, api_key, X-API-Key, client_secret, password, session_id...
# (`token_type`, `expires_in`, `Idempotency-Key` and a bare `session` do not.)
CREDENTIAL_ENDINGS = ("token", "apikey", "secret", "password", "passwd", "passphrase", "sessionid", "sessid",
                      "authorization", "cookie", "accesskey", "secretkey", "privatekey", "credentials")
_registered: set[str] = set()  # what this module made secrets: sent as credentials or handed out by answers


def _register(values: list[str]) -> None:
    kept = [v for v in values if v and len(v) >= MIN_SECRET_LENGTH]
    _registered.update(kept)
    register_secrets(kept)


def names_credential(name: Any) -> bool:
    """Does a header or field called `name` carry a credential (access_token, X-API-Key, Proxy-Authorization)?"""
    plain = re.sub(r"[^a-z0-9]", "", str(name).lower())
    return plain.endswith(CREDENTIAL_ENDINGS)


def register_sent(auth: Any, headers: dict[str, str]) -> None:
    """Register what a request sends as credentials, before it is sent: an error raised while sending (or a
    server that echoes the token in its 401) is then already masked."""
    values: list[str] = []
    if auth is not None and auth.bearer is not None:
        values.append(auth.bearer)
    if auth is not None and auth.username is not None:
        values += [auth.password, f"{auth.username}:{auth.password}"]  # the second's base64 is the header
    for name, value in headers.items():
        if names_credential(name):
            values += _header_parts(name, value)
    _register(values)


def _header_parts(name: str, value: str) -> list[str]:
    """What to mask of a credential header's value: the credential after its scheme (`Bearer ***` stays
    readable), the password inside `Basic base64(user:password)`, each cookie's value; else the value."""
    if name.lower() == "cookie":
        return [value] + [pair.split("=", 1)[1].strip() for pair in value.split(";") if "=" in pair]
    scheme, _, rest = value.strip().partition(" ")
    if not rest.strip():
        return [value]
    parts = [rest.strip()]
    if scheme.lower() == "basic":
        try:
            parts += base64.b64decode(parts[0], validate=True).decode("utf-8").split(":", 1)[1:]
        except (binascii.Error, UnicodeDecodeError):
            pass
    return parts


def answer_credentials(data: Any, *, within: bool = False) -> list[str]:
    """The text values of an answer's credential fields (`token`, `access_token`, `api_key`...), at any
    depth; everything under such a field when it is a mapping or a list."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found += answer_credentials(value, within=within or names_credential(key))
    elif isinstance(data, list):
        for value in data:
            found += answer_credentials(value, within=within)
    elif within and isinstance(data, str) and data:
        found.append(data)
    return found


def register_answer(data: Any) -> None:
    """Register the credentials an accepted answer hands out (a login's token), before a log line can show them."""
    _register(answer_credentials(data))


def redacted(text: str, data: Any) -> str:
    """`text` (a refused answer's body, for a message) with its credential fields' values shown as ***.

    Only this message is cleaned: a refused answer's fields are not registered as secrets, since a 422's
    `{"password": "required"}` would otherwise hide the word "required" everywhere from then on."""
    values = [v for v in answer_credentials(data) if len(v) >= MIN_SECRET_LENGTH]
    forms = sorted({f for value in values for f in secret_variants(value)}, key=len, reverse=True)
    for form in forms:
        text = text.replace(form, "***")
    return text


def shown_body(response: Any) -> str:
    """A refused answer's body for its message, its credential fields' values (a token, a password echoed
    back) shown as ***."""
    text = response.text
    if "json" in response.headers.get("content-type", ""):
        try:
            return redacted(text, response.json())
        except ValueError:
            pass
    return text


def sends_credential(body: Any, secrets: Iterable[str]) -> bool:
    """Is one of the robot's `secrets`, or a credential registered here, a value of this request body (json,
    form) or in it (raw `data`: `user=robot&password=...`)? That is a login. Whole values only, not parts of
    them: a POST that creates an order is not taken for a login for holding a short secret inside a word."""
    if body is None:
        return False
    known = _registered | {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
    if isinstance(body, str):
        return any(form in body for value in known
                   for form in (value, urllib.parse.quote_plus(value), urllib.parse.quote(value, safe="")))
    return any(isinstance(leaf, str) and leaf in known for leaf in _leaves(body))


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
