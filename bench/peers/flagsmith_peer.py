"""flagsmith-flag-engine: a segment (rules of trait conditions) evaluated by `flag_engine.engine.get_evaluation_result`.

Per evaluation, the plain customer becomes an identity with flat traits (plan, type, label, each metadata key as
`data.<key>`), plus the values a segment rule cannot compute itself (ages, policy reads, grant count); the
evaluation context carries the one segment, and the customer matches when that segment is in the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.metadata import version as package_version
from typing import Any

from flag_engine.engine import get_evaluation_result

from peers import LOOP_REASON, Evaluator, NotExpressible

NAME = "flagsmith-flag-engine"
DAY_MS = 86_400_000
_ENVIRONMENT = {"key": "bench-env", "name": "bench"}

ExtraTraits = Callable[[dict[str, Any], Any], dict[str, Any]]


def version() -> str:
    return package_version("flagsmith-flag-engine")


def _condition(trait: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"property": trait, "operator": operator, "value": value}


def _base_traits(customer: dict[str, Any]) -> dict[str, Any]:
    traits = {"plan": customer.get("plan"), "type": customer.get("type"), "label": customer.get("label")}
    metadata = customer.get("metadata")
    if metadata:
        for key, value in metadata.items():
            traits["data." + key] = value
    return traits


def _no_extras(customer: dict[str, Any], policy: Any) -> dict[str, Any]:
    return {}


def _age_of(field: str) -> ExtraTraits:
    def extras(customer: dict[str, Any], policy: Any) -> dict[str, Any]:
        stamp = customer.get(field)
        return {"age_ms": None if stamp is None else time.time() * 1000 - stamp}

    return extras


def _seats(customer: dict[str, Any], policy: Any) -> dict[str, Any]:
    return {"seats_used": policy.value(customer.get("id"), "seats")}


def _margin(customer: dict[str, Any], policy: Any) -> dict[str, Any]:
    snapshot = policy.customer_local_margin_breakdown(customer.get("id"))
    return {"margin": None if snapshot is None else snapshot.get("margin")}


def _grant_count(customer: dict[str, Any], policy: Any) -> dict[str, Any]:
    grants = customer.get("grants")
    return {"grant_count": None if grants is None else len(grants)}


def _segment_evaluator(
    key: str, rule_type: str, conditions: list[dict[str, Any]], extras: ExtraTraits
) -> Evaluator:
    segments = {key: {"key": key, "name": key, "rules": [{"type": rule_type, "conditions": conditions}]}}

    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        traits = _base_traits(customer)
        traits.update(extras(customer, policy))
        context: Any = {
            "environment": _ENVIRONMENT,
            "identity": {"identifier": str(customer.get("id")), "traits": traits},
            "segments": segments,
        }
        return bool(get_evaluation_result(context)["segments"])

    return evaluate


def prepare(key: str) -> Evaluator | NotExpressible:
    if key in ("overage", "hard-limit-imminent", "high-value"):
        return NotExpressible(LOOP_REASON)
    # (rule type, conditions, extra traits); a null trait never matches a comparison, as null never does in Stof.
    segments: dict[str, tuple[str, list[dict[str, Any]], ExtraTraits]] = {
        "plan-growth": ("ALL", [_condition("plan", "EQUAL", "growth")], _no_extras),
        "enterprise-org": (
            "ALL",
            [_condition("plan", "EQUAL", "enterprise"), _condition("type", "EQUAL", "org")],
            _no_extras,
        ),
        "metadata-pilot": ("ALL", [_condition("data.internal_tier", "EQUAL", "pilot")], _no_extras),
        "growth-or-enterprise": ("ALL", [_condition("plan", "IN", ["growth", "enterprise"])], _no_extras),
        "org-only": ("ALL", [_condition("type", "EQUAL", "org")], _no_extras),
        "metadata-tag": (
            "ANY",
            [
                _condition("data.billing_tier", "EQUAL", "custom"),
                _condition("data.account_manager", "IS_SET"),
            ],
            _no_extras,
        ),
        "active-grants": ("ALL", [_condition("grant_count", "GREATER_THAN", "0")], _grant_count),
        "recently-created": (
            "ALL",
            [_condition("age_ms", "LESS_THAN", str(7 * DAY_MS))],
            _age_of("cloud_created"),
        ),
        "active": (
            "ALL",
            [_condition("age_ms", "LESS_THAN_INCLUSIVE", str(30 * DAY_MS))],
            _age_of("cloud_updated"),
        ),
        "inactive": (
            "ALL",
            [_condition("age_ms", "GREATER_THAN", str(30 * DAY_MS))],
            _age_of("cloud_updated"),
        ),
        "enterprise-seats": (
            "ALL",
            [
                _condition("type", "EQUAL", "org"),
                _condition("plan", "EQUAL", "enterprise"),
                _condition("seats_used", "GREATER_THAN", "20"),
            ],
            _seats,
        ),
        "negative-margin": ("ALL", [_condition("margin", "LESS_THAN", "0")], _margin),
    }
    rule_type, conditions, extras = segments[key]
    return _segment_evaluator(key, rule_type, conditions, extras)
