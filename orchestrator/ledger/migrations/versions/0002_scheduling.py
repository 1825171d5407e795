"""Scheduling: firings (one row per schedule slot, claimed exactly once) and trigger_files.

Revision ID: 0002_scheduling
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_scheduling"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("scheduler", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("project", "schedule", "slot", name="uq_firings_slot"),
    )
    op.create_index("ix_firings_run_id", "firings", ["run_id"])
    op.create_index("ix_firings_schedule_status", "firings", ["project", "schedule", "status"])
    op.create_table(
        "trigger_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text()),
        sa.Column("scheduler", sa.String(200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project", "schedule", "path", "fingerprint", name="uq_trigger_files_file"),
    )
    op.create_index("ix_trigger_files_run_id", "trigger_files", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_trigger_files_run_id", table_name="trigger_files")
    op.drop_table("trigger_files")
    op.drop_index("ix_firings_schedule_status", table_name="firings")
    op.drop_index("ix_firings_run_id", table_name="firings")
    op.drop_table("firings")
