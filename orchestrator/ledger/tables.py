"""The ledger's core tables (SQLAlchemy Core). Other features add theirs to the same `metadata`.

The schema of a database is made by the Alembic migrations in `ledger/migrations/`, never by
`create_all`: a change here needs a migration (tests compare the two).
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint)

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("project", String(200), nullable=False),
    Column("robot", String(200), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("trigger", String(32), nullable=False, default="manual"),
    Column("inputs", JSON, nullable=False, default=dict),
    Column("parent_run_id", String(32), nullable=True),
    Column("queue", String(100), nullable=False, default="default"),
    Column("manual_minutes", Float, nullable=False, default=0),
    Column("exception_minutes", Float, nullable=False, default=0),
    Column("items_total", Integer, nullable=False, default=0),
    Column("items_succeeded", Integer, nullable=False, default=0),
    Column("items_failed", Integer, nullable=False, default=0),
    Column("items_cancelled", Integer, nullable=False, default=0),
    Column("robot_seconds", Float, nullable=False, default=0),
    Column("queued_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("duration_s", Float),
    Column("error", Text),
    Column("project_dir", Text),
)

items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("key", String(500), nullable=False),
    Column("data", JSON),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("duration_s", Float),
    Column("output", JSON),
    Column("error_kind", String(32)),
    Column("error_message", Text),
    Column("error_step", String(200)),
    Column("worker", String(200)),
    UniqueConstraint("run_id", "idx", name="uq_items_run_idx"),
    Index("ix_items_run_status", "run_id", "status"),
)

attempts = Table(
    "attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("step", String(200), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("duration_s", Float),
    Column("error_kind", String(32)),
    Column("error_message", Text),
)

artifacts = Table(
    "artifacts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("path", Text, nullable=False),
    Column("step", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("step", String(200), primary_key=True),
    Column("output", JSON),
    Column("done", Boolean, nullable=False, default=True),
)

# The fleet: worker processes seen (heartbeats) and the slots that hold `concurrency:` and `pools:` limits.
workers = Table(
    "workers", metadata,
    Column("name", String(200), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("queues", JSON, nullable=False, default=list),
    Column("threads", Integer, nullable=False, default=1),
    Column("broker", String(32), nullable=False, default="embedded"),
    Column("status", String(16), nullable=False, default="running"),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False, index=True),
    Column("items_done", Integer, nullable=False, default=0),
)

slots = Table(
    "slots", metadata,
    Column("pool", String(200), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("holder", String(300)),
    Column("run_id", String(32)),
    Column("lease_until", DateTime(timezone=True)),
)
