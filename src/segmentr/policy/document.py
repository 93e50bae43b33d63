"""Loading and validating a Limitr policy document: defaults filled, unknown fields kept, errors listed by path."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from typing import Any

from segmentr.stof.units import convert, parse_quantity

from .customer import CustomerRules, customer_problems, fill_customer
from .errors import PolicyDocumentError
from .price_models import GRANT_STRATEGIES, PRICING_MODELS
from .schedule import DEFAULT_RESET_INC, parse_schedule

LIMIT_MODES = ("hard", "soft", "observe")
RESET_MODES = ("hard", "add", "rollover")
PLAN_PERIODS = {"monthly": 30, "yearly": 365, "weekly": 7, "daily": 1}
_BASE_CURRENCIES = ("rune", "usd")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def quantity(value: Any, unit: str | None = None) -> float | None:
    """A number or a Stof unit string (`"1GB"`) as a float in `unit` (no conversion for 'float'/'int'/None)."""
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        parsed = parse_quantity(value)
        if parsed is None:
            return None
        number, from_unit = parsed
        if from_unit is None or unit in (None, "float", "int", "") or unit == from_unit:
            return float(number)
        try:
            return float(convert(number, from_unit, unit))
        except (ValueError, KeyError, TypeError):
            return None
    return None


def duration_ms(value: Any) -> int | None:
    """A duration as integer ms: a number (ms) or a unit string such as `"30days"`; None when invalid."""
    if is_number(value):
        return int(value)
    if isinstance(value, str):
        parsed = parse_quantity(value)
        if parsed is None:
            return None
        number, unit = parsed
        if unit is None:
            return int(number)
        try:
            return int(convert(number, unit, "ms"))
        except (ValueError, KeyError, TypeError):
            return None
    return None


def read_document(source: Any) -> dict[str, Any]:
    """The `policy` object of a document given as a mapping, JSON text or YAML text (deep-copied)."""
    if isinstance(source, bytes | bytearray):
        source = source.decode("utf-8")
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError:
            import yaml  # YAML only when the text is not JSON

            source = yaml.safe_load(source)
    if not isinstance(source, Mapping):
        raise PolicyDocumentError(["policy: expected an object"])
    inner = source.get("policy", source) if "policy" in source and isinstance(source.get("policy"), Mapping) \
        else source
    return copy.deepcopy(dict(inner))


class _Checker:
    """Walks a document, fills defaults in place and collects problems by path."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.located: list[tuple[str, str]] = []  # the same problems as (path, message), for structured callers

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")
        self.located.append((path, message))

    def obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
        value = parent.get(key)
        if value is None:
            parent[key] = {}
            return parent[key]
        if not isinstance(value, dict):
            self.fail(path, "expected an object")
            return {}
        return value

    def field(self, obj: dict[str, Any], key: str, path: str, kind: str, default: Any = None,
              choices: tuple[str, ...] | None = None, nullable: bool = True) -> Any:
        if obj.get(key) is None:
            if not nullable:
                self.fail(f"{path}.{key}", "required")
            obj[key] = default
            return default
        value = obj[key]
        ok = {
            "str": isinstance(value, str),
            "bool": isinstance(value, bool),
            "number": is_number(value),
            "quantity": quantity(value) is not None,
            "duration": duration_ms(value) is not None,
            "list": isinstance(value, list),
            "object": isinstance(value, dict),
        }[kind]
        if not ok:
            self.fail(f"{path}.{key}", f"expected {_KIND_NAMES[kind]}, got {json.dumps(value, default=str)}")
        elif choices is not None and value not in choices:
            self.fail(f"{path}.{key}", f"expected one of {', '.join(choices)}")
        return value


_KIND_NAMES = {
    "str": "a string", "bool": "a boolean", "number": "a number", "list": "a list", "object": "an object",
    "quantity": "a number or a unit string such as '1GB'", "duration": "ms or a duration such as '30days'",
}


