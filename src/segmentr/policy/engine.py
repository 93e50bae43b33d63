"""The policy engine: customers, metering (`allow` and friends) and reads over a compiled policy (policy.md §2)."""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import grants as grant_ops
from .document import (
    LIMIT_MODES,
    PolicyDocumentError,
    duration_ms,
    fill_customer,
    limit_problems,
    validate_document,
)
from .events import (
    CUSTOMER_PLAN_CHANGED,
    CUSTOMER_REMOVED,
    CUSTOMER_SET,
    CUSTOMER_TOPUP_GRANTED,
    METER_CHANGED,
    METER_LIMIT,
    METER_OVERAGE,
    METER_RESET,
    Subscriber,
    round9,
    round9_or_none,
)
from .margin import assemble, entitlement_revenue
from .model import CompiledPolicy, Credit, Entitlement, Limit, Plan, Topup, compile_limit, compile_policy
from .pricing import Pricing, compile_price
from .resolver import PriceResolver, ResolveFunction, resolve_function
from .schedule import next_reset, pending_period_start

Clock = Callable[[], int]
_EPS = 1e-9
_HISTORY = 3
_OVERRIDE_CACHE_MAX = 50_000
_LIMIT_FIELDS = ("credit", "mode", "value", "increment", "resets", "reset_inc", "reset_sch", "minimum",
                 "hard_trailing", "grants_apply")


def _system_clock() -> int:
    return int(time.time() * 1000)


def _le(a: float, b: float) -> bool:
    """a <= b compared at 1e-9, as the reference does."""
    return round(a - b, 9) <= 0


