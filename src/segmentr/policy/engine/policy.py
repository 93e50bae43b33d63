"""The `Policy` class: construction and copies over the metering, read, price, topup and customer mixins."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..document import validate_document
from ..events import Subscriber
from ..model import CompiledPolicy, compile_policy
from ..price_models import Pricing
from ..resolver import PriceResolver, ResolveFunction, rebound, resolve_function
from .customers import Customers
from .lookups import Clock
from .metering import Metering
from .prices import Prices
from .reads import Reads
from .topups import Topups


def _system_clock() -> int:
    return int(time.time() * 1000)


class Policy(Customers, Topups, Metering, Reads, Prices):
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
        if resolver is not None:
            other._resolve = resolve_function(resolver)
        else:  # the same resolver, over this copy's customers (no call at all when none is bound)
            other._resolve = self._resolve and rebound(self._resolve, customers)
        other._price_cache = self._price_cache
        return other

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Receive every event as `callback(name, payload)`; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def view(self) -> Any:
        """The read-only object bound as `policy` in conditions."""
        from ..view import PolicyView

        return PolicyView(self)

    @property
    def customers(self) -> Mapping[str, dict[str, Any]]:
        """The customer table (id -> live state)."""
        return self._customers

    def now(self) -> int:
        return self._clock()
