"""Order totals become the order's charge progress: StockReserved may arrive first.

An order's row is now created by whichever of OrderPlaced and StockReserved
arrives first, so the fields from OrderPlaced are NULL until it arrives and
`stock_reserved_at` records StockReserved.

Revision ID: billing_0002
Revises: billing_0001
Create Date: 2026-12-11
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0002"
down_revision = "billing_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a column's nullability in place.
    with op.batch_alter_table("order_totals") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(64), nullable=True)
        batch.alter_column("total", existing_type=sa.BigInteger, nullable=True)
        batch.alter_column("currency", existing_type=sa.String(3), nullable=True)
        batch.add_column(sa.Column("stock_reserved_at", sa.DateTime(timezone=True), nullable=True))
    # An order charged before this revision had its stock reserved then.
    op.execute(
        "UPDATE order_totals SET stock_reserved_at = ("
        " SELECT MIN(payments.created_at) FROM payments"
        " WHERE payments.purpose = 'order' AND payments.order_id = order_totals.order_id)"
    )


def downgrade() -> None:
    # The old table cannot hold a StockReserved whose OrderPlaced has not arrived;
    # dropping it would leave that order never charged, so refuse instead (such
    # rows last only until their OrderPlaced is applied: try again then).
    waiting = op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM order_totals WHERE total IS NULL"))
    if waiting:
        raise RuntimeError(f"{waiting} order(s) have StockReserved but no OrderPlaced yet; downgrade later")
    with op.batch_alter_table("order_totals") as batch:
        batch.drop_column("stock_reserved_at")
        batch.alter_column("currency", existing_type=sa.String(3), nullable=False)
        batch.alter_column("total", existing_type=sa.BigInteger, nullable=False)
        batch.alter_column("customer_id", existing_type=sa.String(64), nullable=False)
