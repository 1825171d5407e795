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
    # A ledger made before migrations (then adopted at 0001) may hold these already: complete, never repeat.
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "api_tokens" not in present:
        _create_tokens()
    if "alerts_sent" not in present:
        _create_alerts_sent()
    op.create_index("ix_items_status_run", "items", ["status", "run_id", "error_kind", "error_step", "id"],
                    if_not_exists=True)
    op.create_index("ix_runs_robot_queued", "runs", ["robot", "queued_at"], if_not_exists=True)


def _create_tokens() -> None:
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


def _create_alerts_sent() -> None:
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


def downgrade() -> None:
    op.drop_index("ix_runs_robot_queued", table_name="runs")
    op.drop_index("ix_items_status_run", table_name="items")
    op.drop_index("ix_alerts_sent_robot_kind", table_name="alerts_sent")
    op.drop_table("alerts_sent")
    op.drop_table("api_tokens")
