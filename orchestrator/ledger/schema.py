"""Putting the schema in place. Each feature that keeps tables lists its module here."""

from __future__ import annotations

import importlib

from sqlalchemy import Engine

from orchestrator.ledger.tables import metadata

TABLE_MODULES = [
    "orchestrator.ledger.tables",
    "orchestrator.scheduling.tables",
    "orchestrator.web.tables",
]


def ensure_schema(engine: Engine) -> None:
    for module in TABLE_MODULES:
        importlib.import_module(module)
    metadata.create_all(engine, checkfirst=True)
