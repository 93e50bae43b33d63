"""The price-resolver hook: who decides the price of `credit:<name>` / `topup:<name>` for a customer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

Price = dict[str, Any] | list[dict[str, Any]]
ResolveFunction = Callable[[dict[str, Any], str], Price | None]


@runtime_checkable
class PriceResolver(Protocol):
    """Answers the effective price of a target for a customer; None means "use the policy's own price".

    A resolver whose answers read other customers (segment conditions over the policy) may also offer
    `for_customers(customers) -> resolver`: a `with_customers` copy then gets it over its own table.
    """

    def resolve(self, customer: dict[str, Any], target: str) -> Price | None: ...


class PolicyPrices:
    """The default resolver: the policy document's own prices (credit `price`/`tiers`, topup `price`)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document

    def resolve(self, customer: dict[str, Any], target: str) -> Price | None:
        kind, _, name = target.partition(":")
        if kind == "credit":
            credit = self._document.get("credits", {}).get(name)
            if credit is None:
                return None
            return credit.get("tiers") or credit.get("price")
        if kind == "topup":
            for plan in self._document.get("plans", {}).values():
                topup = plan.get("topups", {}).get(name)
                if topup is not None:
                    return topup.get("price")
        return None


def resolve_function(resolver: PriceResolver | ResolveFunction | None) -> ResolveFunction | None:
    """A resolver object or plain callable, as a function (None: no resolver, the policy's prices apply)."""
    if resolver is None:
        return None
    method = getattr(resolver, "resolve", None)
    if callable(method):
        return method  # type: ignore[no-any-return]
    if callable(resolver):
        return resolver
    raise TypeError("a price resolver is a callable or has resolve(customer, target)")


def rebound(resolve: ResolveFunction | None, customers: Mapping[str, dict[str, Any]]) -> ResolveFunction | None:
    """The resolver of a policy copy over `customers`: the same one, or its `for_customers(customers)`."""
    if resolve is None:
        return None
    rebind = getattr(getattr(resolve, "__self__", None), "for_customers", None)
    return resolve if rebind is None else resolve_function(rebind(customers))
