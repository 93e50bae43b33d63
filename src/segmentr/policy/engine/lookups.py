"""The engine's state and the lookups every concern shares: customers by id, plans, scope owners, limits, meters."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .. import grants as grant_ops
from ..events import CUSTOMER_SET, Subscriber
from ..model import CompiledPolicy, Credit, Entitlement, Limit, Plan, compile_limit
from ..price_models import Pricing
from ..resolver import ResolveFunction
from ..schedule import pending_period_start

Clock = Callable[[], int]
_OVERRIDE_CACHE_MAX = 50_000
_REF_DEPTH = 16  # refs chains deeper than this (or cyclic) stop inheriting a plan


def resolvable_alt(alt: str) -> bool:
    """Whether an alternative id can be looked up. The reference registers an alt id with `Obj.insert`, which
    reads its name as a path, so an id with a dot (an email) lands in nested objects that `Obj.get` never finds:
    such an id stays in the customer's `alt_ids` and every call treats it as an unknown id."""
    return "." not in alt


class Lookups:
    """The state a `Policy` holds (its slots) and the lookups the metering, read and customer mixins share.

    Each mixin derives from this class only, never from another mixin: calls across concerns (metering's
    `cost`, a topup's `value` and `increment`) resolve on the composed `Policy`. A flat hierarchy also keeps
    freeing a `with_customers` copy as cheap as before the split (CPython walks the base chain to clear slots).
    """

    __slots__ = ()
    _alt: dict[str, str] | None
    _c: CompiledPolicy
    _clock: Clock
    _customers: dict[str, dict[str, Any]]
    _price_cache: dict[int, tuple[Any, Pricing | None]]
    _resolve: ResolveFunction | None
    _subscribers: list[Subscriber]

    def _emit(self, name: str, payload: dict[str, Any]) -> None:
        for callback in list(self._subscribers):
            callback(name, payload)

    def _alt_index(self) -> dict[str, str]:
        if self._alt is None:
            self._alt = {alt: cid for cid, c in self._customers.items() for alt in (c.get("alt_ids") or ())
                         if resolvable_alt(alt)}
        return self._alt

    def _find(self, cid: str) -> dict[str, Any] | None:
        customer = self._customers.get(cid)
        if customer is not None:
            return customer
        real = self._alt_index().get(cid)
        return None if real is None else self._customers.get(real)

    def _plan_of(self, customer: dict[str, Any]) -> Plan | None:
        """The plan a customer is on: its own, else inherited through its refs, else the default plan."""
        name = customer.get("plan")
        if name:
            plan = self._c.plans.get(name)
            if plan is not None:
                return plan
        plan = self._inherited_plan(customer, 0) if customer.get("refs") else None
        return self._c.default_plan if plan is None else plan

    def _own_plan(self, customer: dict[str, Any], depth: int = 0) -> Plan | None:
        """The reference's `plan_for(id, default=false)`: the customer's plan, else the first of its refs (in
        order, each searched depth-first through its own refs) that resolves one; None without one."""
        name = customer.get("plan")
        if name:
            plan = self._c.plans.get(name)
            if plan is not None:
                return plan
        return self._inherited_plan(customer, depth)

    def _inherited_plan(self, customer: dict[str, Any], depth: int) -> Plan | None:
        if depth >= _REF_DEPTH:
            return None
        for ref_id in customer.get("refs") or ():
            ref = self._find(ref_id)
            if ref is not None:
                plan = self._own_plan(ref, depth + 1)
                if plan is not None:
                    return plan
        return None

    def _call_plan(self, cid: str, customer: dict[str, Any]) -> Plan | None:
        """The plan a call by `cid` resolves entitlements in: a plan named `cid` wins over the customer's own,
        as the reference's `plan(id)` looks plan names up first."""
        plan = self._c.plans.get(cid)
        return self._plan_of(customer) if plan is None else plan

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

    def _resolve_call(self, cid: str, name: str) -> tuple[dict[str, Any], Plan, Entitlement] | None:
        customer = self._find(cid)
        if customer is None:
            return None
        plan = self._call_plan(cid, customer)
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

    @staticmethod
    def _reset_meter(meter: dict[str, Any], start: int) -> None:
        meter["started"] = start
        meter["value"] = 0.0
        meter["overhead"] = 0.0
        meter["history"] = []
        for key in ("governor_tokens", "governor_last_refill", "ewma_rate"):
            meter.pop(key, None)

    def _customer_set(self, customer: dict[str, Any]) -> None:
        if self._subscribers:
            self._emit(CUSTOMER_SET, copy.deepcopy(customer))

    @staticmethod
    def _new_meter(limit: Limit, started: int) -> dict[str, Any]:
        return {"credit": limit.credit, "started": started, "value": 0.0, "overhead": 0.0}
