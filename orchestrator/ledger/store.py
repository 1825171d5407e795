"""Ledger writes and reads. Every write is one transaction, so a crash loses no recorded item.

The methods live in three stores by subject: runs (store_runs), items and their evidence (store_items),
the fleet's workers and slots (store_fleet).
"""

from __future__ import annotations

from sqlalchemy import Engine

from orchestrator.ledger.rows import final_status, new_run_id, utcnow
from orchestrator.ledger.store_fleet import FleetStore
from orchestrator.ledger.store_items import ItemStore
from orchestrator.ledger.store_runs import RunStore

__all__ = ["Ledger", "final_status", "new_run_id", "utcnow"]


class Ledger(RunStore, ItemStore, FleetStore):
    def __init__(self, engine: Engine):
        self.engine = engine
        self._slot_rows = set()
