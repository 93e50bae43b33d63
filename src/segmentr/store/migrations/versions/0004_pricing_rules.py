"""Pricing rules per environment with their version history, and customers' own price overrides.

``environments.pricing_revision`` counts rule changes (the compiled rule book's key); ``customers.price_overrides``
holds a customer's own prices beside its record.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("environments") as batch:
        batch.add_column(sa.Column("pricing_revision", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("price_overrides", sa.JSON(none_as_null=True), nullable=True))
    op.create_index(
        "ix_customers_price_overrides", "customers", ["environment_id"],
        sqlite_where=sa.text("price_overrides IS NOT NULL"), postgresql_where=sa.text("price_overrides IS NOT NULL"),
    )

    op.create_table(
        "pricing_rules",
        sa.Column("id", sa.String(90), primary_key=True),
        sa.Column(
            "environment_id", sa.Integer(), sa.ForeignKey("environments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("segment_id", sa.String(200), nullable=False),
        sa.Column("priority", sa.BigInteger(), nullable=False),
        sa.Column("overrides", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("supersedes", sa.String(40), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
        sa.UniqueConstraint("environment_id", "priority", name="uq_pricing_rules_environment_priority"),
        sa.CheckConstraint(
            "supersedes IS NULL OR supersedes = 'customer-overrides'", name="ck_pricing_rules_supersedes"
        ),
    )
    op.create_index("ix_pricing_rules_segment_id", "pricing_rules", ["segment_id"])
    op.create_table(
        "pricing_rule_versions",
        sa.Column("rule_id", sa.String(90), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column(
            "environment_id", sa.Integer(), sa.ForeignKey("environments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("fields", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        sa.Column("changed_by", sa.String(320), nullable=True),
        sa.CheckConstraint("action IN ('created', 'updated', 'deleted')", name="ck_pricing_rule_versions_action"),
    )
    op.create_index(
        "ix_pricing_rule_versions_environment", "pricing_rule_versions", ["environment_id", "rule_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_pricing_rule_versions_environment", table_name="pricing_rule_versions")
    op.drop_table("pricing_rule_versions")
    op.drop_index("ix_pricing_rules_segment_id", table_name="pricing_rules")
    op.drop_table("pricing_rules")
    op.drop_index("ix_customers_price_overrides", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("price_overrides")
    with op.batch_alter_table("environments") as batch:
        batch.drop_column("pricing_revision")
