"""Initial schema: workspaces, members, environments, policy versions, customers, segments, active segments.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "environments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(10), nullable=False),
        sa.CheckConstraint("name IN ('test', 'live')", name="ck_environments_name"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_environments_workspace_name"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'admin', 'editor', 'viewer')", name="ck_members_role"),
        sa.UniqueConstraint("workspace_id", "email", name="uq_members_workspace_email"),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("simple", Json, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("mode IN ('simple', 'advanced')", name="ck_segments_mode"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_segments_workspace_name"),
    )
    op.create_index("ix_segments_workspace_id", "segments", ["workspace_id"])
    op.create_table(
        "active_segments",
        sa.Column(
            "member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "segment_id", sa.String(40), sa.ForeignKey("segments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("set_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_active_segments_segment_id", "active_segments", ["segment_id"])
    op.create_table(
        "customers",
        sa.Column(
            "environment_id",
            sa.Integer(),
            sa.ForeignKey("environments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("plan", sa.String(255), nullable=False),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("alt_ids", Json, nullable=False),
        sa.Column("refs", Json, nullable=False),
        sa.Column("overrides", Json, nullable=False),
        sa.Column("caps", Json, nullable=False),
        sa.Column("grants", Json, nullable=False),
        sa.Column("meters", Json, nullable=False),
        sa.Column(
            "metadata",
            sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql"),
            nullable=True,
        ),
        sa.Column("cloud_created", sa.BigInteger(), nullable=False),
        sa.Column("cloud_updated", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_customers_env_plan", "customers", ["environment_id", "plan"])
    op.create_index("ix_customers_env_type", "customers", ["environment_id", "type"])
    op.create_index("ix_customers_env_created", "customers", ["environment_id", "cloud_created"])
    op.create_index("ix_customers_env_updated", "customers", ["environment_id", "cloud_updated"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_customers_metadata_gin",
            "customers",
            ["metadata"],
            postgresql_using="gin",
            postgresql_ops={"metadata": "jsonb_path_ops"},
        )
    op.create_table(
        "policy_versions",
        sa.Column(
            "environment_id",
            sa.Integer(),
            sa.ForeignKey("environments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("document", Json, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "segment_versions",
        sa.Column(
            "segment_id", sa.String(40), sa.ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("simple", Json, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
    )


def downgrade() -> None:
    for table in (
        "segment_versions",
        "policy_versions",
        "customers",
        "active_segments",
        "segments",
        "members",
        "environments",
        "workspaces",
    ):
        op.drop_table(table)
