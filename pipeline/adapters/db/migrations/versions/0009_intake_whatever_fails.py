"""intake: mail left unread is listed, a lease on the mailbox, interrupted reads, marks owed, headers-only mail

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("interruptions", sa.Integer(), nullable=False, server_default="0"))
        # Taken, but not yet marked on the server (a mark owed survives a restart).
        batch.add_column(sa.Column("mark_owed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("headers_only", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_message_mark_owed", "message", ["mailbox", "mark_owed"])
    with op.batch_alter_table("mailbox_state") as batch:
        batch.add_column(sa.Column("poller", sa.String(100), nullable=True))
    with op.batch_alter_table("worker_heartbeat") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "skipped_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox", sa.String(300), nullable=False),
        sa.Column("uidvalidity", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sender", sa.String(320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_skipped_mail_source"),
    )
    op.create_index("ix_skipped_mail_seen", "skipped_mail", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_skipped_mail_seen", table_name="skipped_mail")
    op.drop_table("skipped_mail")
    with op.batch_alter_table("worker_heartbeat") as batch:
        batch.drop_column("lease_until")
    with op.batch_alter_table("mailbox_state") as batch:
        batch.drop_column("poller")
    op.drop_index("ix_message_mark_owed", table_name="message")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("headers_only")
        batch.drop_column("mark_owed")
        batch.drop_column("interruptions")
