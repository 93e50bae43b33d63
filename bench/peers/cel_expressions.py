"""The seed conditions written in CEL, shared by the two CEL peers (cel-python and common-expression-language).

CEL has no clock and no policy object here, so the activation carries `now` (epoch ms) and the single policy
reads (`seats_used`, `margin`). Missing keys need `has()`; null is tested with `type(x) == null_type` because
cel-python has no `map != null` overload; numbers are compared as doubles because CEL does not mix int and double.
"""

from __future__ import annotations

from typing import Any

DAY_MS = 86_400_000


def _not_null(path: str) -> str:
    return f"type({path}) != null_type"


def _stamp_after(field: str, operator: str, days: int) -> str:
    path = f"customer.{field}"
    return f"has({path}) && {_not_null(path)} && double({path}) {operator} now - {days * DAY_MS}.0"


# key -> (CEL source, names of the extra activation values it needs)
EXPRESSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "plan-growth": ('has(customer.plan) && customer.plan == "growth"', ()),
    "enterprise-org": (
        'has(customer.plan) && customer.plan == "enterprise" && has(customer.type) && customer.type == "org"',
        (),
    ),
    "metadata-pilot": ('type(data) == map && has(data.internal_tier) && data.internal_tier == "pilot"', ()),
    "recently-created": (_stamp_after("cloud_created", ">", 7), ("now",)),
    "active": (_stamp_after("cloud_updated", ">=", 30), ("now",)),
    "inactive": (_stamp_after("cloud_updated", "<", 30), ("now",)),
    "negative-margin": (f"{_not_null('margin')} && double(margin) < 0.0", ("margin",)),
    "growth-or-enterprise": ('has(customer.plan) && customer.plan in ["growth", "enterprise"]', ()),
    "org-only": ('has(customer.type) && customer.type == "org"', ()),
    "enterprise-seats": (
        'has(customer.type) && customer.type == "org" && has(customer.plan) && customer.plan == "enterprise"'
        f" && {_not_null('seats_used')} && double(seats_used) > 20.0",
        ("seats_used",),
    ),
    "metadata-tag": (
        'type(data) == map && ((has(data.billing_tier) && data.billing_tier == "custom")'
        f" || (has(data.account_manager) && {_not_null('data.account_manager')}))",
        (),
    ),
    "active-grants": (
        "has(customer.grants) && type(customer.grants) == map && size(customer.grants) > 0",
        (),
    ),
}

# Expressible in CEL only with host functions called inside a comprehension, each call repeated for want of a
# local binding (no `cel.bind` in either package): not written.
_LOOP_REASON = (
    "per-meter policy calls in a loop: needs host functions in a comprehension, no cel.bind; not written"
)
NOT_EXPRESSED = {key: _LOOP_REASON for key in ("overage", "hard-limit-imminent", "high-value")}


def extra_values(
    names: tuple[str, ...], customer: dict[str, Any], policy: Any, now_ms: float
) -> dict[str, Any]:
    """The activation values a CEL expression cannot compute itself, read from the clock and the policy."""
    values: dict[str, Any] = {}
    if "now" in names:
        values["now"] = now_ms
    if "seats_used" in names:
        values["seats_used"] = policy.value(customer.get("id"), "seats")
    if "margin" in names:
        snapshot = policy.customer_local_margin_breakdown(customer.get("id"))
        values["margin"] = None if snapshot is None else snapshot.get("margin")
    return values
