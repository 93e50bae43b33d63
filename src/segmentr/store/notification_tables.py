"""The notification tables (migration 0005): notifications and their re-arm state, the event log, membership of
watched segments, deliveries (the outbox) with their attempts, and in-app alerts. Same ``Base`` as ``tables``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from segmentr.store.tables import Base, Json

__all__ = [
    "AlertRow",
    "ArmStateRow",
    "DeliveryAttemptRow",
    "DeliveryRow",
    "EventRow",
    "MembershipRow",
    "NotificationEpochRow",
    "NotificationRow",
]


class NotificationRow(Base):
    """A notification of a workspace; ``segment_id`` is not a foreign key (a forced delete leaves it dangling)."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    environment: Mapped[str] = mapped_column(String(10))
    events: Mapped[list[str]] = mapped_column(Json)
    segment_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    condition: Mapped[str | None] = mapped_column(Text, nullable=True)
    channels: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    error_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class NotificationEpochRow(Base):
    """A counter per workspace, bumped by every change to its notifications or to a segment they may read:
    the key of each process's cache of compiled listening sets (nothing else needs to agree)."""

    __tablename__ = "notification_epochs"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger, default=0)


class ArmStateRow(Base):
    """Re-arm state per (notification, environment, customer, entitlement)."""

    __tablename__ = "notification_arm_states"
    __table_args__ = (Index("ix_arm_states_customer", "environment_id", "customer_id", "entitlement"),)

    notification_id: Mapped[str] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    entitlement: Mapped[str] = mapped_column(String(255), primary_key=True)
    fired: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[int] = mapped_column(BigInteger, default=0)
    seen: Mapped[list[str]] = mapped_column(Json, default=list)


class EventRow(Base):
    """The event log: every event a change raised, newest-first readable per customer and type."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_env_at", "environment_id", "at"),
        Index("ix_events_env_customer_at", "environment_id", "customer_id", "at"),
        Index("ix_events_env_type_at", "environment_id", "type", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    at: Mapped[int] = mapped_column(BigInteger)


class MembershipRow(Base):
    """Membership of watched segments (the "before" of segment-entered / -exited; product.md's one cache)."""

    __tablename__ = "segment_memberships"
    __table_args__ = (Index("ix_memberships_customer", "environment_id", "customer_id"),)

    segment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    since: Mapped[int] = mapped_column(BigInteger)


class DeliveryRow(Base):
    """One message to send (the outbox): ``record`` is the decided ``Delivery``; state pending/delivered/failed."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_notification", "notification_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    channel_index: Mapped[int] = mapped_column(Integer)
    channel_type: Mapped[str] = mapped_column(String(20))
    record: Mapped[dict[str, Any]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    lease_until: Mapped[int] = mapped_column(BigInteger, default=0)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeliveryAttemptRow(Base):
    __tablename__ = "delivery_attempts"

    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[float] = mapped_column(Float)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertRow(Base):
    """An in-app alert (New → Seen → Resolved, no expiry)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_env_state_created", "environment_id", "state", "created_at"),
        Index("ix_alerts_env_created", "environment_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(40))
    notification_id: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), default="new")
    seen_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    resolved_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
