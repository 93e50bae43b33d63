"""Typed events: every policy event of policy.md §3, plus segment-entered / segment-exited.

The policy engine keeps sending ``(name, payload)`` to its subscribers (Limitr's host format, which the
conformance corpus checks byte for byte). An ``EventCollector`` is such a subscriber: the caller binds it to the
engine for one change (``policy.with_customers(state, subscribers=[collector])``) and gets typed events back,
each with what the engine does not know — an id, the environment and the time. ``payload`` is exactly what the
webhook's ``data.event`` carries; the typed fields are read from it once, at conversion.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "EVENT_TYPES",
    "CapLimit",
    "CapThresholdCrossed",
    "CustomerCapAdded",
    "CustomerCapRemoved",
    "CustomerCapReset",
    "CustomerEvent",
    "CustomerPlanChanged",
    "CustomerRemoved",
    "CustomerSet",
    "CustomerTopupGranted",
    "Event",
    "EventCollector",
    "MeterChanged",
    "MeterEvent",
    "MeterGoverned",
    "MeterLimit",
    "MeterOverage",
    "MeterReset",
    "PlanRemoved",
    "PlanSet",
    "SegmentEntered",
    "SegmentExited",
    "from_policy",
    "new_event_id",
]


def new_event_id(at_ms: int | None = None) -> str:
    """``evt_`` + 12 hex digits of the time in ms + 12 random hex digits: unique, and sorted by time."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    return f"evt_{ms & 0xFFFFFFFFFFFF:012x}{os.urandom(6).hex()}"


@dataclass(frozen=True, slots=True)
class Event:
    """One event: ``type`` (the stable event name), id, environment, customer id, time (epoch ms), payload.

    ``payload`` is the event's JSON object as the webhook's ``data.event`` carries it; treat it as read-only.
    """

    type: ClassVar[str] = ""
    id: str
    environment: str
    customer_id: str
    at: int
    payload: Mapping[str, Any] = field(repr=False)

    @property
    def entitlement(self) -> str | None:
        """The entitlement the event is about (meter and cap events), else None."""
        return None

    @property
    def resets_meter(self) -> bool:
        """Whether the event starts a new meter period (re-arms the threshold notifications of its entitlement)."""
        return False


@dataclass(frozen=True, slots=True)
class MeterEvent(Event):
    """A meter moved, was refused or reset: ``entitlement``, ``plan`` and the ``meter`` reading."""

    entitlement_name: str = ""
    plan: str = ""

    @property
    def entitlement(self) -> str | None:
        return self.entitlement_name

    @property
    def meter(self) -> Mapping[str, Any]:
        meter = self.payload.get("meter")
        return meter if isinstance(meter, Mapping) else {}

    @property
    def value(self) -> float | None:
        return _number(self.meter.get("value"))

    @property
    def limit(self) -> float | None:
        return _number(self.meter.get("limit"))

    @property
    def previous(self) -> float | None:
        """The value before the call (``meter.old``; a refused call's value stays where it was)."""
        old = self.meter.get("old")
        return _number(old) if old is not None else self.value


@dataclass(frozen=True, slots=True)
class MeterChanged(MeterEvent):
    type: ClassVar[str] = "meter-changed"


@dataclass(frozen=True, slots=True)
class MeterOverage(MeterEvent):
    type: ClassVar[str] = "meter-overage"


@dataclass(frozen=True, slots=True)
class MeterLimit(MeterEvent):
    type: ClassVar[str] = "meter-limit"


@dataclass(frozen=True, slots=True)
class MeterGoverned(MeterEvent):
    type: ClassVar[str] = "meter-governed"


