"""The core ledger: runs, items, attempts, artifacts, checkpoints; the fleet: workers, slots.

Revision ID: 0001_core
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("robot", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("parent_run_id", sa.String(32)),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("manual_minutes", sa.Float, nullable=False),
        sa.Column("exception_minutes", sa.Float, nullable=False),
        sa.Column("items_total", sa.Integer, nullable=False),
        sa.Column("items_succeeded", sa.Integer, nullable=False),
        sa.Column("items_failed", sa.Integer, nullable=False),
        sa.Column("items_cancelled", sa.Integer, nullable=False),
        sa.Column("robot_seconds", sa.Float, nullable=False),
        sa.Column("queued_at", TZ, nullable=False),
        sa.Column("started_at", TZ),
        sa.Column("finished_at", TZ),
        sa.Column("duration_s", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("project_dir", sa.Text),
    )
    op.create_index("ix_runs_robot", "runs", ["robot"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_queued_at", "runs", ["queued_at"])

    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("data", sa.JSON),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("started_at", TZ),
        sa.Column("finished_at", TZ),
        sa.Column("duration_s", sa.Float),
        sa.Column("output", sa.JSON),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("error_message", sa.Text),
        sa.Column("error_step", sa.String(200)),
        sa.Column("worker", sa.String(200)),
        sa.UniqueConstraint("run_id", "idx", name="uq_items_run_idx"),
    )
    op.create_index("ix_items_run_status", "items", ["run_id", "status"])

    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("duration_s", sa.Float),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("error_message", sa.Text),
    )
    op.create_index("ix_attempts_item_id", "attempts", ["item_id"])

    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id")),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("step", sa.String(200)),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_artifacts_run_id", "artifacts", ["run_id"])

    op.create_table(
        "checkpoints",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), primary_key=True),
        sa.Column("step", sa.String(200), primary_key=True),
        sa.Column("output", sa.JSON),
        sa.Column("done", sa.Boolean, nullable=False),
    )

    op.create_table(
        "workers",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("threads", sa.Integer, nullable=False),
        sa.Column("broker", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("last_seen", TZ, nullable=False),
        sa.Column("items_done", sa.Integer, nullable=False),
    )
    op.create_index("ix_workers_last_seen", "workers", ["last_seen"])

    op.create_table(
        "slots",
        sa.Column("pool", sa.String(200), primary_key=True),
        sa.Column("slot", sa.Integer, primary_key=True),
        sa.Column("holder", sa.String(300)),
        sa.Column("run_id", sa.String(32)),
        sa.Column("lease_until", TZ),
    )


def downgrade() -> None:
    for table in ("slots", "workers", "checkpoints", "artifacts", "attempts", "items", "runs"):
        op.drop_table(table)
