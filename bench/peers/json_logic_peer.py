"""panzi-json-logic: JsonLogic rules evaluated by `json_logic.jsonLogic` over a data dict.

JsonLogic has no clock, no policy calls and no object size, so the data carries `now`, the policy reads and the
grant count, computed per evaluation from the plain customer.
"""

from __future__ import annotations

import time
from importlib.metadata import version as package_version
from typing import Any

from json_logic import jsonLogic

from peers import LOOP_REASON, Evaluator, NotExpressible

NAME = "panzi-json-logic"
DAY_MS = 86_400_000


def version() -> str:
    return package_version("panzi-json-logic")


def _var(path: str) -> dict[str, Any]:
    return {"var": path}


def _is(path: str, value: Any) -> dict[str, Any]:
    return {"===": [_var(path), value]}


def _plain(rule: dict[str, Any]) -> Evaluator:
    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        return jsonLogic(rule, {"customer": customer, "data": customer.get("metadata")}) is True

    return evaluate


def _timed(rule: dict[str, Any]) -> Evaluator:
    def evaluate(customer: dict[str, Any], policy: Any) -> bool:
        return jsonLogic(rule, {"customer": customer, "now": time.time() * 1000}) is True

    return evaluate


def _time_rule(field: str, operator: str, days: int) -> dict[str, Any]:
    path = f"customer.{field}"
    cutoff = {"-": [_var("now"), days * DAY_MS]}
    return {"and": [{"!==": [_var(path), None]}, {operator: [_var(path), cutoff]}]}


_SEATS_RULE = {
    "and": [_is("customer.type", "org"), _is("customer.plan", "enterprise"), {">": [_var("seats_used"), 20]}]
}


def _enterprise_seats(customer: dict[str, Any], policy: Any) -> bool:
    seats = policy.value(customer.get("id"), "seats")
    return jsonLogic(_SEATS_RULE, {"customer": customer, "seats_used": 0 if seats is None else seats}) is True


_MARGIN_RULE = {"<": [{"var": ["margin", 0]}, 0]}


def _negative_margin(customer: dict[str, Any], policy: Any) -> bool:
    snapshot = policy.customer_local_margin_breakdown(customer.get("id"))
    margin = None if snapshot is None else snapshot.get("margin")
    return jsonLogic(_MARGIN_RULE, {"margin": margin}) is True


_GRANTS_RULE = {">": [_var("grant_count"), 0]}


def _active_grants(customer: dict[str, Any], policy: Any) -> bool:
    grants = customer.get("grants")
    return jsonLogic(_GRANTS_RULE, {"grant_count": None if grants is None else len(grants)}) is True


def prepare(key: str) -> Evaluator | NotExpressible:
    if key in ("overage", "hard-limit-imminent", "high-value"):
        return NotExpressible(LOOP_REASON)
    plain = {
        "plan-growth": _is("customer.plan", "growth"),
        "enterprise-org": {"and": [_is("customer.plan", "enterprise"), _is("customer.type", "org")]},
        "metadata-pilot": _is("data.internal_tier", "pilot"),
        "growth-or-enterprise": {"in": [_var("customer.plan"), ["growth", "enterprise"]]},
        "org-only": _is("customer.type", "org"),
        "metadata-tag": {
            "or": [_is("data.billing_tier", "custom"), {"!==": [_var("data.account_manager"), None]}]
        },
    }
    if key in plain:
        return _plain(plain[key])
    timed = {
        "recently-created": _time_rule("cloud_created", ">", 7),
        "active": _time_rule("cloud_updated", ">=", 30),
        "inactive": _time_rule("cloud_updated", "<", 30),
    }
    if key in timed:
        return _timed(timed[key])
    if key == "enterprise-seats":
        return _enterprise_seats
    if key == "negative-margin":
        return _negative_margin
    if key == "active-grants":
        return _active_grants
    raise KeyError(key)
