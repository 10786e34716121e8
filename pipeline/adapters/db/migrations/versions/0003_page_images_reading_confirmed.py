"""page images of attached forms for the case page; who confirmed an OCR reading, and when

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_image",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("attachment_id", sa.Integer(), sa.ForeignKey("attachment.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=True),
        sa.Column("width_px", sa.Integer(), nullable=False),
        sa.Column("height_px", sa.Integer(), nullable=False),
        sa.Column("width_pt", sa.Float(), nullable=False),
        sa.Column("height_pt", sa.Float(), nullable=False),
        sa.Column("x0_pt", sa.Float(), nullable=False),
        sa.Column("top_pt", sa.Float(), nullable=False),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("attachment_id", "page", name="uq_page_image_attachment_page"),
    )
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("reading_confirmed_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("reading_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("reading_confirmed_at")
        batch.drop_column("reading_confirmed_by")
    op.drop_table("page_image")
