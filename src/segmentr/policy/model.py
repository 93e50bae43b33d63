"""Compiled, read-only structures of a validated policy document: credits, limits, entitlements, topups, plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .document import PLAN_PERIODS, duration_ms, quantity
from .price_models import Exchange, Pricing, compile_price
from .schedule import DAY_MS, Schedule, parse_schedule


@dataclass(frozen=True, slots=True)
class Credit:
    name: str
    overhead_cost: float
    pricing: Pricing | None  # None: unpriced
    stof_units: str
    raw: dict[str, Any]

    def units(self, value: Any) -> float:
        """A call's value (number or unit string) in this credit's units."""
        if isinstance(value, float):
            return value
        converted = quantity(value, self.stof_units)
        if converted is None:
            raise ValueError(f"not a quantity: {value!r}")
        return converted


@dataclass(frozen=True, slots=True)
class Limit:
    credit: str
    mode: str
    value: float
    increment: float
    minimum: float | None
    hard_trailing: bool
    grants_apply: bool
    resets: bool
    reset_inc: int | None
    reset_sch: Schedule | None
    expires_on: int | None
    raw: dict[str, Any]
    ewma_alpha: float = 0.2  # weight of the newest sample in the meter's `ewma_rate`
    governor_enabled: bool = False
    governor_capacity: float | None = None
    governor_refill_rate: float = 0.0  # tokens per ms


@dataclass(frozen=True, slots=True)
class Entitlement:
    name: str
    limit: Limit | None
    scope: str | None
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Topup:
    name: str
    credit: str
    value: float
    included: bool
    included_scopes: tuple[str, ...] | None
    expires_after: int | None
    raw: dict[str, Any]
    reset_mode: str = "hard"
    rollover_pct: float = 1.0  # share of the balance a rollover carries (Limitr's `rollover_pct`; `pct` accepted)
    rollover_min: float | None = None
    rollover_max: float | None = None
    max_balance: float | None = None
    reset_catchup_cap: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    period_ms: int
    subscription: str
    trial_period: int | None
    entitlements: dict[str, Entitlement]
    topups: dict[str, Topup]
    limited: tuple[Entitlement, ...]  # entitlements with a limit, in document order
    raw: dict[str, Any]


def compile_limit(raw: dict[str, Any], credits: dict[str, Credit]) -> Limit:
    credit = credits.get(raw["credit"])
    units = credit.stof_units if credit is not None else None
    minimum = raw.get("minimum")
    schedule = raw.get("reset_sch")
    return Limit(
        credit=raw["credit"],
        mode=raw.get("mode") or "hard",
        value=quantity(raw.get("value", 0), units) or 0.0,
        increment=quantity(raw.get("increment", 1), units) or 0.0,
        minimum=None if minimum is None else quantity(minimum, units),
        hard_trailing=bool(raw.get("hard_trailing", False)),
        grants_apply=raw.get("grants_apply", True) is not False,
        resets=bool(raw.get("resets", False)),
        reset_inc=duration_ms(raw["reset_inc"]) if raw.get("reset_inc") is not None else None,
        reset_sch=parse_schedule(schedule) if schedule else None,
        expires_on=raw.get("override_expires_on"),
        raw=raw,
        ewma_alpha=float(raw["ewma_alpha"]) if raw.get("ewma_alpha") is not None else 0.2,
        governor_enabled=bool(raw.get("governor_enabled", False)),
        governor_capacity=_optional_float(raw.get("governor_capacity")),
        governor_refill_rate=float(raw.get("governor_refill_rate") or 0.0),
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def compile_credit(name: str, raw: dict[str, Any]) -> Credit:
    model = raw.get("pricing_model") or "flat"
    pricing = compile_price(raw["tiers"], model) if raw.get("tiers") else compile_price(raw.get("price"))
    return Credit(name, float(raw.get("overhead_cost") or 0), pricing, raw.get("stof_units") or "float", raw)


def compile_plan(name: str, raw: dict[str, Any], credits: dict[str, Credit]) -> Plan:
    entitlements: dict[str, Entitlement] = {}
    for ent_name, ent in raw.get("entitlements", {}).items():
        limit = compile_limit(ent["limit"], credits) if ent.get("limit") is not None else None
        entitlements[ent_name] = Entitlement(ent_name, limit, ent.get("scope"), ent)
    topups: dict[str, Topup] = {}
    for top_name, top in raw.get("topups", {}).items():
        credit = credits.get(top["credit"])
        units = credit.stof_units if credit else None
        scopes = top.get("included_scopes")
        pct = top.get("rollover_pct", top.get("pct"))
        cap = top.get("reset_catchup_cap")
        topups[top_name] = Topup(
            top_name, top["credit"], quantity(top.get("value", 0), units) or 0.0,
            bool(top.get("included")), None if scopes is None else tuple(scopes),
            duration_ms(top["expires_after"]) if top.get("expires_after") is not None else None, top,
            reset_mode=top.get("reset_mode") or "hard",
            rollover_pct=1.0 if pct is None else float(pct),
            rollover_min=_optional_quantity(top.get("rollover_min"), units),
            rollover_max=_optional_quantity(top.get("rollover_max"), units),
            max_balance=_optional_quantity(top.get("max_balance"), units),
            reset_catchup_cap=None if cap is None else int(cap),
        )
    period = raw.get("period") or "monthly"
    period_ms = PLAN_PERIODS[period] * DAY_MS if period in PLAN_PERIODS else (duration_ms(period) or 30 * DAY_MS)
    trial = raw.get("trial_period")
    return Plan(
        name, period_ms, raw.get("subscription") or "subscription",
        duration_ms(trial) if trial is not None else None, entitlements, topups,
        tuple(e for e in entitlements.values() if e.limit is not None), raw,
    )


def _optional_quantity(value: Any, units: str | None) -> float | None:
    return None if value is None else quantity(value, units)


@dataclass(slots=True)
class CompiledPolicy:
    """Everything derived from the document that customers share: compiled once, then read-only."""

    document: dict[str, Any]
    credits: dict[str, Credit]
    plans: dict[str, Plan]
    exchange: Exchange
    default_plan: Plan | None
    override_cache: dict[int, tuple[dict[str, Any], Limit]] = field(default_factory=dict)


def compile_policy(document: dict[str, Any]) -> CompiledPolicy:
    credits = {name: compile_credit(name, raw) for name, raw in document.get("credits", {}).items()}
    plans = {name: compile_plan(name, raw, credits) for name, raw in document.get("plans", {}).items()}
    exchange_raw = document.get("exchange", {})
    pairs = {
        name: (float(pair["value"]), pair["currency"])
        for name, pair in exchange_raw.items() if name != "grant_strategy" and isinstance(pair, dict)
    }
    exchange = Exchange(pairs, exchange_raw.get("grant_strategy") or "expires_first",
                        {name: credit.pricing for name, credit in credits.items()})
    default = next((plan for plan in plans.values() if plan.raw.get("default")), None)
    return CompiledPolicy(document, credits, plans, exchange, default)


def compile_limit_schedule(raw: dict[str, Any]) -> tuple[int | None, Schedule | None]:
    """The reset increment (ms) and schedule of a limit, topup or grant dict."""
    schedule = raw.get("reset_sch")
    inc = raw.get("reset_inc")
    return (duration_ms(inc) if inc is not None else None), (parse_schedule(schedule) if schedule else None)
