"""The relay remembers which incarnation of the central bus it published into.

Revision ID: causeway_0002
Revises: causeway_0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "causeway_0002"
down_revision = "causeway_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "causeway_relay_state",
        sa.Column("destination", sa.String(256), primary_key=True),
        sa.Column("bus_generation", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("causeway_relay_state")
