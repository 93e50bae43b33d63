"""The read-only `policy` object bound in Stof conditions: read methods only, plain-data results."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from .engine import Policy
from .vocabulary import POLICY


class PolicyView:
    """Read methods of a Policy for conditions; nothing reachable through it changes engine state.

    Results are plain data. Customer-derived results (limit_obj, margins, numbers) are fresh; `entitlement`,
    `plan` and `default_plan` return the compiled document's cached dicts, which the Stof engine must not
    mutate (it deep-copies host results when a condition contains mutating code).
    """

    __slots__ = ("_policy",)

    # the arities the runtime enforces, from the one declaration the checker and the editor read too
    stof_methods: ClassVar[dict[str, tuple[int, int]]] = POLICY.stof_methods()

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def entitlement(self, id: str, name: str) -> dict[str, Any] | None:
        return self._policy.entitlement(id, name)

    def limit(self, id: str, entitlement: str, grants: bool = True) -> float | None:
        return self._policy.limit(id, entitlement, grants)

    def value(self, id: str, entitlement: str, percent: bool = False, grants: bool = True) -> float | None:
        return self._policy.value(id, entitlement, percent, grants)

    def remaining(self, id: str, entitlement: str, percent: bool = False, grants: bool = True) -> float | None:
        return self._policy.remaining(id, entitlement, percent, grants)

    def limit_obj(self, id: str, entitlement: str) -> dict[str, Any] | None:
        return self._policy.limit_obj(id, entitlement)

    def credit_remaining(self, id: str, credit: str) -> float | None:
        return self._policy.credit_remaining(id, credit)

    def resets(self, id: str, entitlement: str) -> int | None:
        return self._policy.resets(id, entitlement)

    def plan(self, id: str, default: bool = True) -> dict[str, Any] | None:
        return self._policy.plan(id, default)

    def default_plan(self) -> dict[str, Any] | None:
        return self._policy.default_plan()

    def customer_local_margin_breakdown(self, id: str) -> dict[str, Any] | None:
        return self._policy.customer_local_margin_breakdown(id)

    def cost(self, id: str, entitlement: str) -> float | None:
        return self._policy.cost(id, entitlement)

    def check(self, id: str, entitlement: str, value: float | str = 0, cap: Any = None, context: Any = None,
              overhead: float | None = None) -> bool:
        return self._policy.check(id, entitlement, value, cap, context, overhead)

    def credit(self, name: str) -> dict[str, Any] | None:
        return self._policy.credit(name)

    def credit_for(self, id: str, entitlement: str) -> dict[str, Any] | None:
        return self._policy.credit_for(id, entitlement)

    def credit_exchange(self, source: str, target: str, value: float = 1) -> float | None:
        return self._policy.credit_exchange(source, target, value)

    def allowance(self, id: str, entitlement: str, grants: bool = True) -> float | None:
        return self._policy.allowance(id, entitlement, grants)

    def meter_obj(self, id: str, entitlement: str) -> dict[str, Any] | None:
        return self._policy.meter_obj(id, entitlement)  # already a copy

    def rate(self, id: str, entitlement: str) -> float | None:
        return self._policy.rate(id, entitlement)

    def acceleration(self, id: str, entitlement: str) -> float | None:
        return self._policy.acceleration(id, entitlement)

    def projected_exhaustion(self, id: str, entitlement: str, smoothed: bool = False,
                             grants: bool = True) -> int | None:
        return self._policy.projected_exhaustion(id, entitlement, smoothed, grants)

    def customer_metadata(self, id: str) -> Any:
        return copy.deepcopy(self._policy.customer_metadata(id))

    def customer_refs(self, id: str) -> list[str] | None:
        return self._policy.customer_refs(id)
