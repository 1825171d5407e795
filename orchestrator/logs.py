"""Logging with loguru: readable lines on the terminal, JSON lines in each run's folder.

Every line carries run, robot, item and step; secret values are masked before any sink sees them.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from loguru import logger

_secrets: set[str] = set()
_lock = threading.Lock()
_configured = False
MASK = "***"
MIN_SECRET_LENGTH = 3


def register_secrets(values: list[str] | set[str] | tuple[str, ...]) -> None:
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


def mask(value: Any) -> Any:
    """`value` with every known secret replaced by ***; works through strings, lists and mappings."""
    if not _secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(_secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
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
    """Set up the terminal sink once per process (RETAKE_LOG_LEVEL or `level`, INFO by default)."""
    global _configured
    with _lock:
        logger.remove()
        logger.configure(patcher=_patch)
        logger.add(sys.stderr, level=(level or os.environ.get("RETAKE_LOG_LEVEL", "INFO")).upper(),
                   format=TERMINAL_FORMAT, colorize=None, backtrace=False, diagnose=False)
        _configured = True


def run_sink(run_id: str, path: Path) -> int:
    """Add a JSON-lines sink that keeps only this run's lines; returns its id for `remove_sink`."""
    if not _configured:
        configure()
    path.parent.mkdir(parents=True, exist_ok=True)
    return logger.add(str(path), serialize=True, level="DEBUG", enqueue=False, backtrace=False, diagnose=False,
                      filter=lambda record: record["extra"].get("run_id") == run_id)


def remove_sink(sink_id: int) -> None:
    try:
        logger.remove(sink_id)
    except ValueError:
        pass
