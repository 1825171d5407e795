"""Logging with loguru: readable lines on the terminal, JSON lines in each run's folder.

Every line carries run, robot, item and step; secret values are masked before any sink sees them.
"""

from __future__ import annotations

import base64
import html
import json
import os
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any, TextIO

from loguru import logger

_secrets: set[str] = set()
_forms: list[str] = []  # every spelling of every secret, longest first
_lock = threading.Lock()
_configured = False
MASK = "***"
MIN_SECRET_LENGTH = 3


def secret_variants(secret: str) -> list[str]:
    """The spellings of `secret` that can appear in text, longest first: raw, JSON-escaped, URL-encoded (as
    `quote`, `quote_plus`, a path, JavaScript's encodeURIComponent), HTML-escaped, and base64 (as in an HTTP
    Basic `Authorization` header). The one list that logs, the ledger, page HTML and traces are cleaned of."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret), urllib.parse.quote(secret, safe="!'()*~"),
             urllib.parse.quote_plus(secret), html.escape(secret), html.escape(secret, quote=False),
             base64.b64encode(secret.encode("utf-8")).decode("ascii")}
    return sorted((f for f in forms if f), key=len, reverse=True)


def register_secrets(values: list[str] | set[str] | tuple[str, ...]) -> None:
    global _forms
    with _lock:
        new = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH} - _secrets
        if new:
            _secrets.update(new)
            # (only the new ones' spellings: a robot logging in per item registers a token per item)
            _forms = sorted({*_forms, *(f for s in new for f in secret_variants(s))}, key=len, reverse=True)


def mask(value: Any) -> Any:
    """`value` with every known secret, in each of its spellings, replaced by ***; works through strings,
    lists and mappings."""
    if not _forms:
        return value
    if isinstance(value, str):
        for form in _forms:
            if form in value:
                value = value.replace(form, MASK)
        return value
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    return value


def _patch(record: dict[str, Any]) -> None:
    record["message"] = mask(record["message"])
    extra = record["extra"]
    for key in ("run_id", "robot", "item", "step"):
        extra.setdefault(key, "-")
    if record["exception"] is not None and _secrets:
        record["extra"]["error"] = mask(str(record["exception"].value))


TERMINAL_FORMAT = ("<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> "
                   "<cyan>{extra[robot]}</cyan>/<cyan>{extra[item]}</cyan> <dim>{extra[step]}</dim> {message}")


def configure(level: str | None = None) -> None:
    """Set up the terminal sink once per process (RETAKE_LOG_LEVEL or `level`, INFO by default), and the
    sink that writes each open run's lines to its own file."""
    global _configured
    with _lock:
        logger.remove()
        logger.configure(patcher=_patch)
        terminal = (level or os.environ.get("RETAKE_LOG_LEVEL", "INFO")).upper()
        logger.add(sys.stderr, level=terminal, format=TERMINAL_FORMAT, colorize=None, backtrace=False,
                   diagnose=False)
        # Runs' files keep INFO and up, and DEBUG when asked for (a debug line for every skipped step
        # costs more than the step). One sink serves every run: adding a loguru sink costs ~8 ms.
        debug = "DEBUG" in (terminal, os.environ.get("RETAKE_LOG_LEVEL", "").upper())
        logger.add(_write_run_line, format="{message}", level="DEBUG" if debug else "INFO", backtrace=False,
                   diagnose=False, filter=lambda record: record["extra"].get("run_id") in _run_files)
        _configured = True


_run_files: dict[str, TextIO] = {}


def _write_run_line(message: Any) -> None:
    """One JSON line in the run's log.jsonl: loguru's serialized shape, with the fields readers use (a
    quarter of the cost of loguru's `serialize`, paid on every item)."""
    record = message.record
    handle = _run_files.get(record["extra"].get("run_id"))
    if handle is None:
        return
    when, level, error = record["time"], record["level"], record["exception"]
    line = {"text": f"{when:%Y-%m-%d %H:%M:%S.%f} | {level.name} | {record['message']}", "record": {
        "time": {"repr": when.isoformat(), "timestamp": when.timestamp()},
        "level": {"name": level.name, "no": level.no}, "message": record["message"], "extra": record["extra"],
        "exception": None if error is None else {"type": getattr(error.type, "__name__", None),
                                                 "value": mask(str(error.value))},
        "name": record["name"], "function": record["function"], "line": record["line"]}}
    try:
        handle.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    except ValueError:  # closed meanwhile: the run has ended
        pass


def open_run_log(run_id: str, path: Path) -> None:
    """Write this run's lines, as JSON lines, to `path` (appended) until `close_run_log`."""
    if not _configured:
        configure()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed by close_run_log
    with _lock:
        previous = _run_files.pop(run_id, None)
        _run_files[run_id] = handle
    if previous is not None:
        previous.close()


def close_run_log(run_id: str) -> None:
    with _lock:
        handle = _run_files.pop(run_id, None)
    if handle is not None:
        handle.close()
