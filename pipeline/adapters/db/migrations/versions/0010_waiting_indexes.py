"""waiting: find the cases reminded but unanswered without reading every case waiting for information

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Partial: only reminded cases are in it (a handful), so the queue's "Purret, ikke besvart" count and
    # filter read a few index entries instead of every needs_info case.
    op.create_index("ix_task_reminded", "task", ["reminder_sent_at"],
                    sqlite_where=sa.text("reminder_sent_at IS NOT NULL"),
                    postgresql_where=sa.text("reminder_sent_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_task_reminded", table_name="task")
