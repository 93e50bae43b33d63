"""Customers: create, replace, delete, refs, alternative ids, plan changes and limit overrides."""

from __future__ import annotations

import copy
import json
from typing import Any

from ..document import LIMIT_MODES, PolicyDocumentError, duration_ms, fill_customer, limit_problems
from ..events import CUSTOMER_PLAN_CHANGED, CUSTOMER_REMOVED
from .lookups import Lookups


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
