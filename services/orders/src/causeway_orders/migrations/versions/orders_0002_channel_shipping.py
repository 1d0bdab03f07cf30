"""Orders remember their sales channel and shipping address (OrderPlaced v2).

Revision ID: orders_0002
Revises: orders_0001
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Orders placed before channels existed came through the web shop.
    op.add_column("orders", sa.Column("channel", sa.String(16), nullable=False, server_default="web"))
    op.add_column("orders", sa.Column("shipping_address", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_address")
        batch.drop_column("channel")
