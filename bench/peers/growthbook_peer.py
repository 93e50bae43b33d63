"""growthbook: Mongo-style targeting conditions evaluated by `growthbook.evalCondition` over an attributes dict.

Time and policy reads cannot be written in a condition, so the attributes carry them, computed from the plain
customer and the policy per evaluation (what a user of the library would do).
"""

from __future__ import annotations

import time
from importlib.metadata import version as package_version
from typing import Any

from growthbook.core import evalCondition

from peers import LOOP_REASON, Evaluator, NotExpressible

NAME = "growthbook"
DAY_MS = 86_400_000


def version() -> str:
    return package_version("growthbook")


def _plain(condition: dict[str, Any]) -> Evaluator:
    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        return evalCondition({"customer": customer, "data": customer.get("metadata")}, condition)

    return evaluate


def _age(field: str, condition: dict[str, Any]) -> Evaluator:
    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        stamp = customer.get(field)
        age = None if stamp is None else time.time() * 1000 - stamp
        return evalCondition({"customer": customer, "age_ms": age}, condition)

    return evaluate


def _enterprise_seats(customer: dict[str, Any], policy: Any) -> bool:
    seats = policy.value(customer.get("id"), "seats")  # null is not > 20, as `(null ?? 0) > 20` is false
    return evalCondition(
        {"customer": customer, "seats_used": seats},
        {"customer.type": "org", "customer.plan": "enterprise", "seats_used": {"$gt": 20}},
    )


def _negative_margin(customer: dict[str, Any], policy: Any) -> bool:
    snapshot = policy.customer_local_margin_breakdown(customer.get("id"))
    margin = None if snapshot is None else snapshot.get("margin")
    # a null margin is not < 0, as `(null ?? 0) < 0` is false
    return evalCondition({"margin": margin}, {"margin": {"$lt": 0}})


def _active_grants(customer: dict[str, Any], policy: Any) -> bool:
    # `$size` counts arrays only and `$ne: {}` compares objects by identity: the count is an attribute
    grants = customer.get("grants")
    return evalCondition(
        {"grant_count": None if grants is None else len(grants)}, {"grant_count": {"$gt": 0}}
    )


def prepare(key: str) -> Evaluator | NotExpressible:
    if key in ("overage", "hard-limit-imminent", "high-value"):
        return NotExpressible(LOOP_REASON)
    plain = {
        "plan-growth": {"customer.plan": "growth"},
        "enterprise-org": {"customer.plan": "enterprise", "customer.type": "org"},
        "metadata-pilot": {"data.internal_tier": "pilot"},
        "growth-or-enterprise": {"customer.plan": {"$in": ["growth", "enterprise"]}},
        "org-only": {"customer.type": "org"},
        "metadata-tag": {
            "$or": [{"data.billing_tier": "custom"}, {"data.account_manager": {"$exists": True}}]
        },
    }
    if key in plain:
        return _plain(plain[key])
    if key == "recently-created":
        return _age("cloud_created", {"age_ms": {"$lt": 7 * DAY_MS}})
    if key == "active":
        return _age("cloud_updated", {"age_ms": {"$lte": 30 * DAY_MS}})
    if key == "inactive":
        return _age("cloud_updated", {"age_ms": {"$gt": 30 * DAY_MS}})
    if key == "enterprise-seats":
        return _enterprise_seats
    if key == "negative-margin":
        return _negative_margin
    if key == "active-grants":
        return _active_grants
    raise KeyError(key)