@dataclass(frozen=True, slots=True)
class MeterReset(MeterEvent):
    type: ClassVar[str] = "meter-reset"

    @property
    def resets_meter(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class CapLimit(MeterEvent):
    type: ClassVar[str] = "cap-limit"


@dataclass(frozen=True, slots=True)
class CapThresholdCrossed(MeterEvent):
    type: ClassVar[str] = "cap-threshold-crossed"


@dataclass(frozen=True, slots=True)
class CustomerEvent(Event):
    """An event about a customer record as a whole (its payload is the customer, or names it)."""


@dataclass(frozen=True, slots=True)
class CustomerSet(CustomerEvent):
    type: ClassVar[str] = "customer-set"


@dataclass(frozen=True, slots=True)
class CustomerRemoved(CustomerEvent):
    type: ClassVar[str] = "customer-removed"


@dataclass(frozen=True, slots=True)
class CustomerCapAdded(CustomerEvent):
    type: ClassVar[str] = "customer-cap-added"


@dataclass(frozen=True, slots=True)
class CustomerCapReset(CustomerEvent):
    type: ClassVar[str] = "customer-cap-reset"


@dataclass(frozen=True, slots=True)
class CustomerCapRemoved(CustomerEvent):
    type: ClassVar[str] = "customer-cap-removed"


@dataclass(frozen=True, slots=True)
class CustomerPlanChanged(CustomerEvent):
    type: ClassVar[str] = "customer-plan-changed"
    previous_plan: str = ""
    new_plan: str = ""


@dataclass(frozen=True, slots=True)
class CustomerTopupGranted(CustomerEvent):
    type: ClassVar[str] = "customer-topup-granted"
    topup_name: str = ""
    plan_name: str = ""


@dataclass(frozen=True, slots=True)
class PlanSet(Event):
    """A plan was set; it concerns no customer (``customer_id`` is empty)."""

    type: ClassVar[str] = "plan-set"


@dataclass(frozen=True, slots=True)
class PlanRemoved(Event):
    type: ClassVar[str] = "plan-removed"


@dataclass(frozen=True, slots=True)
class SegmentEntered(Event):
    """The customer started matching a segment (payload: ``segment{id,name}``, ``customer``, ``since``)."""

    type: ClassVar[str] = "segment-entered"
    segment_id: str = ""
    segment_name: str = ""


@dataclass(frozen=True, slots=True)
class SegmentExited(Event):
    type: ClassVar[str] = "segment-exited"
    segment_id: str = ""
    segment_name: str = ""


_METER_CLASSES: dict[str, type[MeterEvent]] = {
    cls.type: cls
    for cls in (MeterChanged, MeterOverage, MeterLimit, MeterGoverned, MeterReset, CapLimit, CapThresholdCrossed)
}
_CUSTOMER_CLASSES: dict[str, type[CustomerEvent]] = {
    cls.type: cls for cls in (CustomerSet, CustomerRemoved, CustomerCapAdded, CustomerCapReset, CustomerCapRemoved)
}
_PLAN_CLASSES: dict[str, type[Event]] = {cls.type: cls for cls in (PlanSet, PlanRemoved)}

EVENT_TYPES: frozenset[str] = frozenset(
    {*_METER_CLASSES, *_CUSTOMER_CLASSES, *_PLAN_CLASSES, CustomerPlanChanged.type, CustomerTopupGranted.type,
     SegmentEntered.type, SegmentExited.type}
)
"""Every event type a notification may listen to."""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _customer_of(payload: Mapping[str, Any]) -> str:
    """The customer an engine payload is about: ``customer`` (an id, or the holder object), else its own ``id``."""
    customer = payload.get("customer")
    if isinstance(customer, str):
        return customer
    if isinstance(customer, Mapping):
        return _text(customer.get("id"))
    return _text(payload.get("id"))


def from_policy(name: str, payload: Mapping[str, Any], *, environment: str, at: int, id: str) -> Event | None:
    """The typed event for what the engine sent as ``(name, payload)``; None for a name §3 does not define
    (the Cloud's ``internal-*`` events: this product has no cloud sync)."""
    meter_class = _METER_CLASSES.get(name)
    if meter_class is not None:
        return meter_class(id=id, environment=environment, customer_id=_customer_of(payload), at=at, payload=payload,
                           entitlement_name=_text(payload.get("entitlement")), plan=_text(payload.get("plan")))
    customer_class = _CUSTOMER_CLASSES.get(name)
    if customer_class is not None:
        return customer_class(id=id, environment=environment, customer_id=_customer_of(payload), at=at,
                              payload=payload)
    if name == CustomerPlanChanged.type:
        return CustomerPlanChanged(id=id, environment=environment, customer_id=_customer_of(payload), at=at,
                                   payload=payload, previous_plan=_text(payload.get("previous_plan")),
                                   new_plan=_text(payload.get("new_plan")))
    if name == CustomerTopupGranted.type:
        return CustomerTopupGranted(id=id, environment=environment, customer_id=_customer_of(payload), at=at,
                                    payload=payload, topup_name=_text(payload.get("topup_name")),
                                    plan_name=_text(payload.get("plan_name")))
    plan_class = _PLAN_CLASSES.get(name)
    if plan_class is not None:
        return plan_class(id=id, environment=environment, customer_id="", at=at, payload=payload)
    return None


class EventCollector:
    """A policy subscriber that keeps the typed events of one change, in the order the engine sent them.

    ``clock`` gives the event time (pass the engine's, ``policy.now``, so both agree); ``ids`` the event ids
    (a replay that must keep its ids passes its own).
    """

    __slots__ = ("_clock", "_ids", "environment", "events")

    def __init__(self, environment: str, *, clock: Callable[[], int] | None = None,
                 ids: Callable[[int], str] = new_event_id) -> None:
        self.environment = environment
        self.events: list[Event] = []
        self._clock = clock or (lambda: int(time.time() * 1000))
        self._ids = ids

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        at = self._clock()
        event = from_policy(name, payload, environment=self.environment, at=at, id=self._ids(at))
        if event is not None:
            self.events.append(event)

    def drain(self) -> list[Event]:
        """The events collected so far; the collector starts empty again."""
        events, self.events = self.events, []
        return events
