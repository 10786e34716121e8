"""hostile senders: the sender's verdict and a processing lease on messages; proposed changes; an
index for the caps on automatic replies

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("sender_verified", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("lease_holder", sa.String(100), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("reply") as batch:
        batch.create_index("ix_reply_created", ["created_at"])
    op.create_table(
        "proposed_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_pk", sa.Integer(), sa.ForeignKey("message.id"), nullable=False),
        sa.Column("attachment_pk", sa.Integer(), sa.ForeignKey("attachment.id"), nullable=True),
        sa.Column("sender", sa.String(320), nullable=True),
        sa.Column("sender_verified", sa.Boolean(), nullable=False),
        sa.Column("reading", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_proposed_change_task_id", "proposed_change", ["task_id"])
    op.create_index("ix_proposed_change_message_pk", "proposed_change", ["message_pk"])


def downgrade() -> None:
    op.drop_index("ix_proposed_change_message_pk", "proposed_change")
    op.drop_index("ix_proposed_change_task_id", "proposed_change")
    op.drop_table("proposed_change")
    with op.batch_alter_table("reply") as batch:
        batch.drop_index("ix_reply_created")
    with op.batch_alter_table("message") as batch:
        for column in ("lease_until", "lease_holder", "sender_verified"):
            batch.drop_column(column)
