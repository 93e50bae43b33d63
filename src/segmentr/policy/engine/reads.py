"""Reads: limits, usage, remaining, resets, rates and the plan and credit objects, never changing state."""

from __future__ import annotations

import copy
import math
from typing import Any

from ..events import round9
from ..model import Limit, Plan
from ..schedule import next_reset, pending_period_start
from .lookups import Lookups


class Reads(Lookups):
    """The read API: what a customer may use, has used and has left, as of the clock."""

    __slots__ = ()

    def entitlement(self, id: str, name: str) -> dict[str, Any] | None:
        """The plan's entitlement object (overrides not reflected); `id` is a customer or a plan name."""
        plan = self._plan_for_read(id)
        if plan is None:
            return None
        ent = plan.entitlements.get(name)
        return None if ent is None else ent.raw

    def _plan_for_read(self, id: str) -> Plan | None:
        """The reference's `plan(id)`: a plan named `id`, else the plan customer `id` is on, else the default."""
        plan = self._c.plans.get(id)
        if plan is not None:
            return plan
        customer = self._find(id)
        return self._c.default_plan if customer is None else self._plan_of(customer)

    def limit_obj(self, id: str, name: str) -> dict[str, Any] | None:
        """The effective limit (the customer's override, else the plan's) as a fresh dict."""
        plan = self._plan_for_read(id)
        ent = None if plan is None else plan.entitlements.get(name)
        if ent is None:
            return None
        customer = self._find(id)
        owner = None if customer is None else self._owner(customer, ent.scope)
        limit = ent.limit if owner is None else self._limit_of(owner, ent)  # no scope owner: the plan's limit
        return None if limit is None else dict(limit.raw)

    def limit(self, id: str, entitlement: str, grants: bool = True) -> float | None:
        """The limit in credit units, plus the customer's converted grant balance; None for observe/no limit."""
        plan = self._plan_for_read(id)
        ent = None if plan is None else plan.entitlements.get(entitlement)
        if ent is None or ent.limit is None:
            return None
        customer = self._find(id)
        owner = None if customer is None else self._owner(customer, ent.scope)
        if owner is None:  # an unknown id, or no scope owner: the plan's limit, without grants
            return None if ent.limit.mode == "observe" else round9(ent.limit.value)
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
            # the reference computes `100 - remaining(...)`; Stof's `100 - null` is 100, so a read with no
            # remaining (observe, a feature flag, an unresolved call) gives 100
            remaining = self.remaining(id, entitlement, True, grants)
            return 100.0 if remaining is None else round9(100.0 - remaining)
        customer = self._customers.get(id) or self._find(id)
        if customer is None:
            return None
        plan = self._call_plan(id, customer)
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
        plan = self._plan_for_read(id)
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
            plan = None if customer is None else self._own_plan(customer)
            if plan is None and default:
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
