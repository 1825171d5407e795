"""The web side: API tokens, alerts sent, and the report's indexes.

Revision ID: 0003_web
Revises: 0002_scheduling
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_web"
down_revision = "0002_scheduling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "alerts_sent",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("robot", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("channels", sa.Text()),
        sa.Column("ok", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("error", sa.Text()),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "subject", name="uq_alerts_sent_kind_subject"),
    )
    op.create_index("ix_alerts_sent_robot_kind", "alerts_sent", ["robot", "kind", "sent_at"])
    op.create_index("ix_items_status_run", "items", ["status", "run_id", "error_kind", "error_step", "id"])
    op.create_index("ix_runs_robot_queued", "runs", ["robot", "queued_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_robot_queued", table_name="runs")
    op.drop_index("ix_items_status_run", table_name="items")
    op.drop_index("ix_alerts_sent_robot_kind", table_name="alerts_sent")
    op.drop_table("alerts_sent")
    op.drop_table("api_tokens")
