"""Policy event names (policy.md §3), subscriber type and the 1e-9 rounding that reads and payloads share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

METER_CHANGED = "meter-changed"
METER_OVERAGE = "meter-overage"
METER_LIMIT = "meter-limit"
METER_RESET = "meter-reset"
CUSTOMER_SET = "customer-set"
CUSTOMER_REMOVED = "customer-removed"
CUSTOMER_PLAN_CHANGED = "customer-plan-changed"
CUSTOMER_TOPUP_GRANTED = "customer-topup-granted"

METER_EVENTS = frozenset({METER_CHANGED, METER_OVERAGE, METER_LIMIT, METER_RESET})

Subscriber = Callable[[str, dict[str, Any]], None]


def round9(value: float) -> float:
    """Round to 1e-9 as the reference does; the result stays a float (whole numbers too)."""
    rounded = round(value, 9)
    return 0.0 if rounded == 0 else float(rounded)


def round9_or_none(value: float | None) -> float | None:
    return None if value is None else round9(value)
