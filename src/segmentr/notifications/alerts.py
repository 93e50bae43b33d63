"""In-app alerts: what the dashboard shows, New → Seen → Resolved, never expiring (product.md §5).

An alert carries the detail of Limitr's alerts — credit, entitlement, plan, previous and current value, limit,
remaining, overage, % of limit, the customer and the raw event — read from the delivery's body. The store keeps
them through ``AlertSink``; ``advance`` is the one place that says which state changes are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal, Protocol

from segmentr.notifications.deliveries import Delivery, stable_digest
from segmentr.notifications.errors import NotificationError
from segmentr.notifications.messages import summary

__all__ = [
    "Alert",
    "AlertDetail",
    "AlertSink",
    "AlertState",
    "AlertTransitionInvalid",
    "advance",
    "alert_for_delivery",
    "endpoint_disabled_alert",
]

AlertKind = Literal["notification", "endpoint_disabled"]


class AlertState(StrEnum):
    NEW = "new"
    SEEN = "seen"
    RESOLVED = "resolved"


# Seen may be skipped (resolving an alert nobody opened); nothing goes back.
_NEXT: dict[AlertState, frozenset[AlertState]] = {
    AlertState.NEW: frozenset({AlertState.SEEN, AlertState.RESOLVED}),
    AlertState.SEEN: frozenset({AlertState.RESOLVED}),
    AlertState.RESOLVED: frozenset(),
}


class AlertTransitionInvalid(NotificationError, ValueError):
    """An alert cannot go from its state to the one asked for (a resolved alert stays resolved)."""


@dataclass(frozen=True, slots=True)
class AlertDetail:
    """The numbers of a meter alert (None where the event has no such number) and the raw event."""

    credit: str | None = None
    entitlement: str | None = None
    plan: str | None = None
    previous: float | None = None
    current: float | None = None
    limit: float | None = None
    remaining: float | None = None
    overage: float | None = None
    percent_of_limit: float | None = None
    customer: Mapping[str, Any] = field(default_factory=dict)
    event: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    environment: str
    kind: AlertKind
    title: str
    message: str
    customer_id: str
    event_type: str
    notification_id: str
    delivery_id: str | None
    detail: AlertDetail
    created_at: int
    state: AlertState = AlertState.NEW
    seen_at: int | None = None
    resolved_at: int | None = None


class AlertSink(Protocol):
    """Where alerts are kept (implemented by ``segmentr.store``); ``add`` ignores an id it already has."""

    def add(self, alert: Alert) -> None: ...


def advance(alert: Alert, to: AlertState, now: int) -> Alert:
    """The alert moved to ``to``; the same state again is a no-op, going back raises ``AlertTransitionInvalid``."""
    if to == alert.state:
        return alert
    if to not in _NEXT[alert.state]:
        raise AlertTransitionInvalid(f"alert {alert.id} is {alert.state.value}: it cannot become {to.value}")
    if to is AlertState.SEEN:
        return replace(alert, state=to, seen_at=now)
    return replace(alert, state=to, resolved_at=now, seen_at=alert.seen_at or now)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def detail_of(event_type: str, payload: Mapping[str, Any], customer: Mapping[str, Any]) -> AlertDetail:
    raw_meter = payload.get("meter")
    meter: Mapping[str, Any] = raw_meter if isinstance(raw_meter, Mapping) else {}
    credit = payload.get("credit")
    credit_name = credit.get("id") if isinstance(credit, Mapping) else credit if isinstance(credit, str) else None
    current = _number(meter.get("value"))
    limit = _number(meter.get("limit"))
    previous = _number(meter.get("old")) if "old" in meter else current
    remaining = _number(payload.get("remaining"))
    if remaining is None and current is not None and limit is not None:
        remaining = round(limit - current, 9)
    percent = None if current is None or not limit else round(current / limit * 100, 2)
    plan = payload.get("plan") or payload.get("plan_name") or payload.get("new_plan") or customer.get("plan")
    return AlertDetail(
        credit=credit_name if isinstance(credit_name, str) else None,
        entitlement=payload.get("entitlement") if isinstance(payload.get("entitlement"), str) else None,
        plan=plan if isinstance(plan, str) else None,
        previous=previous, current=current, limit=limit, remaining=remaining,
        overage=_number(payload.get("overage")), percent_of_limit=percent,
        customer=dict(customer), event=dict(payload),
    )


def alert_for_delivery(delivery: Delivery, now: int) -> Alert:
    """The in-app alert of a delivery (its id derives from the delivery's: adding it twice keeps one)."""
    text = summary(delivery)
    return Alert(
        id="alr_" + stable_digest("alert", delivery.id), environment=delivery.environment, kind="notification",
        title=text.title, message=text.text, customer_id=delivery.customer_id, event_type=delivery.event_type,
        notification_id=delivery.notification_id, delivery_id=delivery.id,
        detail=detail_of(delivery.event_type, delivery.event_payload, delivery.customer), created_at=now,
    )


def endpoint_disabled_alert(delivery: Delivery, now: int, reason: str) -> Alert:
    """The alert saying a channel was disabled (its endpoint answered 410), so it is never silent."""
    target = getattr(delivery.channel, "url", delivery.channel.type)
    return Alert(
        id="alr_" + stable_digest("disabled", delivery.notification_id, str(delivery.channel_index), str(target)),
        environment=delivery.environment, kind="endpoint_disabled",
        title=f"{delivery.channel.type} channel of “{delivery.notification_name}” disabled",
        message=f"{target} {reason}; the channel is disabled until it is edited or re-enabled.",
        customer_id=delivery.customer_id, event_type=delivery.event_type,
        notification_id=delivery.notification_id, delivery_id=delivery.id,
        detail=AlertDetail(customer=dict(delivery.customer), event=dict(delivery.event_payload)), created_at=now,
    )
