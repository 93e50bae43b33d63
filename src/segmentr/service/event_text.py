"""One line of plain text for an event of the log, as the customer detail lists it (``chat +10 → 1,510 of
2,000``): the reader sees what happened without opening the payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["event_summary"]


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _of_limit(meter: Mapping[str, Any]) -> str:
    limit = meter.get("limit")
    return f"{_number(meter.get('value'))} of {_number(limit)}" if limit is not None else (
        f"{_number(meter.get('value'))}, no limit")


def _name(value: Any) -> str:
    """A name from the payload, as text (a payload is the engine's JSON: never trusted to be a string)."""
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("id")
    return str(value) if value not in (None, "") else "?"


def event_summary(event_type: str, payload: Mapping[str, Any]) -> str:
    """What the event says, in one line; an unknown type reads as its name."""
    meter = payload.get("meter") if isinstance(payload.get("meter"), Mapping) else {}
    assert isinstance(meter, Mapping)
    entitlement = _name(payload.get("entitlement"))
    diff = meter.get("diff")
    signed = f"{'+' if isinstance(diff, int | float) and diff >= 0 else ''}{_number(diff)}"
    if event_type == "meter-changed":
        return f"{entitlement} {signed} → {_of_limit(meter)}"
    if event_type == "meter-overage":
        return f"{entitlement} {signed} → {_of_limit(meter)}, over by {_number(payload.get('overage'))}"
    if event_type == "meter-limit":
        return f"{entitlement} {signed} refused at the limit ({_of_limit(meter)})"
    if event_type == "meter-governed":
        return f"{entitlement} {signed} refused by the rate governor"
    if event_type == "meter-reset":
        return f"{entitlement}: a new period started"
    if event_type == "cap-limit":
        return f"{entitlement} {signed} refused by cap {_name(payload.get('cap'))}"
    if event_type == "cap-threshold-crossed":
        return f"{entitlement}: cap {_name(payload.get('cap'))} reached its threshold"
    if event_type == "customer-plan-changed":
        return f"plan {_name(payload.get('previous_plan'))} → {_name(payload.get('new_plan'))}"
    if event_type == "customer-topup-granted":
        return f"topup {_name(payload.get('topup_name') or payload.get('topup'))} granted"
    if event_type in ("segment-entered", "segment-exited"):
        verb = "entered" if event_type == "segment-entered" else "left"
        return f"{verb} segment {_name(payload.get('segment'))}"
    if event_type == "customer-set":
        return "customer saved"
    if event_type == "customer-removed":
        return "customer removed"
    if event_type.startswith("customer-cap-"):
        return f"cap {_name(payload.get('cap') or payload.get('id'))} {event_type.removeprefix('customer-cap-')}"
    return event_type
