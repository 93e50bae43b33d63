"""The API calls the client makes, as plain descriptions (method, path, body, how to read the answer), shared
by the sync and the async client; and the retry rule both apply."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from segmentr.client.errors import error_from_response
from segmentr.client.models import Entitlement, Evaluation, MembersPage, UsageDecision

__all__ = ["Call", "Calls", "RetryPolicy", "environment_of", "read_answer"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def environment_of(api_key: str) -> str | None:
    """``sk_test_…`` -> ``test``, ``sk_live_…`` -> ``live`` (a key belongs to one environment)."""
    for environment in ("test", "live"):
        if api_key.startswith(f"sk_{environment}_"):
            return environment
    return None


def _segment(part: str) -> str:
    return quote(part, safe="")


@dataclass(frozen=True, slots=True)
class Call:
    """One request; ``parse`` turns the JSON answer into the call's result."""

    method: str
    path: str
    parse: Callable[[Any], Any]
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    # POSTs carry an Idempotency-Key (the caller's, or a fresh one) so that a retry is never a second effect.
    idempotency_key: str | None = None
    # A POST that changes nothing (a check, an evaluation): retried without a key.
    safe: bool = False

    @property
    def retryable(self) -> bool:
        return self.safe or self.method in ("GET", "PUT", "DELETE") or self.idempotency_key is not None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to ``attempts`` tries; waits ``base * 2**n`` seconds (with jitter, capped), or the ``Retry-After``."""

    attempts: int = 3
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after is not None:
            try:
                return min(self.cap, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return min(self.cap, self.base * 2**attempt) * (0.5 + random.random() / 2)


class Calls:
    """The calls of an integrating application, for one environment."""

    def __init__(self, environment: str) -> None:
        self.environment = environment

    def _env(self, path: str) -> str:
        return f"/v1/{self.environment}{path}"

    def usage(self, customer_id: str, entitlement: str, value: float | str, *, event_data: dict[str, Any] | None,
              overhead: float | None, idempotency_key: str | None, check: bool = False) -> Call:  # fmt: skip
        body: dict[str, Any] = {"entitlement": entitlement, "value": value}
        if event_data is not None:
            body["event_data"] = event_data
        if overhead is not None:
            body["overhead"] = overhead
        path = self._env(f"/customers/{_segment(customer_id)}/usage")
        if check:
            return Call("POST", f"{path}/check", UsageDecision.from_json, json=body, safe=True)
        return Call("POST", path, UsageDecision.from_json, json=body,
                    idempotency_key=idempotency_key or new_idempotency_key())  # fmt: skip

    def entitlement(self, customer_id: str, name: str) -> Call:
        path = self._env(f"/customers/{_segment(customer_id)}/entitlements/{_segment(name)}")
        return Call("GET", path, Entitlement.from_json)

    def upsert_customer(self, customer: dict[str, Any], *, idempotency_key: str | None) -> Call:
        return Call("POST", self._env("/customers"), dict, json=customer,
                    idempotency_key=idempotency_key or new_idempotency_key())  # fmt: skip

    def customer(self, customer_id: str) -> Call:
        return Call("GET", self._env(f"/customers/{_segment(customer_id)}"), dict)

    def price(self, customer_id: str, target: str) -> Call:
        return Call("GET", self._env(f"/customers/{_segment(customer_id)}/prices/{_segment(target)}"), dict)

    def topup(self, customer_id: str, topup: str, *, idempotency_key: str | None) -> Call:
        return Call("POST", self._env(f"/customers/{_segment(customer_id)}/topups"), dict, json={"topup": topup},
                    idempotency_key=idempotency_key or new_idempotency_key())  # fmt: skip

    def margin(self, customer_id: str) -> Call:
        return Call("GET", self._env(f"/customers/{_segment(customer_id)}/margin"), lambda body: body)

    def pricing_rules(self) -> Call:
        return Call("GET", self._env("/pricing-rules"), lambda body: list(body["data"]), params={"limit": 100})

    def evaluate(self, segment: str, customer_id: str, *, explain: bool) -> Call:
        return Call("POST", self._env(f"/segments/{_segment(segment)}/evaluate"), Evaluation.from_json,
                    json={"customer_id": customer_id, "explain": explain}, safe=True)  # fmt: skip

    def members(self, segment: str, *, limit: int, starting_after: str | None, expand: bool) -> Call:
        params: dict[str, Any] = {"limit": limit}
        if starting_after is not None:
            params["starting_after"] = starting_after
        if expand:
            params["expand"] = "customer"
        return Call("GET", self._env(f"/segments/{_segment(segment)}/members"),
                    lambda body: MembersPage(list(body["data"]), bool(body["has_more"])), params=params)  # fmt: skip


def new_idempotency_key() -> str:
    return f"idk_{uuid.uuid4().hex}"


def read_answer(call: Call, response: httpx.Response) -> Any:
    """The call's result from a 2xx answer; the typed error of any other."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success:
        return call.parse(body)
    raise error_from_response(response.status_code, body, dict(response.headers))
