"""Topups and grants: topup prices, included and purchased topups, the plan subscription bump."""

from __future__ import annotations

import copy
from typing import Any

from .. import grants as grant_ops
from ..events import CUSTOMER_TOPUP_GRANTED
from ..model import Plan, Topup
from .lookups import Lookups


class Topups(Lookups):
    """Grant a plan's topups to customers and price them."""

    __slots__ = ()

    def _resolve_topup(self, cid: str, name: str) -> tuple[dict[str, Any], Plan, Topup] | None:
        """The customer, its plan and that plan's topup `name`; None if any is missing."""
        on_plan = self._customer_and_plan(cid)
        if on_plan is None:
            return None
        topup = on_plan[1].topups.get(name)
        return None if topup is None else (*on_plan, topup)

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
