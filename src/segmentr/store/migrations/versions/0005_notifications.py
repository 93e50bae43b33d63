"""Notifications: notifications and their re-arm state, the event log, watched-segment membership, deliveries
(the outbox) with their attempts, in-app alerts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON(none_as_null=True)


def _environment() -> sa.Column:
    return sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id", ondelete="CASCADE"),
                     nullable=False, primary_key=False)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("environment", sa.String(10), nullable=False),
        sa.Column("events", _JSON, nullable=False),
        sa.Column("segment_id", sa.String(40), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("channels", _JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_notifications_workspace_id", "notifications", ["workspace_id"])
    op.create_index("ix_notifications_segment_id", "notifications", ["segment_id"])
    op.create_table(
        "notification_epochs",
        sa.Column("workspace_id", sa.String(40), sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "notification_arm_states",
        sa.Column("notification_id", sa.String(40), sa.ForeignKey("notifications.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("customer_id", sa.String(255), primary_key=True),
        sa.Column("entitlement", sa.String(255), primary_key=True),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("seen", _JSON, nullable=False),
    )
    op.create_index("ix_arm_states_customer", "notification_arm_states",
                    ["environment_id", "customer_id", "entitlement"])
    op.create_table(
        "events",
        sa.Column("id", sa.String(40), primary_key=True),
        _environment(),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_events_env_at", "events", ["environment_id", "at"])
    op.create_index("ix_events_env_customer_at", "events", ["environment_id", "customer_id", "at"])
    op.create_index("ix_events_env_type_at", "events", ["environment_id", "type", "at"])
    op.create_table(
        "segment_memberships",
        sa.Column("segment_id", sa.String(40), primary_key=True),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("customer_id", sa.String(255), primary_key=True),
        sa.Column("since", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_memberships_customer", "segment_memberships", ["environment_id", "customer_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        _environment(),
        sa.Column("notification_id", sa.String(40), sa.ForeignKey("notifications.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("channel_index", sa.Integer(), nullable=False),
        sa.Column("channel_type", sa.String(20), nullable=False),
        sa.Column("record", _JSON, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=False),
        sa.Column("lease_token", sa.String(40), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.create_index("ix_deliveries_notification", "deliveries", ["notification_id", "created_at"])
    op.create_table(
        "delivery_attempts",
        sa.Column("delivery_id", sa.String(40), sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        _environment(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("notification_id", sa.String(40), nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_alerts_env_state_created", "alerts", ["environment_id", "state", "created_at"])
    op.create_index("ix_alerts_env_created", "alerts", ["environment_id", "created_at"])


def downgrade() -> None:
    for table in ("alerts", "delivery_attempts", "deliveries", "segment_memberships", "events",
                  "notification_arm_states", "notification_epochs", "notifications"):
        op.drop_table(table)
