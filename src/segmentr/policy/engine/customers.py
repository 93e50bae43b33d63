"""Customers: create, replace, delete, refs, alternative ids, plan changes and limit overrides."""

from __future__ import annotations

import copy
import json
from typing import Any

from ..document import LIMIT_MODES, PolicyDocumentError, duration_ms, fill_customer, limit_problems
from ..events import CUSTOMER_PLAN_CHANGED, CUSTOMER_REMOVED
from .lookups import Lookups, resolvable_alt


class Customers(Lookups):
    """The customer table's write API; each change sends customer-set (and its own event where §3 has one)."""

    __slots__ = ()

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
                if resolvable_alt(alt):
                    self._alt[alt] = state["id"]
        if event:
            self._customer_set(state)
        return state

    def set_customer(self, state: Any, event: bool = True) -> dict[str, Any]:
        """Replace a customer's state from a dict or JSON text."""
        if isinstance(state, str | bytes):
            state = json.loads(state)
        return self.put_customer(dict(state), event)

    def create_customer(self, id: str, plan: str = "", type: str = "user", label: str = "User",
                        refs: list[str] | None = None, alts: list[str] | None = None,
                        metadata: Any = None) -> dict[str, Any] | None:
        """Create (or update in place) a customer, as the reference does.

        The plan is `plan` (a plan name, or a customer id whose plan is used while `plan` is stored as given),
        else the first ref that resolves one (`plan` stays ''), else the default plan (its name is stored);
        None when there is none. An existing customer (by id or alt id) gets the new type, label, plan and
        refs (and metadata when given); its meters and alt ids are left as they are. A new one gets a meter
        for every limited entitlement of that plan, its alt ids and its plan's included topups.
        """
        resolved = self._c.plans.get(plan)
        if resolved is None:
            named = self._find(plan)
            resolved = None if named is None else self._own_plan(named)
        if resolved is None and refs:
            for ref_id in refs:
                ref = self._find(ref_id)
                resolved = None if ref is None else self._own_plan(ref)
                if resolved is not None:
                    plan = ""
                    break
        if resolved is None:
            resolved = self._c.default_plan
            if resolved is None:
                return None
            plan = resolved.name
        if isinstance(metadata, str | bytes):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = None  # the reference drops metadata text it cannot parse
        existing = self._find(id)
        if existing is not None:
            existing["type"] = type
            existing["label"] = label
            existing["plan"] = plan
            existing["refs"] = list(refs or [])
            if metadata is not None:
                existing["metadata"] = metadata
            self._customer_set(existing)
            return existing
        customer = fill_customer({"id": id, "plan": plan, "type": type, "label": label,
                                  "refs": list(refs or []), "metadata": metadata})
        now = self._clock()
        for ent in resolved.limited:
            customer["meters"][ent.name] = self._new_meter(ent.limit, now)  # type: ignore[arg-type]
        self.put_customer(customer)
        for alt in alts or ():
            self.set_alt_customer_id(id, alt, event=False)
        on_plan = self._plan_of(customer)
        if on_plan is not None:
            self._grant_included(customer, on_plan, now)
        self._customer_set(customer)
        return customer

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
        """Add an alternative id to a customer (moved to the end of its `alt_ids`).

        As in the reference, an alt id another customer had now points here (it stays in that customer's
        `alt_ids`), a customer's own id always wins over an alt id, and an alt id with a dot is kept in
        `alt_ids` but never resolves (see `resolvable_alt`).
        """
        customer = self._find(id)
        if customer is None:
            return False
        alt_ids = customer["alt_ids"]
        while alt in alt_ids:
            alt_ids.remove(alt)
        alt_ids.append(alt)
        if resolvable_alt(alt):
            self._alt_index()[alt] = customer["id"]
        if event:
            self._customer_set(customer)
        return True

    def delete_alt_customer_id(self, alt: str, event: bool = True) -> bool:
        """Remove an alternative id; True if it was registered."""
        customer = self._find(alt)
        removed = self._alt_index().pop(alt, None) is not None
        if customer is not None:
            while alt in customer["alt_ids"]:
                customer["alt_ids"].remove(alt)
            if event:
                self._customer_set(customer)
        return removed

    def set_customer_plan(self, id: str, plan: str, overwrite_meters: bool = False) -> bool:
        """Move a customer to `plan`; False if the plan is unknown or already the one it resolves to.

        The new plan's limited entitlements get a meter where there is none (every one of them with
        `overwrite_meters`, other meters kept), started at the earliest start among the meters of entitlements
        the previous plan had (now when overwriting), as the reference does.
        """
        customer = self._find(id)
        new_plan = self._c.plans.get(plan)
        previous = None if customer is None else self._plan_of(customer)
        if customer is None or new_plan is None or previous is new_plan:
            return False
        customer["plan"] = plan
        meters = customer["meters"]
        started = self._clock()
        if not overwrite_meters and previous is not None:
            for name, meter in meters.items():
                if name in previous.entitlements and meter["started"] < started:
                    started = meter["started"]
        for ent in new_plan.limited:
            if overwrite_meters or ent.name not in meters:
                meters[ent.name] = self._new_meter(ent.limit, started)  # type: ignore[arg-type]
        self._customer_set(customer)
        if self._subscribers:
            self._emit(CUSTOMER_PLAN_CHANGED, {"previous_plan": None if previous is None else previous.name,
                                               "new_plan": plan, "customer": customer["id"]})
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