def _check_price(check: _Checker, price: Any, path: str) -> None:
    if price is None:
        return
    if not isinstance(price, dict) or not is_number(price.get("amount")):
        check.fail(f"{path}", "expected an object with a numeric amount")
    elif not math.isfinite(price["amount"]):
        check.fail(f"{path}.amount", "must be a finite number")
    elif price["amount"] < 0:
        check.fail(f"{path}.amount", "must be >= 0")


def _check_credit(check: _Checker, credit: dict[str, Any], path: str) -> None:
    check.field(credit, "unit", path, "str", "credit")
    check.field(credit, "label", path, "str", "Credit")
    check.field(credit, "description", path, "str", "")
    check.field(credit, "resets", path, "bool", False)
    cost = check.field(credit, "overhead_cost", path, "number", 0)
    if is_number(cost) and cost < 0:
        check.fail(f"{path}.overhead_cost", "must be >= 0")
    model = check.field(credit, "pricing_model", path, "str", "flat", PRICING_MODELS)
    check.field(credit, "stof_units", path, "str", "float")
    _check_price_and_tiers(check, credit, model, path)


def _check_price_and_tiers(check: _Checker, credit: dict[str, Any], model: Any, path: str) -> None:
    """A credit's `price` and `tiers` under its pricing model (the one definition of a credit's price)."""
    _check_price(check, credit.get("price"), f"{path}.price")
    credit.setdefault("price", None)
    tiers = credit.get("tiers")
    if tiers is None:
        credit["tiers"] = None
        if model in ("tiered", "volume", "stairstep"):
            check.fail(f"{path}.tiers", f"required by pricing_model {model}")
        return
    if not isinstance(tiers, list) or not tiers:
        check.fail(f"{path}.tiers", "expected a non-empty list")
        return
    for index, tier in enumerate(tiers):
        tier_path = f"{path}.tiers.{index}"
        if not isinstance(tier, dict):
            check.fail(tier_path, "expected an object")
            continue
        if tier.get("up_to") is not None and not is_number(tier["up_to"]):
            check.fail(f"{tier_path}.up_to", "expected a number")
        _check_price(check, tier.get("price"), f"{tier_path}.price")
        if tier.get("price") is None:
            check.fail(f"{tier_path}.price", "required")
    if all(isinstance(t, dict) and (t.get("up_to") is None or is_number(t["up_to"])) for t in tiers):
        tiers.sort(key=lambda t: float("inf") if t.get("up_to") is None else t["up_to"])
        open_bands = [t for t in tiers if t.get("up_to") is None]
        if len(open_bands) > 1:
            check.fail(f"{path}.tiers", "only the last tier may omit up_to")


def price_problems(price: Any, path: str) -> list[tuple[str, str]]:
    """The problems of a `{"amount": x}` price (a flat credit's or a topup's), as (path, message)."""
    check = _Checker()
    if price is None:
        check.fail(path, "expected an object with a numeric amount")
    _check_price(check, price, path)
    return check.located


