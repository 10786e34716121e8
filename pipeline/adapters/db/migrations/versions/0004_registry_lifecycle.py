"""registry lifecycle: user status and source, one mobile per active user; removal tasks; access reviews

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status = 'active'")
# SQLite's table from 0001 has an unnamed UNIQUE(mobile): a naming convention lets batch mode name it
# when it reflects the table, so that it can be dropped by that name.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "access_campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "access_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(20), nullable=False, unique=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("access_campaign.id"), nullable=False),
        sa.Column("operator_id", sa.String(16), nullable=False),
        sa.Column("to_addr", sa.String(320), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("listing", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_message_pk", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
    )
    op.create_index("ix_access_review_campaign_id", "access_review", ["campaign_id"])
    op.create_index("ix_access_review_operator_id", "access_review", ["operator_id"])
    op.create_index("ix_access_review_state", "access_review", ["state"])

    with op.batch_alter_table("registry_user", naming_convention=_NAMING) as batch:
        batch.drop_constraint("uq_registry_user_mobile" if sqlite else "registry_user_mobile_key", type_="unique")
        batch.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="active"))
        batch.add_column(sa.Column("source", sa.String(10), nullable=False, server_default="import"))
        batch.add_column(sa.Column("source_task_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("added_at", sa.DateTime(timezone=True), nullable=True,
                                   server_default=sa.func.now()))
        batch.add_column(sa.Column("first_imported_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_registry_user_source_task_id_task", "task", ["source_task_id"], ["id"])
    # Every user so far came from an import.
    op.execute("UPDATE registry_user SET added_at = CURRENT_TIMESTAMP, first_imported_at = CURRENT_TIMESTAMP")
    op.create_index("uq_registry_user_active_mobile", "registry_user", ["mobile"], unique=True,
                    sqlite_where=_ACTIVE, postgresql_where=_ACTIVE)

    with op.batch_alter_table("task") as batch:
        batch.alter_column("message_pk", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("user_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("origin", sa.String(16), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("review_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_task_review_id_access_review", "access_review", ["review_id"], ["id"])
        batch.create_index("ix_task_user_id", ["user_id"])
        batch.create_index("ix_task_review_id", ["review_id"])
    op.execute("UPDATE task SET origin = 'form'")

    with op.batch_alter_table("reply") as batch:
        batch.add_column(sa.Column("review_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_reply_review_id_access_review", "access_review", ["review_id"], ["id"])
        batch.create_index("ix_reply_review_id", ["review_id"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if op.get_bind().execute(sa.text("SELECT count(*) FROM task WHERE message_pk IS NULL")).scalar():
        raise RuntimeError("removal tasks asked for without a mail exist: the old schema cannot hold them")
    with op.batch_alter_table("reply") as batch:
        batch.drop_index("ix_reply_review_id")
        batch.drop_constraint("fk_reply_review_id_access_review", type_="foreignkey")
        batch.drop_column("review_id")
    with op.batch_alter_table("task") as batch:
        batch.drop_index("ix_task_review_id")
        batch.drop_index("ix_task_user_id")
        batch.drop_constraint("fk_task_review_id_access_review", type_="foreignkey")
        for column in ("review_id", "reason", "origin", "user_id"):
            batch.drop_column(column)
        batch.alter_column("message_pk", existing_type=sa.Integer(), nullable=False)
    op.drop_index("uq_registry_user_active_mobile", table_name="registry_user")
    # Removed users would clash with the old UNIQUE(mobile): the old schema knew only active users.
    op.execute("DELETE FROM registry_user_role WHERE user_id IN "
               "(SELECT user_id FROM registry_user WHERE status <> 'active')")
    op.execute("DELETE FROM registry_user WHERE status <> 'active'")
    with op.batch_alter_table("registry_user") as batch:
        batch.drop_constraint("fk_registry_user_source_task_id_task", type_="foreignkey")
        for column in ("removed_reason", "removed_at", "first_imported_at", "added_at", "source_task_id",
                       "source", "status"):
            batch.drop_column(column)
        # The name upgrade() drops on each database (PostgreSQL's own name for 0001's constraint).
        batch.create_unique_constraint("uq_registry_user_mobile" if sqlite else "registry_user_mobile_key", ["mobile"])
    op.drop_table("access_review")
    op.drop_table("access_campaign")
