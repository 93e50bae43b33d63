"""Migration 0005 builds the notification tables on both databases, with the indexes the hot paths read."""

from __future__ import annotations

from sqlalchemy import inspect

from segmentr.store import Store

TABLES = {"notifications", "notification_epochs", "notification_arm_states", "events", "segment_memberships",
          "deliveries", "delivery_attempts", "alerts"}


def test_the_notification_tables_and_their_indexes(store: Store) -> None:
    inspector = inspect(store.engine)
    assert set(inspector.get_table_names()) >= TABLES
    indexes = {name: {i["name"]: i["column_names"] for i in inspector.get_indexes(name)} for name in TABLES}
    assert indexes["deliveries"]["ix_deliveries_due"] == ["state", "next_attempt_at"]
    assert indexes["events"]["ix_events_env_customer_at"] == ["environment_id", "customer_id", "at"]
    assert indexes["alerts"]["ix_alerts_env_state_created"] == ["environment_id", "state", "created_at"]
    assert indexes["segment_memberships"]["ix_memberships_customer"] == ["environment_id", "customer_id"]
    primary = inspector.get_pk_constraint("notification_arm_states")["constrained_columns"]
    assert primary == ["notification_id", "environment_id", "customer_id", "entitlement"]
