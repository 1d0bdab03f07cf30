"""Platform's tables: the schema registry.

Revision ID: platform_0001
Revises:
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "platform_0001"
down_revision = None
branch_labels = ("platform",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_subjects",
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("compatibility", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "schema_versions",
        sa.Column("subject", sa.String(200), sa.ForeignKey("schema_subjects.subject"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("schema_json", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_schema_versions_fingerprint", "schema_versions", ["fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_schema_versions_fingerprint", "schema_versions")
    op.drop_table("schema_versions")
    op.drop_table("schema_subjects")
