"""The scheduler's tables, on the ledger's metadata.

`firings`: one row per (project, schedule, slot), inserted by the scheduler that claims the slot; the
unique constraint makes the claim exactly once across schedulers on SQLite and PostgreSQL alike.
`trigger_files`: one row per file a file trigger handled (path + size + modification time).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from orchestrator.ledger.tables import metadata

firings = Table(
    "firings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(200), nullable=False),
    Column("schedule", String(200), nullable=False),
    Column("slot", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("run_id", String(32), nullable=True, index=True),
    Column("scheduler", String(200), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("fired_at", DateTime(timezone=True)),
    UniqueConstraint("project", "schedule", "slot", name="uq_firings_slot"),
    Index("ix_firings_schedule_status", "project", "schedule", "status"),
)

trigger_files = Table(
    "trigger_files", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(200), nullable=False),
    Column("schedule", String(200), nullable=False),
    Column("path", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("run_id", String(32), nullable=True, index=True),
    Column("reason", Text),
    Column("scheduler", String(200), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project", "schedule", "path", "fingerprint", name="uq_trigger_files_file"),
)