def price_model_problems(credit_pricing: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """Validate `{pricing_model, price?, tiers?}` as a credit holds it (in place: defaults filled, tiers sorted);
    the problems as (path, message)."""
    check = _Checker()
    model = check.field(credit_pricing, "pricing_model", path, "str", "flat", PRICING_MODELS)
    _check_price_and_tiers(check, credit_pricing, model, path)
    return check.located


def _check_resets(check: _Checker, obj: dict[str, Any], path: str) -> None:
    resets = check.field(obj, "resets", path, "bool", False)
    check.field(obj, "reset_inc", path, "duration", None)
    schedule = check.field(obj, "reset_sch", path, "str", None)
    if isinstance(schedule, str):
        try:
            parse_schedule(schedule)
        except ValueError as error:
            check.fail(f"{path}.reset_sch", str(error))
        if obj.get("reset_inc") is not None:
            check.fail(path, "reset_inc and reset_sch are exclusive")
    elif resets is True and obj.get("reset_inc") is None:
        obj["reset_inc"] = DEFAULT_RESET_INC


def _check_if_present(check: _Checker, obj: dict[str, Any], key: str, path: str, kind: str) -> None:
    """Type-check an optional field without adding it (so documents that omit it round-trip unchanged)."""
    if obj.get(key) is not None:
        check.field(obj, key, path, kind)


def check_limit(check: _Checker, limit: dict[str, Any], path: str, credits: Mapping[str, Any]) -> None:
    credit = check.field(limit, "credit", path, "str", None, nullable=False)
    if isinstance(credit, str) and credit not in credits:
        check.fail(f"{path}.credit", f"unknown credit {credit!r}")
    check.field(limit, "mode", path, "str", "hard", LIMIT_MODES)
    check.field(limit, "value", path, "quantity", 0)
    check.field(limit, "increment", path, "quantity", 1)
    check.field(limit, "minimum", path, "quantity", None)
    check.field(limit, "hard_trailing", path, "bool", False)
    check.field(limit, "grants_apply", path, "bool", True)
    _check_resets(check, limit, path)
    for key, kind in (("ewma_alpha", "number"), ("governor_enabled", "bool"), ("governor_capacity", "number"),
                      ("governor_refill_rate", "number")):
        _check_if_present(check, limit, key, path, kind)
    alpha = limit.get("ewma_alpha")
    if is_number(alpha) and not 0 < alpha <= 1:
        check.fail(f"{path}.ewma_alpha", "must be in (0, 1]")
    if "override_expires_on" in limit:
        check.field(limit, "override_expires_on", path, "number", None)


def limit_problems(limit: dict[str, Any], credits: Mapping[str, Any], path: str = "limit") -> list[str]:
    """Validate one limit dict in place (defaults filled); the problems found, by path."""
    check = _Checker()
    check_limit(check, limit, path, credits)
    return check.problems


def _check_plan(check: _Checker, plan: dict[str, Any], path: str, credits: Mapping[str, Any]) -> None:
    check.field(plan, "label", path, "str", "")
    period = plan.get("period", "monthly")
    if period is None:
        period = "monthly"
    plan["period"] = period
    if not (period in PLAN_PERIODS or duration_ms(period) is not None):
        check.fail(f"{path}.period", f"expected one of {', '.join(PLAN_PERIODS)} or a duration")
    check.field(plan, "subscription", path, "str", "subscription")
    check.field(plan, "trial_period", path, "duration", None)
    check.field(plan, "hidden", path, "bool", False)
    check.field(plan, "default", path, "bool", False)
    entitlements = check.obj(plan, "entitlements", f"{path}.entitlements")
    for name, ent in entitlements.items():
        ent_path = f"{path}.entitlements.{name}"
        if ent is None:
            entitlements[name] = ent = {}
        if not isinstance(ent, dict):
            check.fail(ent_path, "expected an object")
            continue
        check.field(ent, "description", ent_path, "str", "")
        check.field(ent, "hidden", ent_path, "bool", False)
        check.field(ent, "scope", ent_path, "str", None)
        limit = ent.get("limit")
        ent.setdefault("limit", None)
        if limit is not None:
            if isinstance(limit, dict):
                check_limit(check, limit, f"{ent_path}.limit", credits)
            else:
                check.fail(f"{ent_path}.limit", "expected an object or null")
    topups = check.obj(plan, "topups", f"{path}.topups")
    for name, topup in topups.items():
        top_path = f"{path}.topups.{name}"
        if not isinstance(topup, dict):
            check.fail(top_path, "expected an object")
            continue
        credit = check.field(topup, "credit", top_path, "str", None, nullable=False)
        if isinstance(credit, str) and credit not in credits:
            check.fail(f"{top_path}.credit", f"unknown credit {credit!r}")
        check.field(topup, "value", top_path, "quantity", 0)
        check.field(topup, "description", top_path, "str", "")
        _check_price(check, topup.get("price"), f"{top_path}.price")
        topup.setdefault("price", None)
        check.field(topup, "included", top_path, "bool", False)
        scopes = check.field(topup, "included_scopes", top_path, "list", None)
        if isinstance(scopes, list) and not all(isinstance(s, str) for s in scopes):
            check.fail(f"{top_path}.included_scopes", "expected a list of strings")
        _check_resets(check, topup, top_path)
        check.field(topup, "max_balance", top_path, "number", None)
        check.field(topup, "reset_catchup_cap", top_path, "number", None)
        check.field(topup, "expires_after", top_path, "duration", None)
        check.field(topup, "reset_mode", top_path, "str", "hard", RESET_MODES)
        for key, kind in (("rollover_pct", "number"), ("pct", "number"), ("rollover_min", "quantity"),
                          ("rollover_max", "quantity")):
            _check_if_present(check, topup, key, top_path, kind)
        for key in ("rollover_pct", "pct", "reset_catchup_cap"):
            if is_number(topup.get(key)) and topup[key] < 0:
                check.fail(f"{top_path}.{key}", "must be >= 0")


def _check_exchange(check: _Checker, exchange: dict[str, Any], credits: Mapping[str, Any]) -> None:
    check.field(exchange, "grant_strategy", "exchange", "str", "expires_first", GRANT_STRATEGIES)
    pairs: dict[str, str] = {}
    for name, pair in exchange.items():
        if name == "grant_strategy":
            continue
        path = f"exchange.{name}"
        if name not in credits:
            check.fail(path, f"unknown credit {name!r}")
        if not isinstance(pair, dict):
            check.fail(path, "expected an object {value, currency}")
            continue
        value = pair.get("value")
        if not is_number(value) or value < 0:
            check.fail(f"{path}.value", "expected a number >= 0")
        currency = pair.get("currency")
        if not isinstance(currency, str):
            check.fail(f"{path}.currency", "expected a string")
            continue
        if currency not in credits and currency not in _BASE_CURRENCIES:
            check.fail(f"{path}.currency", f"unknown currency {currency!r}")
        pairs[name] = currency
    for name in pairs:  # every pair must reach runes (or a priced credit) without a cycle
        seen = {name}
        current = pairs[name]
        while current in pairs:
            if current in seen:
                check.fail(f"exchange.{name}", "exchange pairs form a cycle")
                break
            seen.add(current)
            current = pairs[current]


def _check_customer(check: _Checker, customer: Any, path: str, name: str,
                    credits: Mapping[str, Any], plans: Mapping[str, Any]) -> None:
    """One carried customer, by the customer record's own checks (``customer.py``); overrides filled in place."""
    if not isinstance(customer, dict):
        check.fail(path, "expected an object")
        return
    fill_customer(customer, name)
    rules = CustomerRules(plans=frozenset(plans), credits=frozenset(credits))
    check.problems.extend(customer_problems(customer, rules, path=path, in_place=True))


def validate_document(source: Any) -> dict[str, Any]:
    """The normalised `policy` object of `source`: defaults filled, tiers sorted, unknown fields kept.

    Raises PolicyDocumentError listing every problem by path.
    """
    policy = read_document(source)
    check = _Checker()
    credits = check.obj(policy, "credits", "credits")
    for name, credit in credits.items():
        if not isinstance(credit, dict):
            check.fail(f"credits.{name}", "expected an object")
            continue
        _check_credit(check, credit, f"credits.{name}")
    exchange = check.obj(policy, "exchange", "exchange")
    _check_exchange(check, exchange, credits)
    plans = check.obj(policy, "plans", "plans")
    for name, plan in plans.items():
        if plan is None:
            plans[name] = plan = {}
        if not isinstance(plan, dict):
            check.fail(f"plans.{name}", "expected an object")
            continue
        _check_plan(check, plan, f"plans.{name}", credits)
    customers = check.obj(policy, "customers", "customers")
    for name, customer in customers.items():
        _check_customer(check, customer, f"customers.{name}", name, credits, plans)
    alt_ids = policy.get("alt_customer_ids")
    if alt_ids is not None and not isinstance(alt_ids, dict):
        check.fail("alt_customer_ids", "expected an object")
    if check.problems:
        raise PolicyDocumentError(check.problems)
    return policy