class Policy:
    """A Limitr-compatible policy: the compiled document shared by copies, plus a table of customer dicts."""

    __slots__ = ("_alt", "_c", "_clock", "_customers", "_price_cache", "_resolve", "_subscribers")

    def __init__(self, document: Any = None, *, clock: Clock | None = None,
                 resolver: PriceResolver | ResolveFunction | None = None) -> None:
        policy = validate_document(document if document is not None else {})
        customers = policy.pop("customers", {}) or {}
        alt_ids = policy.pop("alt_customer_ids", None)
        self._c: CompiledPolicy = compile_policy(policy)
        self._customers: dict[str, dict[str, Any]] = customers
        self._alt: dict[str, str] | None = None
        self._clock: Clock = clock or _system_clock
        self._subscribers: list[Subscriber] = []
        self._resolve: ResolveFunction | None = resolve_function(resolver)
        self._price_cache: dict[int, tuple[Any, Pricing | None]] = {}
        if alt_ids:
            self._alt_index().update(alt_ids)

    # ------------------------------------------------------------------ construction and copies

    @classmethod
    def from_document(cls, document: Any, clock: Clock | None = None,
                      resolver: PriceResolver | ResolveFunction | None = None) -> Policy:
        """Load and validate a Limitr policy (mapping, JSON or YAML; customers included)."""
        return cls(document, clock=clock, resolver=resolver)

    def to_document(self) -> dict[str, Any]:
        """The policy as a Limitr JSON document (defaults filled, unknown fields kept, customers included)."""
        policy = copy.deepcopy(self._c.document)
        policy["customers"] = copy.deepcopy(self._customers)
        return {"policy": policy}

    def with_customers(self, customers: Mapping[str, dict[str, Any]], *,
                       subscribers: Iterable[Subscriber] | None = None,
                       resolver: PriceResolver | ResolveFunction | None = None) -> Policy:
        """An O(1) copy sharing the compiled document, over `customers` (mutated in place by metering)."""
        other = object.__new__(Policy)
        other._c = self._c
        other._customers = customers  # type: ignore[assignment]
        other._alt = None
        other._clock = self._clock
        other._subscribers = list(subscribers) if subscribers else []
        other._resolve = resolve_function(resolver) if resolver is not None else self._resolve
        other._price_cache = self._price_cache
        return other

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Receive every event as `callback(name, payload)`; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def view(self) -> Any:
        """The read-only object bound as `policy` in conditions."""
        from .view import PolicyView

        return PolicyView(self)

    @property
    def customers(self) -> Mapping[str, dict[str, Any]]:
        """The customer table (id -> live state)."""
        return self._customers

    def now(self) -> int:
        return self._clock()

    # ------------------------------------------------------------------ internals: lookups

    def _emit(self, name: str, payload: dict[str, Any]) -> None:
        for callback in list(self._subscribers):
            callback(name, payload)

    def _alt_index(self) -> dict[str, str]:
        if self._alt is None:
            self._alt = {alt: cid for cid, c in self._customers.items() for alt in (c.get("alt_ids") or ())}
        return self._alt

    def _find(self, cid: str) -> dict[str, Any] | None:
        customer = self._customers.get(cid)
        if customer is not None:
            return customer
        real = self._alt_index().get(cid)
        return None if real is None else self._customers.get(real)

    def _plan_of(self, customer: dict[str, Any], depth: int = 0) -> Plan | None:
        name = customer.get("plan")
        if name:
            plan = self._c.plans.get(name)
            if plan is not None:
                return plan
        refs = customer.get("refs")
        if refs and depth < 16:
            ref = self._find(refs[0])
            if ref is not None:
                plan = self._plan_of(ref, depth + 1)
                if plan is not None:
                    return plan
        return self._c.default_plan

    def _owner(self, customer: dict[str, Any], scope: str | None) -> dict[str, Any] | None:
        """The customer whose meter an entitlement uses: itself, or the nearest `scope`-typed ref."""
        if scope is None or customer.get("type") == scope:
            return customer
        queue = list(customer.get("refs") or ())
        seen = {customer.get("id")}
        while queue:
            ref_id = queue.pop(0)
            if ref_id in seen:
                continue
            seen.add(ref_id)
            ref = self._find(ref_id)
            if ref is None:
                continue
            if ref.get("type") == scope:
                return ref
            queue.extend(ref.get("refs") or ())
        return None

    def _override(self, raw: dict[str, Any]) -> Limit:
        cache = self._c.override_cache
        hit = cache.get(id(raw))
        if hit is not None and hit[0] is raw:
            return hit[1]
        if len(cache) > _OVERRIDE_CACHE_MAX:
            cache.clear()
        limit = compile_limit(raw, self._c.credits)
        cache[id(raw)] = (raw, limit)
        return limit

    def _limit_of(self, customer: dict[str, Any], ent: Entitlement) -> Limit | None:
        overrides = customer.get("overrides")
        if overrides:
            raw = overrides.get(ent.name)
            if raw is not None:
                limit = self._override(raw)
                if limit.expires_on is None or limit.expires_on > self._clock():
                    return limit
        return ent.limit

    def _customer_and_plan(self, cid: str) -> tuple[dict[str, Any], Plan] | None:
        """The customer (by id or alt id) and the plan it is on, inherited or default; None if either is missing."""
        customer = self._find(cid)
        if customer is None:
            return None
        plan = self._plan_of(customer)
        return None if plan is None else (customer, plan)

    def _resolve_topup(self, cid: str, name: str) -> tuple[dict[str, Any], Plan, Topup] | None:
        """The customer, its plan and that plan's topup `name`; None if any is missing."""
        on_plan = self._customer_and_plan(cid)
        if on_plan is None:
            return None
        topup = on_plan[1].topups.get(name)
        return None if topup is None else (*on_plan, topup)

    def _resolve_call(self, cid: str, name: str) -> tuple[dict[str, Any], Plan, Entitlement] | None:
        customer = self._find(cid)
        if customer is None:
            return None
        plan = self._plan_of(customer)
        if plan is None:
            return None
        ent = plan.entitlements.get(name)
        if ent is None:
            return None
        return customer, plan, ent

    @staticmethod
    def _meter_value(meter: dict[str, Any], limit: Limit, now: int) -> float:
        if limit.resets and pending_period_start(meter["started"], now, limit.reset_inc, limit.reset_sch) is not None:
            return 0.0
        return meter["value"]

    def _pricing(self, customer: dict[str, Any] | None, credit: Credit) -> Pricing | None:
        if self._resolve is not None and customer is not None:
            price = self._resolve(customer, f"credit:{credit.name}")
            if price is not None:
                hit = self._price_cache.get(id(price))
                if hit is not None and hit[0] is price:
                    return hit[1]
                model = credit.raw.get("pricing_model") or "flat"
                pricing = compile_price(price, model)
                if len(self._price_cache) > 10_000:
                    self._price_cache.clear()
                self._price_cache[id(price)] = (price, pricing)
                return pricing
        return credit.pricing

    def _price(self, customer: dict[str, Any] | None, credit: Credit, quantity: float,
               offset: float) -> float | None:
        """Runes for `quantity` billable units from position `offset`; None when the credit is unpriced."""
        pricing = self._pricing(customer, credit)
        if pricing is not None:
            return pricing.price_of(quantity, offset)
        if self._c.exchange.has_pair(credit.name):
            rate = self._c.exchange.rune_rate(credit.name)
            return None if rate is None else quantity * rate
        return None

    def _grant_balance(self, customer: dict[str, Any], credit: str, now: int, offset: float = 0.0,
                       plan: Plan | None = None) -> float:
        """The grant balance in `credit`, pending grant resets shown.

        With `plan` (metering) only grants whose topup is still on it count, as allow's grant sync leaves
        them; reads (no `plan`) pool every grant, as the reference engine's reads do.
        """
        grants = customer.get("grants")
        if not grants:
            return 0.0
        if plan is not None:
            customer = grant_ops.as_of(customer, plan, now, drop_orphans=True)
        elif any(g.get("resets") for g in grants.values()):
            customer = grant_ops.as_of(customer, self._plan_of(customer), now, drop_orphans=False)
        return grant_ops.balance_in(customer, credit, self._c.exchange, now, offset)

    @staticmethod
    def _overhead(meter: dict[str, Any], credit: Credit) -> float:
        overhead = meter.get("overhead")
        return meter["value"] * credit.overhead_cost if overhead is None else overhead

    # ------------------------------------------------------------------ metering

    def allow(self, id: str, entitlement: str, value: float | str = 0, event: Any = True, cap: Any = None,
              overhead: float | None = None, force: bool = False) -> bool:
        """Meter `value` (negative decrements) if the limit allows it; sends the events of §3.

        `cap` is accepted for Limitr's signature; caps (and the governor) are not enforced yet (policy.md "Later").
        """
        return self._meter(id, entitlement, value, event, overhead, force, commit=True)

    def check(self, id: str, entitlement: str, value: float | str = 0, cap: Any = None, context: Any = None,
              overhead: float | None = None) -> bool:
        """The decision `allow` would take, without changing anything."""
        return self._meter(id, entitlement, value, False, overhead, False, commit=False)

    def increment(self, id: str, entitlement: str, event: Any = True, cap: Any = None) -> bool:
        step = self.cost(id, entitlement)
        return False if step is None else self.allow(id, entitlement, step, event, cap)

    def decrement(self, id: str, entitlement: str, event: Any = True, cap: Any = None) -> bool:
        step = self.cost(id, entitlement)
        return False if step is None else self.allow(id, entitlement, -step, event, cap)

    def check_increment(self, id: str, entitlement: str, cap: Any = None) -> bool:
        step = self.cost(id, entitlement)
        return False if step is None else self.check(id, entitlement, step, cap)

    def check_decrement(self, id: str, entitlement: str, cap: Any = None) -> bool:
        step = self.cost(id, entitlement)
        return False if step is None else self.check(id, entitlement, -step, cap)

    def _meter(self, cid: str, name: str, value: Any, event: Any, overhead: float | None, force: bool,
               commit: bool) -> bool:
        found = self._resolve_call(cid, name)
        if found is None:
            return False
        customer, plan, ent = found
        if ent.limit is None:
            return True  # a feature flag: allowed, nothing metered
        owner = self._owner(customer, ent.scope)
        if owner is None:
            return False
        limit = self._limit_of(owner, ent)
        if limit is None:
            return True
        credit = self._c.credits.get(limit.credit)
        if credit is None:
            return False
        delta = credit.units(value)
        now = self._clock()
        owner_plan = plan if owner is customer else (self._plan_of(owner) or plan)
        meters = owner["meters"]
        meter = meters.get(name)
        fresh = meter is None
        if fresh:
            meter = self._new_meter(limit, now)
        reset_start = None
        if limit.resets and not fresh:
            reset_start = pending_period_start(meter["started"], now, limit.reset_inc, limit.reset_sch)
        if reset_start is None:
            old, old_overhead = meter["value"], self._overhead(meter, credit)
        else:
            old, old_overhead = 0.0, 0.0
        had_grants = bool(owner.get("grants"))
        if commit:
            if fresh:
                meters[name] = meter
            if reset_start is not None:
                self._reset_meter(meter, reset_start)
            if had_grants:
                grant_ops.sync_grants(owner, owner_plan, now)
        new = old + delta
        if limit.minimum is not None and new < limit.minimum:
            new = max(old, limit.minimum) if old < limit.minimum else limit.minimum
            if new == old:  # clamped at the floor: nothing moves; only a period that started is reported
                if commit and reset_start is not None and event is not False and self._subscribers:
                    payload = self._meter_payload(owner, name, owner_plan, credit, limit, old, new, 0.0,
                                                  old_overhead, 0.0, event)
                    self._emit(METER_RESET, self._reset_payload(payload, reset_start))
                return True
        diff = new - old
        if overhead is not None:
            overhead_diff = float(overhead)
        else:
            overhead_diff = diff * credit.overhead_cost
        cap_value = limit.value
        mode = limit.mode
        if mode == "observe" or _le(new, old):
            within = True
        elif limit.hard_trailing:
            within = round(old - cap_value, 9) < 0
        else:
            within = _le(new, cap_value)
        overage = new - max(old, cap_value)
        if overage <= _EPS:
            overage = 0.0
        billable_offset = max(old - cap_value, 0.0)
        grant_keys = False
        applied = 0.0
        uncovered = 0.0
        hard_past_limit = mode == "hard" and not within
        if hard_past_limit:
            available = 0.0
            if limit.grants_apply and had_grants:
                available = self._grant_balance(owner, limit.credit, now, billable_offset, owner_plan)
            if available + _EPS < overage and not force:
                if commit and event is not False and self._subscribers:
                    payload = self._limit_payload(owner, name, owner_plan, credit, limit, old, new, diff,
                                                  old_overhead, overhead_diff, overage, event)
                    if reset_start is not None:  # the period started even though the call is denied
                        self._emit(METER_RESET, self._reset_payload(payload, reset_start))
                    self._emit(METER_LIMIT, payload)
                return False
        if not commit:
            return True
        if hard_past_limit or (mode == "soft" and overage > 0):
            # past the limit (and allowed): grants cover what they can, the rest is overage
            grant_keys = limit.grants_apply and had_grants
            if grant_keys:
                applied = grant_ops.draw(owner, limit.credit, overage, self._c.exchange, now, billable_offset)
            uncovered = max(overage - applied, 0.0)
        meter["value"] = new
        meter["overhead"] = old_overhead + overhead_diff
        self._record_history(meter, now, diff, limit.ewma_alpha)
        if event is False or not self._subscribers:
            return True
        payload = self._meter_payload(owner, name, owner_plan, credit, limit, old, new, diff,
                                      old_overhead + overhead_diff, overhead_diff, event)
        if uncovered > _EPS:
            event_name = METER_OVERAGE
            payload["overage"] = round9(uncovered)
            if grant_keys:
                payload["grant_value_applied"] = round9(applied)
            offset = max(new - cap_value - uncovered, 0.0)
            payload["overage_price"] = round9_or_none(self._price(owner, credit, uncovered, offset))
        else:
            event_name = METER_CHANGED
            if grant_keys:
                payload["overage"] = 0.0
                payload["grant_value_applied"] = round9(applied)
        if reset_start is not None:
            self._emit(METER_RESET, self._reset_payload(payload, reset_start))
        self._emit(event_name, payload)
        return True

    @staticmethod
    def _record_history(meter: dict[str, Any], now: int, diff: float, alpha: float) -> None:
        """Keep the last 3 `{ts, delta}` of the period and fold this call into `ewma_rate` (units per ms).

        The rate sample is `diff / (now − previous ts)`; `ewma_rate = alpha·sample + (1 − alpha)·ewma_rate`,
        seeded with the first sample. The first call of a period (no previous ts) and a call in the same ms
        as the previous one (no interval to measure) record history but leave the rate as it is.
        """
        entry = {"ts": now, "delta": diff}
        history = meter.get("history")
        if not history:
            meter["history"] = [entry]
            return
        elapsed = now - history[-1]["ts"]
        if elapsed > 0:
            sample = diff / elapsed
            previous = meter.get("ewma_rate")
            meter["ewma_rate"] = sample if previous is None else alpha * sample + (1.0 - alpha) * previous
        history.append(entry)
        if len(history) > _HISTORY:
            del history[0]

    @staticmethod
    def _reset_meter(meter: dict[str, Any], start: int) -> None:
        meter["started"] = start
        meter["value"] = 0.0
        meter["overhead"] = 0.0
        meter["history"] = []
        for key in ("governor_tokens", "governor_last_refill", "ewma_rate"):
            meter.pop(key, None)

    @staticmethod
    def _event_data(event: Any) -> Any:
        if isinstance(event, bool) or event is None:
            return None
        if isinstance(event, str):
            try:
                return json.loads(event)
            except json.JSONDecodeError:
                return event
        return event

    def _price_diff(self, owner: dict[str, Any], credit: Credit, cap_value: float, old: float,
                    new: float) -> float | None:
        """The price of the units a move from `old` to `new` takes past the limit; None when unpriced."""
        return round9_or_none(self._price(owner, credit, max(new, cap_value) - max(old, cap_value),
                                          max(old - cap_value, 0.0)))

    def _meter_payload(self, owner: dict[str, Any], name: str, plan: Plan, credit: Credit, limit: Limit,
                       old: float, new: float, diff: float, overhead: float, overhead_diff: float,
                       event: Any) -> dict[str, Any]:
        cap_value = limit.value
        return {
            "meter": {
                "old": round9(old), "value": round9(new), "limit": round9(cap_value), "diff": round9(diff),
                "overhead": round9(overhead), "overhead_diff": round9(overhead_diff),
                "price_diff": self._price_diff(owner, credit, cap_value, old, new),
            },
            "customer": owner["id"],
            "entitlement": name,
            "plan": plan.name,
            "credit": dict(credit.raw, id=credit.name),
            "remaining": round9(cap_value - new),
            "event_data": self._event_data(event),
        }

    @staticmethod
    def _reset_payload(payload: dict[str, Any], start: int) -> dict[str, Any]:
        """meter-reset carries the call's own payload (its own copy) plus the new period's start."""
        return dict(payload, meter=dict(payload["meter"]), period_start=start)

    def _limit_payload(self, owner: dict[str, Any], name: str, plan: Plan, credit: Credit, limit: Limit,
                       old: float, new: float, diff: float, overhead: float, overhead_diff: float, overage: float,
                       event: Any) -> dict[str, Any]:
        cap_value = limit.value
        return {
            "meter": {
                "value": round9(old), "limit": round9(cap_value), "invalid": round9(new), "diff": round9(diff),
                "overhead": round9(overhead), "overhead_diff": round9(overhead_diff),
                "price_diff": self._price_diff(owner, credit, cap_value, old, new),
            },
            "invalid_value": round9(new),
            "overage": round9(overage),
            "customer": owner["id"],
            "entitlement": name,
            "plan": plan.name,
            "credit": dict(credit.raw, id=credit.name),
            "event_data": self._event_data(event),
        }

    # ------------------------------------------------------------------ reads

    def entitlement(self, id: str, name: str) -> dict[str, Any] | None:
        """The plan's entitlement object (overrides not reflected); `id` is a customer or a plan name."""
        plan = self._plan_for_read(id)
        if plan is None:
            return None
        ent = plan.entitlements.get(name)
        return None if ent is None else ent.raw

    def _plan_for_read(self, id: str) -> Plan | None:
        customer = self._find(id)
        if customer is not None:
            return self._plan_of(customer)
        return self._c.plans.get(id) or self._c.default_plan

    def limit_obj(self, id: str, name: str) -> dict[str, Any] | None:
        """The effective limit (the customer's override, else the plan's) as a fresh dict."""
        customer = self._find(id)
        if customer is None:
            plan = self._c.plans.get(id) or self._c.default_plan
            ent = None if plan is None else plan.entitlements.get(name)
            return None if ent is None or ent.limit is None else dict(ent.limit.raw)
        found = self._resolve_call(id, name)
        if found is None:
            return None
        owner = self._owner(customer, found[2].scope) or customer
        limit = self._limit_of(owner, found[2])
        return None if limit is None else dict(limit.raw)

    def limit(self, id: str, entitlement: str, grants: bool = True) -> float | None:
        """The limit in credit units, plus the customer's converted grant balance; None for observe/no limit."""
        customer = self._find(id)
        if customer is None:
            plan = self._c.plans.get(id) or self._c.default_plan
            ent = None if plan is None else plan.entitlements.get(entitlement)
            if ent is None or ent.limit is None or ent.limit.mode == "observe":
                return None
            return round9(ent.limit.value)
        plan = self._plan_of(customer)
        ent = None if plan is None else plan.entitlements.get(entitlement)
        if ent is None or ent.limit is None:
            return None
        owner = self._owner(customer, ent.scope)
        if owner is None:
            return None
        limit = self._limit_of(owner, ent)
        if limit is None or limit.mode == "observe":
            return None
        value = limit.value
        if grants and owner.get("grants"):
            value += self._grant_balance(owner, limit.credit, self._clock())
        return round9(value)

    def value(self, id: str, entitlement: str, percent: bool = False, grants: bool = True) -> float | None:
        """Usage this period (0 with no meter or a pending reset); `percent`: 100 − remaining percent."""
        if percent:
            remaining = self.remaining(id, entitlement, True, grants)
            return None if remaining is None else round9(100.0 - remaining)
        customer = self._customers.get(id) or self._find(id)
        if customer is None:
            return None
        plan = self._plan_of(customer)
        ent = None if plan is None else plan.entitlements.get(entitlement)
        if ent is None:
            return None
        scope = ent.scope
        owner = customer if scope is None else self._owner(customer, scope)
        if owner is None:
            return None
        meter = owner["meters"].get(entitlement)
        if meter is None:
            return 0.0
        limit = ent.limit if not owner.get("overrides") else self._limit_of(owner, ent)
        if limit is not None and limit.resets:
            return round9(self._meter_value(meter, limit, self._clock()))
        return round9(meter["value"])

    def remaining(self, id: str, entitlement: str, percent: bool = False, grants: bool = True) -> float | None:
        """Limit − value, with grants extending the limit to max(value, limit) + balance; None for observe."""
        effective = self._effective_limit(id, entitlement)
        if effective is None or effective[0].mode == "observe":
            return None
        limit, owner = effective
        now = self._clock()
        meter = owner["meters"].get(entitlement)
        used = 0.0 if meter is None else self._meter_value(meter, limit, now)
        cap_value = limit.value
        if grants and owner.get("grants"):
            balance = self._grant_balance(owner, limit.credit, now, max(used - cap_value, 0.0))
            if balance > 0:
                cap_value = max(used, cap_value) + balance
        left = cap_value - used
        if not percent:
            return round9(left)
        return 0.0 if cap_value == 0 else round9(max(0.0, left) / cap_value * 100)

    def credit_remaining(self, id: str, credit: str) -> float | None:
        """The customer's grant balance in units of `credit` (every convertible grant pooled)."""
        customer = self._find(id)
        if customer is None or (credit not in self._c.credits and credit not in ("rune", "usd")):
            return None
        return round9(self._grant_balance(customer, credit, self._clock()))

    def resets(self, id: str, entitlement: str) -> int | None:
        """When the entitlement's current period ends (ms epoch); None if it never resets."""
        effective = self._effective_limit(id, entitlement)
        if effective is None or not effective[0].resets:
            return None
        limit, owner = effective
        now = self._clock()
        meter = owner["meters"].get(entitlement)
        started = now if meter is None else meter["started"]
        return next_reset(started, now, limit.reset_inc, limit.reset_sch)

    def _effective_limit(self, id: str, entitlement: str) -> tuple[Limit, dict[str, Any]] | None:
        """The limit a call would meter against (the override, else the plan's) and the customer whose meter it
        uses (the scope owner); None for an unresolved call, a feature flag or a scope without an owner."""
        found = self._resolve_call(id, entitlement)
        if found is None:
            return None
        customer, _, ent = found
        if ent.limit is None:
            return None
        # reads are hot: skip the calls that would hand back the customer (unscoped) and the plan's limit
        # (no overrides), as `value` does
        owner = customer if ent.scope is None else self._owner(customer, ent.scope)
        if owner is None:
            return None
        limit = self._limit_of(owner, ent) if owner.get("overrides") else ent.limit
        return None if limit is None else (limit, owner)

    def _metered(self, id: str, entitlement: str) -> tuple[Limit, dict[str, Any] | None, int] | None:
        """The effective limit and the live meter (on the scope owner) of a limited entitlement, and now."""
        effective = self._effective_limit(id, entitlement)
        if effective is None:
            return None
        limit, owner = effective
        return limit, owner["meters"].get(entitlement), self._clock()

    @staticmethod
    def _in_period(limit: Limit, meter: dict[str, Any] | None, now: int) -> dict[str, Any] | None:
        """The meter when its data belongs to the current period; None when absent or a reset is pending."""
        if meter is None:
            return None
        if limit.resets and pending_period_start(meter["started"], now, limit.reset_inc, limit.reset_sch) is not None:
            return None
        return meter

    def meter_obj(self, id: str, entitlement: str) -> dict[str, Any] | None:
        """A copy of the meter (on the scope owner) as of now: a pending reset shows applied, the live one is
        untouched. None for an unresolved call, a feature flag or a meter not created yet."""
        metered = self._metered(id, entitlement)
        if metered is None or metered[1] is None:
            return None
        limit, meter, now = metered
        view = copy.deepcopy(meter)
        if limit.resets:
            start = pending_period_start(meter["started"], now, limit.reset_inc, limit.reset_sch)
            if start is not None:
                self._reset_meter(view, start)
        return view

    def rate(self, id: str, entitlement: str) -> float | None:
        """Consumption in credit units per ms: the meter's `ewma_rate` (see `_record_history`).

        0 before two calls of the period were metered at different times, or while a reset is pending.
        Not rounded to 1e-9 like other reads: per-ms rates are small enough for that to erase them.
        """
        metered = self._metered(id, entitlement)
        if metered is None:
            return None
        meter = self._in_period(*metered)
        rate = None if meter is None else meter.get("ewma_rate")
        return 0.0 if rate is None else float(rate)

    def acceleration(self, id: str, entitlement: str) -> float | None:
        """The change of the consumption rate, in credit units per ms², from the meter's last 3 history entries.

        With entries (t0, d0), (t1, d1), (t2, d2): r1 = d1 / (t1 − t0) and r2 = d2 / (t2 − t1) are the rates
        of the last two intervals, and the result is (r2 − r1) / ((t2 − t0) / 2), the time between the
        intervals' midpoints. 0 with fewer than 3 entries this period, an empty interval, or a pending reset.
        """
        metered = self._metered(id, entitlement)
        if metered is None:
            return None
        meter = self._in_period(*metered)
        history = None if meter is None else meter.get("history")
        if not history or len(history) < 3:
            return 0.0
        (t0, _), (t1, d1), (t2, d2) = ((h["ts"], h["delta"]) for h in history[-3:])
        if t1 <= t0 or t2 <= t1:
            return 0.0
        return (d2 / (t2 - t1) - d1 / (t1 - t0)) / ((t2 - t0) / 2)

    def projected_exhaustion(self, id: str, entitlement: str, smoothed: bool = False,
                             grants: bool = True) -> int | None:
        """When the limit runs out at the current rate (ms epoch): now + remaining / rate, rounded up.

        `remaining` is `remaining(id, entitlement, grants=grants)` and `rate` is `rate()` (the EWMA). None
        when rate ≤ 0, for observe limits and flags; now when nothing remains. `smoothed` is accepted for
        Limitr's signature: the EWMA rate is already the smoothed one, so both forms give the same answer.
        """
        metered = self._metered(id, entitlement)
        if metered is None:
            return None
        rate = self.rate(id, entitlement)
        left = self.remaining(id, entitlement, False, grants)
        if left is None or rate is None or rate <= 0:
            return None
        now = metered[2]
        if left <= 0:
            return now
        return now + math.ceil(left / rate)

    def allowance(self, id: str, entitlement: str, grants: bool = True) -> float | None:
        """What a call could use right now: `remaining`, capped by the governor's tokens on a hard limit.

        Without a governor this is `remaining`. Tokens refill at `governor_refill_rate` per ms from
        `governor_tokens` at `governor_last_refill`, up to `governor_capacity` (a full bucket when the meter
        has no governor state yet or a reset is pending, since a reset clears it).
        """
        left = self.remaining(id, entitlement, False, grants)
        metered = self._metered(id, entitlement)
        if left is None or metered is None:
            return left
        limit, meter, now = metered
        if not limit.governor_enabled or limit.mode != "hard" or limit.governor_capacity is None:
            return left
        capacity = limit.governor_capacity
        state = self._in_period(limit, meter, now)
        tokens = capacity
        if state is not None and state.get("governor_tokens") is not None:
            last = state.get("governor_last_refill") or now
            tokens = min(capacity, state["governor_tokens"] + max(now - last, 0) * limit.governor_refill_rate)
        return round9(min(left, tokens))

    def cost(self, id: str, entitlement: str) -> float | None:
        """The increment of the effective limit (not money); None without a limit."""
        customer = self._find(id)
        plan = self._plan_of(customer) if customer is not None else (self._c.plans.get(id) or self._c.default_plan)
        ent = None if plan is None else plan.entitlements.get(entitlement)
        if ent is None or ent.limit is None:
            return None
        owner = self._owner(customer, ent.scope) if customer is not None else None
        limit = self._limit_of(owner, ent) if owner is not None else ent.limit
        return None if limit is None else round9(limit.increment)

    def plan(self, id: str, default: bool = True) -> dict[str, Any] | None:
        """The plan object of a plan name or customer id (read-only); the default plan as a fallback."""
        plan = self._c.plans.get(id)
        if plan is None:
            customer = self._find(id)
            if customer is not None:
                plan = self._plan_of(customer) if default else self._c.plans.get(customer.get("plan") or "")
            elif default:
                plan = self._c.default_plan
        return None if plan is None else plan.raw

    def default_plan(self) -> dict[str, Any] | None:
        plan = self._c.default_plan
        return None if plan is None else plan.raw

    def plans(self) -> dict[str, dict[str, Any]]:
        return {name: plan.raw for name, plan in self._c.plans.items()}

    def credit(self, name: str) -> dict[str, Any] | None:
        credit = self._c.credits.get(name)
        return None if credit is None else credit.raw

    def credit_for(self, id: str, entitlement: str) -> dict[str, Any] | None:
        limit = self.limit_obj(id, entitlement)
        return None if limit is None else self.credit(limit["credit"])

    def credit_exchange(self, source: str, target: str, value: float = 1) -> float | None:
        """`value` units of `source` in `target` units, through runes; None when there is no path."""
        known = ("rune", "usd")
        if (source not in self._c.credits and source not in known) or \
                (target not in self._c.credits and target not in known):
            return None
        return round9_or_none(self._c.exchange.exchange(float(value), source, target))

    def price_of(self, credit: str, quantity: float, offset: float = 0.0) -> float | None:
        """The policy price of `quantity` units of `credit` from position `offset`; None when unpriced."""
        compiled = self._c.credits.get(credit)
        return None if compiled is None else round9_or_none(self._price(None, compiled, quantity, offset))

    def total_price(self, credit: str, quantity: float) -> float | None:
        compiled = self._c.credits.get(credit)
        if compiled is None or compiled.pricing is None:
            return self.price_of(credit, quantity)
        return round9(compiled.pricing.total_price(quantity))

    def topup_price(self, id: str, topup: str) -> Any:
        """The effective price of a topup for a customer (the resolver's, else the plan's)."""
        found = self._resolve_topup(id, topup)
        if found is None:
            return None
        customer, _, offer = found
        if self._resolve is not None:
            price = self._resolve(customer, f"topup:{topup}")
            if price is not None:
                return price
        return offer.raw.get("price")

    # ------------------------------------------------------------------ margin

    def customer_local_margin_breakdown(self, id: str) -> dict[str, Any] | None:
        """Revenue past each limit, recorded cost and margins for this period (policy.md §4)."""
        on_plan = self._customer_and_plan(id)
        if on_plan is None:
            return None
        customer, plan = on_plan
        now = self._clock()
        rows = []
        for ent in plan.limited:
            owner = self._owner(customer, ent.scope)
            if owner is None:
                continue
            limit = self._limit_of(owner, ent)
            meter = owner["meters"].get(ent.name)
            if limit is None or meter is None:
                continue
            credit = self._c.credits.get(limit.credit)
            if credit is None:
                continue
            pending = limit.resets and pending_period_start(
                meter["started"], now, limit.reset_inc, limit.reset_sch) is not None
            used = 0.0 if pending else meter["value"]
            cost = 0.0 if pending else self._overhead(meter, credit)
            revenue = entitlement_revenue(used, limit.value,
                                          lambda q, o, owner=owner, credit=credit: self._price(owner, credit, q, o))
            rows.append((ent.name, cost, revenue))
        return assemble(rows)

    def local_margin_breakdown(self, plan: str, usage: Mapping[str, Any], scaled: bool = True) -> dict[str, Any] | None:
        """The snapshot for hypothetical usage on a plan: `{ent: value | {meter, credit?, limit?, overhead?}}`."""
        compiled = self._c.plans.get(plan)
        if compiled is None:
            return None
        rows = []
        for name, spec in usage.items():
            ent = compiled.entitlements.get(name)
            detail = spec if isinstance(spec, Mapping) else {"meter": spec}
            credit_name = detail.get("credit") or (ent.limit.credit if ent is not None and ent.limit else None)
            credit = self._c.credits.get(credit_name) if credit_name else None
            if credit is None:
                continue
            used = credit.units(detail.get("meter", 0))
            raw_limit = detail.get("limit")
            cap_value = credit.units(raw_limit) if raw_limit is not None else (
                ent.limit.value if ent is not None and ent.limit else 0.0)
            factor = 1.0
            if scaled and ent is not None and ent.limit is not None and ent.limit.reset_sch is None \
                    and ent.limit.reset_inc:
                factor = compiled.period_ms / ent.limit.reset_inc
            used *= factor
            cap_value *= factor
            overhead = detail.get("overhead")
            cost = float(overhead) * factor if overhead is not None else used * credit.overhead_cost
            revenue = entitlement_revenue(used, cap_value,
                                          lambda q, o, credit=credit: self._price(None, credit, q, o))
            rows.append((name, cost, revenue))
        return assemble(rows)

    # ------------------------------------------------------------------ customers

    def customer(self, id: str) -> dict[str, Any] | None:
        """The live customer state (a plain JSON-able dict), by id or alt id."""
        return self._find(id)

    def export_customer(self, id: str) -> dict[str, Any] | None:
        customer = self._find(id)
        return None if customer is None else copy.deepcopy(customer)

    def put_customer(self, state: dict[str, Any], event: bool = False) -> dict[str, Any]:
        """Insert or replace a customer as-is (defaults filled, no validation)."""
        fill_customer(state)
        previous = self._customers.get(state["id"])
        self._customers[state["id"]] = state  # type: ignore[index]
        if self._alt is not None:
            if previous is not None:
                for alt in previous.get("alt_ids") or ():
                    self._alt.pop(alt, None)
            for alt in state["alt_ids"]:
                self._alt[alt] = state["id"]
        if event:
            self._customer_set(state)
        return state

    def set_customer(self, state: Any, event: bool = True) -> dict[str, Any]:
        """Replace a customer's state from a dict or JSON text."""
        if isinstance(state, str | bytes):
            state = json.loads(state)
        return self.put_customer(dict(state), event)

    def _customer_set(self, customer: dict[str, Any]) -> None:
        if self._subscribers:
            self._emit(CUSTOMER_SET, copy.deepcopy(customer))

    @staticmethod
    def _new_meter(limit: Limit, started: int) -> dict[str, Any]:
        return {"credit": limit.credit, "started": started, "value": 0.0, "overhead": 0.0}

    def create_customer(self, id: str, plan: str = "", type: str = "user", label: str = "User",
                        refs: list[str] | None = None, alts: list[str] | None = None,
                        metadata: Any = None) -> dict[str, Any] | None:
        """Create (or update in place) a customer; meters for its limited entitlements, included grants."""
        if plan and plan not in self._c.plans:
            return None
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        existing = self._customers.get(id)
        if existing is not None:
            if plan:
                existing["plan"] = plan
            existing["type"] = type
            existing["label"] = label
            if refs is not None:
                existing["refs"] = list(refs)
            for alt in alts or ():
                self.set_alt_customer_id(id, alt, event=False)
            if metadata is not None:
                existing["metadata"] = metadata
            self._customer_set(existing)
            return existing
        customer = fill_customer({"id": id, "plan": plan, "type": type, "label": label,
                                  "alt_ids": list(alts or []), "refs": list(refs or []), "metadata": metadata})
        resolved = self._plan_of(customer)
        if resolved is None:
            return None
        if not plan and not self._inherits_plan(customer):
            customer["plan"] = resolved.name  # no plan inherited through refs: the default plan, stored
        now = self._clock()
        for ent in resolved.limited:
            if ent.scope is None or ent.scope == type:
                customer["meters"][ent.name] = self._new_meter(ent.limit, now)  # type: ignore[arg-type]
        self.put_customer(customer)
        self._grant_included(customer, resolved, now)
        self._customer_set(customer)
        return customer

    def _inherits_plan(self, customer: dict[str, Any], depth: int = 0) -> bool:
        """Whether the customer's first ref resolves a plan (then its own plan field stays '')."""
        refs = customer.get("refs")
        ref = self._find(refs[0]) if refs else None
        if ref is None or depth > 16:
            return False
        name = ref.get("plan")
        return bool(name and name in self._c.plans) or self._inherits_plan(ref, depth + 1)

    def _grant_included(self, customer: dict[str, Any], plan: Plan, now: int) -> bool:
        granted = {g.get("topup") for g in customer["grants"].values()}
        added = False
        for topup in plan.topups.values():
            if not topup.included or topup.name in granted:
                continue
            if topup.included_scopes is not None and customer.get("type") not in topup.included_scopes:
                continue
            grant = grant_ops.new_grant(topup, now)
            customer["grants"][grant["id"]] = grant
            added = True
        return added

    def ensure_included_topups(self, id: str) -> bool:
        """Grant the plan's included topups the customer lacks; sends customer-set when it granted some."""
        on_plan = self._customer_and_plan(id)
        if on_plan is None:
            return False
        customer, plan = on_plan
        if self._grant_included(customer, plan, self._clock()):
            self._customer_set(customer)
        return True

    def delete_customer(self, id: str) -> bool:
        customer = self._find(id)
        if customer is None:
            return False
        del self._customers[customer["id"]]  # type: ignore[attr-defined]
        if self._alt is not None:
            for alt in customer.get("alt_ids") or ():
                self._alt.pop(alt, None)
        if self._subscribers:
            self._emit(CUSTOMER_REMOVED, copy.deepcopy(customer))
        return True

    def customer_metadata(self, id: str) -> Any:
        customer = self._find(id)
        return None if customer is None else customer.get("metadata")

    def customer_refs(self, id: str) -> list[str] | None:
        customer = self._find(id)
        return None if customer is None else list(customer.get("refs") or [])

    def set_customer_refs(self, id: str, refs: list[str]) -> bool:
        customer = self._find(id)
        if customer is None:
            return False
        customer["refs"] = list(refs)
        self._customer_set(customer)
        return True

    def set_alt_customer_id(self, id: str, alt: str, event: bool = True) -> bool:
        """Add an alternative id (unique across customers)."""
        customer = self._find(id)
        index = self._alt_index()
        if customer is None or (alt in index and index[alt] != customer["id"]) or alt in self._customers:
            return False
        if alt not in customer["alt_ids"]:
            customer["alt_ids"].append(alt)
        index[alt] = customer["id"]
        if event:
            self._customer_set(customer)
        return True

    def delete_alt_customer_id(self, alt: str, event: bool = True) -> bool:
        index = self._alt_index()
        owner_id = index.pop(alt, None)
        customer = None if owner_id is None else self._customers.get(owner_id)
        if customer is None:
            return False
        if alt in customer["alt_ids"]:
            customer["alt_ids"].remove(alt)
        if event:
            self._customer_set(customer)
        return True

    def set_customer_plan(self, id: str, plan: str, overwrite_meters: bool = False) -> bool:
        """Move a customer to `plan`; meters are kept (new ones start at the earliest period start)."""
        customer = self._find(id)
        new_plan = self._c.plans.get(plan)
        if customer is None or new_plan is None or customer.get("plan") == plan:
            return False
        previous = customer.get("plan", "")
        customer["plan"] = plan
        meters = customer["meters"]
        now = self._clock()
        if overwrite_meters:
            meters.clear()
            started = now
        else:
            started = min((m["started"] for m in meters.values()), default=now)
        for ent in new_plan.limited:
            if ent.name not in meters and (ent.scope is None or ent.scope == customer.get("type")):
                meters[ent.name] = self._new_meter(ent.limit, started)  # type: ignore[arg-type]
        self._customer_set(customer)
        if self._subscribers:
            self._emit(CUSTOMER_PLAN_CHANGED, {"previous_plan": previous, "new_plan": plan,
                                               "customer": customer["id"]})
        return True

    def create_customer_override(self, id: str, entitlement: str, expires: int | None = None,
                                 credit: str | None = None, mode: str | None = None, value: Any = None,
                                 increment: Any = None, resets: bool | None = None, reset_inc: Any = None,
                                 reset_sch: str | None = None) -> dict[str, Any] | None:
        """Replace the customer's limit for an entitlement; unset fields copy the current limit."""
        found = self._resolve_call(id, entitlement)
        if found is None:
            return None
        customer, _, ent = found
        current = customer["overrides"].get(entitlement)
        base = dict(current if current is not None else (ent.limit.raw if ent.limit is not None else {}))
        base.pop("override_expires_on", None)
        for key, given in (("credit", credit), ("mode", mode), ("value", value), ("increment", increment),
                           ("resets", resets), ("reset_inc", reset_inc), ("reset_sch", reset_sch)):
            if given is not None:
                base[key] = given
        if reset_sch is not None:
            base["reset_inc"] = None
        if base.get("credit") not in self._c.credits or (mode is not None and mode not in LIMIT_MODES):
            return None
        problems = limit_problems(base, self._c.credits, f"overrides.{entitlement}")
        if problems:
            raise PolicyDocumentError(problems)
        if expires is not None:
            base["override_expires_on"] = duration_ms(expires)
        customer["overrides"][entitlement] = base
        self._customer_set(customer)
        return dict(base)

    def remove_customer_override(self, id: str, entitlement: str) -> bool:
        customer = self._find(id)
        if customer is None or entitlement not in customer["overrides"]:
            return False
        del customer["overrides"][entitlement]
        self._customer_set(customer)
        return True

    def apply_customer_topup(self, id: str, topup: str) -> bool:
        """Grant a topup of the customer's plan (call it after payment); sends customer-topup-granted."""
        found = self._resolve_topup(id, topup)
        if found is None:
            return False
        customer, plan, offer = found
        grant = grant_ops.new_grant(offer, self._clock())
        customer["grants"][grant["id"]] = grant
        if self._subscribers:
            self._emit(CUSTOMER_TOPUP_GRANTED, {
                "customer": customer["id"], "topup_name": topup, "plan_name": plan.name,
                "topup": copy.deepcopy(offer.raw), "price": self.topup_price(id, topup), "grant": dict(grant),
            })
        return True

    def ensure_plan_subscription(self, id: str) -> bool:
        """Bump the plan's subscription entitlement once (meter < 1), after the trial; never automatic."""
        customer = self._find(id)
        if customer is None or not customer.get("plan"):
            return False
        plan = self._c.plans.get(customer["plan"])
        ent = None if plan is None else plan.entitlements.get(plan.subscription)
        if plan is None or ent is None or ent.limit is None:
            return False
        meter = customer["meters"].get(ent.name)
        if plan.trial_period and meter is not None and self._clock() < meter["started"] + plan.trial_period:
            return False
        if (self.value(id, ent.name) or 0.0) >= 1:
            return False
        return self.increment(id, ent.name)
