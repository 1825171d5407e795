"""Tables of the web side: API tokens (stored hashed) and the alerts already sent; the report's indexes."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from orchestrator.ledger.tables import items, metadata, runs

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

alerts_sent = Table(
    "alerts_sent", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("robot", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("run_id", String(32)),
    Column("channels", Text),
    Column("ok", Boolean, nullable=False, default=True),
    Column("error", Text),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "subject", name="uq_alerts_sent_kind_subject"),
    Index("ix_alerts_sent_robot_kind", "robot", "kind", "sent_at"),
)

# The report reads failed items by status (covering the columns it groups by) and runs by robot and date.
REPORT_INDEXES = [
    Index("ix_items_status_run", items.c.status, items.c.run_id, items.c.error_kind, items.c.error_step,
          items.c.id),
    Index("ix_runs_robot_queued", runs.c.robot, runs.c.queued_at),
]
