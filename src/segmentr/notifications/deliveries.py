"""Deliveries: one per (event, notification, channel), with ids derived from those three so a replay of the
same event decides the same deliveries (the outbox's unique id makes writing one twice a no-op).

``body`` is the webhook body of api.md §5, fixed at decision time: every retry sends the same bytes, only the
``webhook-timestamp`` and signatures change. The other channels render their messages from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from segmentr.notifications.events import Event, from_policy, new_event_id
from segmentr.notifications.model import ChannelTarget, Notification

__all__ = ["Delivery", "SegmentRef", "deliveries_for_test", "delivery_id", "webhook_body", "webhook_id"]

_CHANNEL = TypeAdapter(ChannelTarget)


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """What the decision needs of a segment: its id, name, condition and version (None when deleted)."""

    id: str
    name: str
    condition: str
    version: int = 1


def stable_digest(*parts: str) -> str:
    """24 hex digits of a hash of ``parts``: the same parts give the same digest in every process."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def delivery_id(event_id: str, notification_id: str, channel_index: int) -> str:
    """``dlv_…``: the same for the same (event, notification, channel), whoever decides it."""
    return "dlv_" + stable_digest(event_id, notification_id, str(channel_index))


def webhook_id(event_id: str, notification_id: str, channel_index: int) -> str:
    """``msg_…``: the ``webhook-id`` header (the receiver's idempotency key), stable across retries; it is
    the delivery id's digest under its own prefix (one delivery, one message)."""
    return "msg_" + stable_digest(event_id, notification_id, str(channel_index))


def iso_time(ms: int) -> str:
    """Epoch ms as ISO 8601 UTC with milliseconds (``2024-06-01T00:00:00.000Z``)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def webhook_body(event: Event, notification: Notification, segment: SegmentRef | None,
                 customer: Mapping[str, Any] | None, *, timestamp: str | None = None) -> dict[str, Any]:
    """The body of api.md §5: ``{type, timestamp, data:{id, environment, notification, segment, customer,
    event}}``; ``data.id`` is the event's id (the same in every notification's delivery of that event)."""
    return {
        "type": event.type,
        "timestamp": timestamp or iso_time(event.at),
        "data": {
            "id": event.id,
            "environment": event.environment,
            "notification": {"id": notification.id, "name": notification.name},
            "segment": None if segment is None else {"id": segment.id, "name": segment.name},
            "customer": dict(customer) if customer is not None else {"id": event.customer_id},
            "event": dict(event.payload),
        },
    }


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to send on one channel. ``channel`` is the target as the notification had it when deciding."""

    id: str
    webhook_id: str
    environment: str
    event_id: str
    event_type: str
    customer_id: str
    notification_id: str
    notification_name: str
    channel_index: int
    channel: ChannelTarget
    body: Mapping[str, Any] = field(repr=False)
    created_at: int = 0

    @classmethod
    def decide(cls, event: Event, notification: Notification, channel_index: int, *, body: Mapping[str, Any],
               now: int) -> Delivery:
        digest = stable_digest(event.id, notification.id, str(channel_index))
        return cls(
            id="dlv_" + digest,
            webhook_id="msg_" + digest,
            environment=event.environment, event_id=event.id, event_type=event.type,
            customer_id=event.customer_id, notification_id=notification.id, notification_name=notification.name,
            channel_index=channel_index, channel=notification.channels[channel_index], body=body, created_at=now,
        )

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict (the outbox row's payload); ``from_record`` reads it back."""
        return {
            "id": self.id, "webhook_id": self.webhook_id, "environment": self.environment,
            "event_id": self.event_id, "event_type": self.event_type, "customer_id": self.customer_id,
            "notification_id": self.notification_id, "notification_name": self.notification_name,
            "channel_index": self.channel_index, "channel": self.channel.model_dump(mode="json"),
            "body": self.body, "created_at": self.created_at,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Delivery:
        fields = dict(record)
        fields["channel"] = _CHANNEL.validate_python(fields["channel"])
        return cls(**fields)

    @property
    def customer(self) -> Mapping[str, Any]:
        return self.body["data"]["customer"]  # type: ignore[no-any-return]

    @property
    def event_payload(self) -> Mapping[str, Any]:
        return self.body["data"]["event"]  # type: ignore[no-any-return]


def deliveries_for_test(notification: Notification, *, environment: str, customer: Mapping[str, Any], now: int,
                    segment: SegmentRef | None = None) -> list[Delivery]:
    """One delivery on every channel of the notification (``POST /v1/notifications/{id}/test``), for an event of
    its first type about ``customer``, marked ``"test": true`` in its payload; segment and condition are not
    consulted. Each call has a new event id, so each test is a new message to the receiver."""
    event_type = notification.events[0]
    payload: dict[str, Any] = {"test": True, "customer": customer.get("id", ""), "plan": customer.get("plan")}
    if event_type.startswith(("meter-", "cap-")):
        payload.update(entitlement="example", meter={"old": 80.0, "value": 120.0, "limit": 100.0}, overage=20.0,
                       remaining=-20.0)
    event = from_policy(event_type, payload, environment=environment, at=now, id=new_event_id(now))
    if event is None:  # segment-entered / -exited have no engine form
        from segmentr.notifications.events import SegmentEntered, SegmentExited

        cls = SegmentEntered if event_type == SegmentEntered.type else SegmentExited
        seg = segment or SegmentRef("seg_example", "Example segment", "true")
        event = cls(id=new_event_id(now), environment=environment, customer_id=str(customer.get("id", "")), at=now,
                    payload={**payload, "segment": {"id": seg.id, "name": seg.name}}, segment_id=seg.id,
                    segment_name=seg.name)
    body = webhook_body(event, notification, segment, customer)
    return [Delivery.decide(event, notification, index, body=body, now=now)
            for index in range(len(notification.channels))]
