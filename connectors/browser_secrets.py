"""Keeping secret values out of what the browser leaves behind (traces, page HTML).

A Playwright trace records the arguments of every call (the value given to `fill`), DOM snapshots
with input values, and network requests with their headers and bodies (a login form's password,
URL-encoded; the `Authorization` header the browser sends for `http_credentials`, base64-encoded).
Before a trace is kept, every text entry in it has each secret replaced, in the spellings those files
use (`orchestrator.logs.secret_variants`: the one list, shared with the logs and the ledger), and the
values of `Authorization` and `Proxy-Authorization` headers, whatever their scheme, are replaced
everywhere they appear (a bearer token a page script sends is no robot secret, but a credential all the
same). Cookies are left as they are: a trace without them could not be read against the application.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from orchestrator.logs import secret_variants as variants

MASK = "***"
TEXT_SUFFIXES = (".trace", ".network", ".json", ".html", ".txt", ".stacks", ".css", ".js", ".xml")
SCHEMES = ("Basic", "Bearer", "Digest", "NTLM", "Negotiate", "Token", "OAuth", "HOBA", "Mutual", "AWS4-HMAC-SHA256",
           "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "ApiKey")  # written as a header line in a text
_VALUE = r'"((?:[^"\\]|\\.)*)"'  # a JSON string's content
_NAME = r'"(?:proxy-)?authorization"'
# where a request's authorization header is written: {"name": "Authorization", "value": "Basic ..."} (the
# trace's network entries, HAR), {"authorization": "Bearer ..."} (headers as a mapping), and a raw
# "Authorization: Basic ..." line (headers as text)
AUTH_HEADERS = [re.compile(p, re.IGNORECASE) for p in (
    rf'"name"\s*:\s*{_NAME}\s*,\s*"value"\s*:\s*{_VALUE}',
    rf'"value"\s*:\s*{_VALUE}\s*,\s*"name"\s*:\s*{_NAME}',
    rf'{_NAME}\s*:\s*{_VALUE}',
    rf'(?:(?<=\\[rn])|(?<![\w-]))(?:proxy-)?authorization:[ \t]*((?:{"|".join(SCHEMES)})[ \t]+(?:[^\r\n"\\<>]|\\")+)',
)]
_SCHEME = re.compile(r"([A-Za-z][\w.-]*)([ \t]+)(\S.*)", re.DOTALL)
_MAY_HOLD_AUTH = re.compile(rb"authorization", re.IGNORECASE)
MIN_COPIED = 6  # a credential found in a header is also replaced elsewhere when at least this long


def spellings(secrets: Iterable[str]) -> list[str]:
    """Every spelling of every secret, longest first: `clerk:pw`'s base64 goes whole before the password's
    own (which it may hold, when the user name's length is a multiple of three)."""
    return sorted({form for secret in secrets if secret for form in variants(secret)}, key=len, reverse=True)


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    for form in spellings(secrets):
        if form in text:
            text = text.replace(form, MASK)
    return text


def scrub_auth_headers(text: str) -> tuple[str, set[str]]:
    """`text` with the values of Authorization headers replaced (`Basic ***`: the scheme stays), and the
    credentials found, to be replaced wherever else they appear."""
    found: set[str] = set()

    def hide(match: re.Match[str]) -> str:
        value = match.group(1)
        scheme = _SCHEME.fullmatch(value)
        if scheme is None and value.rstrip() != value:
            return match.group(0)  # a scheme alone ("Bearer " + token in a script): no credential here
        secret, kept = (scheme.group(3), scheme.group(1) + scheme.group(2)) if scheme else (value, "")
        if secret != MASK and (scheme or not any(c.isspace() for c in secret)):
            found.add(secret)
            if "\\" in secret:  # as JSON wrote it; the same credential unescaped, as other files hold it
                try:
                    found.add(json.loads(f'"{secret}"'))
                except ValueError:
                    pass
        start, end = match.span(1)
        whole = match.group(0)
        offset = match.start(0)
        return whole[:start - offset] + kept + MASK + whole[end - offset:]

    for pattern in AUTH_HEADERS:
        text = pattern.sub(hide, text)
    return text, {f for f in found if len(f.strip()) >= MIN_COPIED}


def scrub_zip(path: Path, secrets: Iterable[str]) -> bool:
    """Rewrite the zip at `path` with secrets and authorization headers replaced in its text entries;
    True when anything changed."""
    secrets = [s for s in secrets if s]
    if not path.is_file():
        return False
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    texts: dict[str, str] = {}
    for info, data in entries:  # first, the credentials sent in headers: they may be copied elsewhere too
        if _MAY_HOLD_AUTH.search(data):
            text = _text(data)
            if text is not None:
                texts[info.filename], credentials = scrub_auth_headers(text)
                secrets.extend(credentials)
    if not secrets and not texts:
        return False
    forms = [f.encode("utf-8") for f in spellings(secrets)]
    changed = False
    scrubbed = []
    for info, data in entries:
        if info.filename in texts or any(form in data for form in forms):
            text = texts.get(info.filename)
            text = _text(data) if text is None else text
            # a binary resource (an image, a compressed body) holding a secret is dropped rather than kept
            new = b"" if text is None else scrub_text(text, secrets).encode("utf-8")
            if new != data:
                changed, data = True, new
        scrubbed.append((info, data))
    if changed:
        temp = path.with_suffix(path.suffix + ".tmp")
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info, data in scrubbed:
                dst.writestr(info, data)
        os.replace(temp, path)
    return changed


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
