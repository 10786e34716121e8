"""task kind, version and owner; reply lease holder; worker heartbeats; last poll attempt

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="grant"))
        # Bumped by every change a person or the pipeline makes: a decision names the version it saw.
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("changed_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("owner_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_task_kind_state", ["kind", "state"])
    with op.batch_alter_table("reply") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(100), nullable=True))
    with op.batch_alter_table("mailbox_state") as batch:
        batch.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("message") as batch:
        batch.create_index("ix_message_received", ["received_at", "id"])  # the messages page, newest first
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(100), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeat")
    with op.batch_alter_table("message") as batch:
        batch.drop_index("ix_message_received")
    with op.batch_alter_table("mailbox_state") as batch:
        batch.drop_column("last_attempt_at")
    with op.batch_alter_table("reply") as batch:
        batch.drop_column("claimed_by")
    with op.batch_alter_table("task") as batch:
        batch.drop_index("ix_task_kind_state")
        for column in ("owner_at", "owner", "changed_by", "version", "kind"):
            batch.drop_column(column)
