"""The floor: hand-written Python over the same plain dicts and policy reads, as a competent engineer writes it."""

from __future__ import annotations

import time
from typing import Any

from peers import Evaluator, NotExpressible

NAME = "floor (hand-written)"
DAY_MS = 86_400_000


def version() -> str:
    return "-"


def _plan_growth(c: dict[str, Any], policy: Any) -> bool:
    return c.get("plan") == "growth"


def _enterprise_org(c: dict[str, Any], policy: Any) -> bool:
    return c.get("plan") == "enterprise" and c.get("type") == "org"


def _metadata_pilot(c: dict[str, Any], policy: Any) -> bool:
    metadata = c.get("metadata")
    return metadata is not None and metadata.get("internal_tier") == "pilot"


def _recently_created(c: dict[str, Any], policy: Any) -> bool:
    created = c.get("cloud_created")
    return created is not None and created > time.time() * 1000 - 7 * DAY_MS


def _active(c: dict[str, Any], policy: Any) -> bool:
    updated = c.get("cloud_updated")
    return updated is not None and updated >= time.time() * 1000 - 30 * DAY_MS


def _inactive(c: dict[str, Any], policy: Any) -> bool:
    updated = c.get("cloud_updated")
    return updated is not None and updated < time.time() * 1000 - 30 * DAY_MS


def _overage(c: dict[str, Any], policy: Any) -> bool:
    customer_id = c.get("id")
    for name in c["meters"]:
        ent = policy.entitlement(customer_id, name)
        if ent is not None:
            limit_obj = ent.get("limit")
            if limit_obj is not None and limit_obj.get("mode") == "soft":
                limit = policy.limit(customer_id, name)
                current = policy.value(customer_id, name)
                if limit is not None and current is not None and current > limit:
                    return True
    return False


def _hard_limit_imminent(c: dict[str, Any], policy: Any) -> bool:
    customer_id = c.get("id")
    for name in c["meters"]:
        ent = policy.entitlement(customer_id, name)
        if ent is not None:
            limit_obj = ent.get("limit")
            if limit_obj is not None and limit_obj.get("mode") == "hard":
                limit = policy.limit(customer_id, name)
                current = policy.value(customer_id, name)
                if limit is not None and current is not None and current >= limit * 0.9:
                    return True
    return False


def _high_value(c: dict[str, Any], policy: Any) -> bool:
    customer_id = c.get("id")
    for name in c["meters"]:
        ent = policy.entitlement(customer_id, name)
        if ent is not None:
            limit_obj = ent.get("limit")
            if limit_obj is not None and limit_obj.get("mode") == "hard":
                pct = policy.value(customer_id, name, True)
                if pct is not None and pct >= 80:
                    return True
    return False


def _negative_margin(c: dict[str, Any], policy: Any) -> bool:
    snapshot = policy.customer_local_margin_breakdown(c.get("id"))
    margin = None if snapshot is None else snapshot.get("margin")
    return (0 if margin is None else margin) < 0


def _growth_or_enterprise(c: dict[str, Any], policy: Any) -> bool:
    plan = c.get("plan")
    return plan == "growth" or plan == "enterprise"


def _org_only(c: dict[str, Any], policy: Any) -> bool:
    return c.get("type") == "org"


def _enterprise_seats(c: dict[str, Any], policy: Any) -> bool:
    if c.get("type") != "org" or c.get("plan") != "enterprise":
        return False
    seats = policy.value(c.get("id"), "seats")
    return (0 if seats is None else seats) > 20


def _metadata_tag(c: dict[str, Any], policy: Any) -> bool:
    metadata = c.get("metadata")
    if metadata is None:
        return False
    return metadata.get("billing_tier") == "custom" or metadata.get("account_manager") is not None


def _active_grants(c: dict[str, Any], policy: Any) -> bool:
    grants = c.get("grants")
    return grants is not None and len(grants) > 0


_FLOORS: dict[str, Evaluator] = {
    "plan-growth": _plan_growth,
    "enterprise-org": _enterprise_org,
    "metadata-pilot": _metadata_pilot,
    "recently-created": _recently_created,
    "active": _active,
    "inactive": _inactive,
    "overage": _overage,
    "hard-limit-imminent": _hard_limit_imminent,
    "negative-margin": _negative_margin,
    "growth-or-enterprise": _growth_or_enterprise,
    "org-only": _org_only,
    "enterprise-seats": _enterprise_seats,
    "metadata-tag": _metadata_tag,
    "active-grants": _active_grants,
    "high-value": _high_value,
}


def prepare(key: str) -> Evaluator | NotExpressible:
    return _FLOORS[key]
