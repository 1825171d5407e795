"""The ledger: every run, item, attempt and artifact, in SQLite by default or PostgreSQL by URL."""

from orchestrator.ledger.db import database_url, engine_for
from orchestrator.ledger.store import Ledger

__all__ = ["Ledger", "database_url", "engine_for"]
