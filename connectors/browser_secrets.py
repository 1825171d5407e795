"""Keeping secret values out of what the browser leaves behind (traces, page HTML).

A Playwright trace records the arguments of every call (the value given to `fill`), DOM snapshots
with input values, and network requests with their bodies (a login form's password, URL-encoded).
Before a trace is kept, every text entry in it has each secret replaced, in the spellings those files
use (raw, JSON-escaped, URL-encoded, HTML-escaped).
"""

from __future__ import annotations

import html
import json
import os
import urllib.parse
import zipfile
from collections.abc import Iterable
from pathlib import Path

MASK = "***"
TEXT_SUFFIXES = (".trace", ".network", ".json", ".html", ".txt", ".stacks", ".css", ".js", ".xml")


def variants(secret: str) -> list[str]:
    """The spellings of `secret` that can appear in text files, longest first."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret), html.escape(secret),
             html.escape(secret, quote=False)}
    return sorted((f for f in forms if f), key=len, reverse=True)


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if not secret:
            continue
        for form in variants(secret):
            if form in text:
                text = text.replace(form, MASK)
    return text


def scrub_zip(path: Path, secrets: Iterable[str]) -> bool:
    """Rewrite the zip at `path` with secrets replaced in its text entries; True when anything changed."""
    secrets = [s for s in secrets if s]
    if not secrets or not path.is_file():
        return False
    forms = [f.encode("utf-8") for s in secrets for f in variants(s)]
    changed = False
    temp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if any(form in data for form in forms):
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None:
                    data = scrub_text(text, secrets).encode("utf-8")
                else:  # binary resource (an image, a compressed body): drop it rather than keep a secret
                    data = b""
                changed = True
            dst.writestr(info, data)
    if changed:
        os.replace(temp, path)
    else:
        temp.unlink()
    return changed
