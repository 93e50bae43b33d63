"""Prices and margins: credit pricing (the resolver's or the policy's), exchange, and the margin snapshots (§4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..events import round9, round9_or_none
from ..margin import assemble, entitlement_revenue
from ..model import Credit
from ..price_models import Pricing, compile_price
from ..schedule import pending_period_start
from .lookups import Lookups


class Prices(Lookups):
    """Price lookups for metering and reads, price and exchange reads, margin breakdowns."""

    __slots__ = ()

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
