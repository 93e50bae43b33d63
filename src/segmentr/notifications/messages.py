"""Readable text for people (Slack, email, in-app): who, which meter, the value against the limit, a link."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["Summary", "summary"]


@dataclass(frozen=True, slots=True)
class Summary:
    """``title`` one line; ``lines`` the facts; ``link`` the customer's page (None without a dashboard URL)."""

    title: str
    lines: tuple[str, ...]
    link: str | None

    @property
    def text(self) -> str:
        tail = (f"Open: {self.link}",) if self.link else ()
        return "\n".join((*self.lines, *tail))

    def html(self) -> str:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        link = f'<p><a href="{html.escape(self.link)}">Open the customer</a></p>' if self.link else ""
        return f"<h2>{html.escape(self.title)}</h2><ul>{items}</ul>{link}"


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _customer_name(customer: Mapping[str, Any], fallback: str) -> str:
    cid = customer.get("id") or fallback
    label = customer.get("label")
    return f"{label} ({cid})" if isinstance(label, str) and label and label not in ("User", cid) else str(cid)


def summary(delivery: Delivery, dashboard_url: str | None = None) -> Summary:
    payload = delivery.event_payload
    customer = delivery.customer
    who = _customer_name(customer, delivery.customer_id)
    lines = [f"Customer: {who}"]
    plan = payload.get("plan") or customer.get("plan")
    if plan:
        lines.append(f"Plan: {plan}")
    meter = payload.get("meter")
    headline = f"{delivery.event_type} for {who}"
    if isinstance(meter, Mapping) and payload.get("entitlement"):
        value, limit = meter.get("value"), meter.get("limit")
        reading = f"{payload['entitlement']}: {_shown(value)} of {_shown(limit)}"
        if isinstance(value, int | float) and isinstance(limit, int | float) and limit:
            reading += f" ({value / limit * 100:.0f}% of the limit)"
        lines.append(f"Meter {reading}")
        headline = f"{delivery.event_type}: {who}, {reading}"
        if payload.get("overage"):
            lines.append(f"Overage: {_shown(payload['overage'])}")
    segment = delivery.body["data"].get("segment")
    if segment:
        lines.append(f"Segment: {segment.get('name')}")
    lines.append(f"Notification: {delivery.notification_name} ({delivery.environment})")
    link = None
    if dashboard_url:
        link = f"{dashboard_url.rstrip('/')}/{delivery.environment}/customers/{quote(delivery.customer_id, safe='')}"
    return Summary(headline, tuple(lines), link)
