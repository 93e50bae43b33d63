"""What the report service returns: pages of customers, the customer detail, margins, usage, the roll-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CustomerList",
    "CustomerReport",
    "CustomerSummary",
    "EntitlementUsage",
    "EventSummary",
    "GrantReading",
    "MarginPage",
    "MarginRow",
    "MarginTotals",
    "MeterReading",
    "Rollup",
    "SegmentFilter",
    "SegmentMembership",
    "UsagePage",
    "UsageRow",
    "UsageSeries",
]

@dataclass(frozen=True, slots=True)
class SegmentFilter:
    """The active segment a report is filtered by; ``sql`` when it ran as SQL, else it was evaluated."""

    id: str
    name: str
    version: int
    sql: bool


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    id: str
    label: str
    plan: str
    type: str
    email: str | None
    created: int


@dataclass(frozen=True, slots=True)
class CustomerList:
    """A page of customers; pass ``next_cursor`` as ``after`` for the next one (None: this is the last)."""

    rows: list[CustomerSummary]
    next_cursor: str | None
    segment: SegmentFilter | None
    search: str | None
    scanned: int = 0
    errors: int = 0
    partial: bool = False


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One entitlement of the customer's plan now: usage against the limit (None: observed or unlimited)."""

    entitlement: str
    credit: str | None
    unit: str
    mode: str | None
    value: float
    limit: float | None
    percent: float | None
    resets: bool


@dataclass(frozen=True, slots=True)
class GrantReading:
    id: str
    credit: str
    topup: str | None
    value: float
    starting_value: float | None
    granted_on: int | None
    expires_on: int | None


@dataclass(frozen=True, slots=True)
class SegmentMembership:
    id: str
    name: str
    matched: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class CustomerReport:
    """The customer detail: the record, meters against limits, grants, margin snapshot, segments it is in."""

    customer: dict[str, Any]
    meters: list[MeterReading]
    grants: list[GrantReading]
    margin: dict[str, Any] | None
    segments: list[SegmentMembership]
    active: SegmentFilter | None
    # whether the customer is in the active segment (None: no active segment)
    in_active: bool | None


@dataclass(frozen=True, slots=True)
class MarginRow:
    id: str
    label: str
    plan: str
    revenue: float
    cost: float
    # percent; None when the customer has no plan (no snapshot)
    margin: float | None


@dataclass(frozen=True, slots=True)
class MarginPage:
    rows: list[MarginRow]
    next_cursor: str | None
    segment: SegmentFilter | None
    search: str | None
    scanned: int = 0
    errors: int = 0
    partial: bool = False


@dataclass(frozen=True, slots=True)
class MarginTotals:
    """Revenue, cost and margin over the segment's members; ``buckets``: (lower bound %, customers) of the
    customers with revenue; ``lowest``: the members with the lowest margin (then the highest cost)."""

    customers: int
    revenue: float
    cost: float
    margin: float | None
    without_revenue: int
    buckets: list[tuple[int, int]]
    lowest: list[MarginRow]


@dataclass(frozen=True, slots=True)
class EntitlementUsage:
    """One entitlement over the segment's members on a plan that has it.

    ``limited``: members with a limit; ``near``: at 80 % or more (under 100 %); ``over``: at or past the limit;
    ``distribution``: members per 10-point bucket of % of limit (the last bucket is 100 % and more); ``top``: the
    members nearest or past their limit, as (customer id, value, limit, percent).
    """

    entitlement: str
    unit: str
    customers: int
    used: float
    # the usage of the members with a limit (what ``limit_total`` is compared with)
    used_limited: float
    limited: int
    limit_total: float
    near: int
    over: int
    distribution: list[int]
    top: list[tuple[str, float, float, float]]


@dataclass(frozen=True, slots=True)
class Rollup:
    """Every total of a segment in one environment, from one streamed pass."""

    environment: str
    segment: SegmentFilter | None
    members: int
    errors: int
    margin: MarginTotals
    usage: list[EntitlementUsage]
    computed_at: int
    took_ms: float
    cached: bool = False
    # served from the cache although customers changed since ``computed_at`` (within the fresh window)
    stale: bool = False


@dataclass(frozen=True, slots=True)
class UsageRow:
    id: str
    label: str
    plan: str
    reading: MeterReading | None


@dataclass(frozen=True, slots=True)
class UsagePage:
    entitlement: str
    rows: list[UsageRow]
    next_cursor: str | None
    segment: SegmentFilter | None
    search: str | None
    scanned: int = 0
    errors: int = 0
    partial: bool = False


@dataclass(frozen=True, slots=True)
class UsageSeries:
    """Usage of one entitlement over time: ``x`` epoch seconds, ``values`` the summed usage in each bucket."""

    entitlement: str
    x: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    # the bucket's width (ms); how many customers' usage was summed
    width_ms: int = 0
    customers: int = 0
    # an evaluated segment with more customers in the window than one request evaluates: the first ones by id
    partial: bool = False


@dataclass(frozen=True, slots=True)
class EventSummary:
    """One event of a customer as the detail lists it: ``type`` (``meter-overage``…), when, a short summary."""

    type: str
    at: int
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
