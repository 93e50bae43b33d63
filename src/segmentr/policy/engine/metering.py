"""Metering: `allow` and `check` with their increment/decrement forms, meter history and the meter events (§3)."""

from __future__ import annotations

import json
from typing import Any

from .. import grants as grant_ops
from ..events import METER_CHANGED, METER_LIMIT, METER_OVERAGE, METER_RESET, round9, round9_or_none
from ..model import Credit, Limit, Plan
from ..schedule import pending_period_start
from .lookups import Lookups

_EPS = 1e-9
_HISTORY = 3


def _le(a: float, b: float) -> bool:
    """a <= b compared at 1e-9, as the reference does."""
    return round(a - b, 9) <= 0


class Metering(Lookups):
    """Metering calls: move a meter if the limit (and grants) allow it, and send what happened."""

    __slots__ = ()

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
