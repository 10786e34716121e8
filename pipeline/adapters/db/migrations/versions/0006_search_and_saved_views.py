"""the queue's search text and its trigrams; operators' saved views; an index for "mine"

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_search",
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "task_gram",
        sa.Column("gram", sa.String(8), primary_key=True),
        sa.Column("task_id", sa.Integer(), primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
    )
    op.create_index("ux_saved_view_owner_name", "saved_view", ["owner", "name"], unique=True)
    op.create_index("ix_task_owner_state", "task", ["owner", "state"])  # "mine" in the queue
    # Cases that exist already get their search text (the same code keeps it from now on).
    from pipeline.adapters.db.search_index import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_task_owner_state", table_name="task")
    op.drop_index("ux_saved_view_owner_name", table_name="saved_view")
    op.drop_table("saved_view")
    op.drop_table("task_gram")
    op.drop_table("task_search")
