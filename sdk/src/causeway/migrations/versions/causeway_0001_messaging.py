"""Messaging tables every service has: the outbox and the inbox.

Revision ID: causeway_0001
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "causeway_0001"
down_revision = None
branch_labels = ("causeway",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "causeway_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("aggregate_id", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_causeway_outbox_pending", "causeway_outbox", ["published_at", "id"])
    op.create_table(
        "causeway_inbox",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("causeway_inbox")
    op.drop_index("ix_causeway_outbox_pending", "causeway_outbox")
    op.drop_table("causeway_outbox")
