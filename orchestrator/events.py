"""What happens when a run ends, whoever ends it (the worker finishing its last item, a cancel, a time limit).

`run_finished(loaded, run)` is called once per run, by the process that closed it in the ledger, after
the ledger says so. Features plug in without touching the queue:

- a module listed in HOOK_MODULES that defines `run_finished(loaded, run)` (imported on first use;
  a module that is not installed is skipped), e.g. `orchestrator.alerts` for the alerts of issue 6;
- or `subscribe(callback)` at import time of one's own module.

A listener that raises is logged and never fails the run or the other listeners.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loguru import logger

if TYPE_CHECKING:
    from orchestrator.loader import LoadedProject

Listener = Callable[["LoadedProject", dict[str, Any]], None]

HOOK_MODULES = ("orchestrator.alerts",)

_listeners: list[Listener] = []
_loaded_hooks = False


def subscribe(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _hooks() -> list[Listener]:
    global _loaded_hooks
    if not _loaded_hooks:
        _loaded_hooks = True
        for name in HOOK_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            hook = getattr(module, "run_finished", None)
            if callable(hook):
                subscribe(hook)
    return list(_listeners)


def run_finished(loaded: LoadedProject, run: dict[str, Any]) -> None:
    """Tell every listener that `run` (its ledger row, already closed) has ended."""
    for listener in _hooks():
        try:
            listener(loaded, run)
        except Exception as exc:  # noqa: BLE001 - a broken alert must not break the fleet
            logger.bind(run_id=run.get("id", "-")).error(
                f"run_finished listener {getattr(listener, '__qualname__', listener)!r} failed: {exc}")
