"""``Client``: the synchronous client (httpx.Client)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from segmentr.client.calls import RETRY_STATUSES, Call, Calls, RetryPolicy, environment_of, read_answer
from segmentr.client.errors import APIConnectionError, ClientError
from segmentr.client.models import Entitlement, Evaluation, MembersPage, UsageDecision

__all__ = ["Client"]


class Client:
    """The API at ``base_url`` as ``api_key`` (its environment is read from the key's ``sk_test_``/``sk_live_``
    prefix unless ``environment`` is given). Close it, or use it as a context manager."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        environment: str | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        env = environment or environment_of(api_key)
        if env is None:
            raise ClientError("give the environment: the key is neither sk_test_… nor sk_live_…")
        self.calls = Calls(env)
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "segmentr-python"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, call: Call) -> Any:
        """Run one call, retrying what is safe to retry; the parsed result, or the typed error."""
        headers = {"Idempotency-Key": call.idempotency_key} if call.idempotency_key else {}
        attempts = self.retry.attempts if call.retryable else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(call.method, call.path, json=call.json, params=call.params or None,
                                              headers=headers)  # fmt: skip
            except httpx.TransportError as exc:
                if last:
                    raise APIConnectionError(f"{call.method} {call.path}: {exc}") from exc
                time.sleep(self.retry.delay(attempt))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                time.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            return read_answer(call, response)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ the calls

    def usage(self, customer_id: str, entitlement: str, value: float | str = 1, *,
              event_data: dict[str, Any] | None = None, overhead: float | None = None,
              idempotency_key: str | None = None) -> UsageDecision:  # fmt: skip
        """Record usage through the policy engine (``allow``), atomically and at most once per idempotency key."""
        return self.send(self.calls.usage(customer_id, entitlement, value, event_data=event_data,
                                          overhead=overhead, idempotency_key=idempotency_key))  # fmt: skip

    def check(self, customer_id: str, entitlement: str, value: float | str = 1, *,
              event_data: dict[str, Any] | None = None) -> UsageDecision:  # fmt: skip
        """The same decision as ``usage``, nothing recorded."""
        return self.send(self.calls.usage(customer_id, entitlement, value, event_data=event_data, overhead=None,
                                          idempotency_key=None, check=True))  # fmt: skip

    def entitlement(self, customer_id: str, name: str) -> Entitlement:
        return self.send(self.calls.entitlement(customer_id, name))

    def upsert_customer(self, customer: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Create or replace one customer (Limitr's customer format)."""
        return self.send(self.calls.upsert_customer(customer, idempotency_key=idempotency_key))

    def customer(self, customer_id: str) -> dict[str, Any]:
        return self.send(self.calls.customer(customer_id))

    def price(self, customer_id: str, target: str) -> dict[str, Any]:
        """The customer's effective price of ``credit:<name>`` / ``topup:<name>`` and why (``source``,
        ``considered``)."""
        return self.send(self.calls.price(customer_id, target))

    def topup(self, customer_id: str, topup: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Grant a topup of the customer's plan; the answer has the grant and the (effective) price charged."""
        return self.send(self.calls.topup(customer_id, topup, idempotency_key=idempotency_key))

    def margin(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's margin snapshot, priced with effective prices."""
        return self.send(self.calls.margin(customer_id))

    def pricing_rules(self) -> list[dict[str, Any]]:
        """The environment's pricing rules in priority order (the first 100)."""
        return self.send(self.calls.pricing_rules())

    def evaluate(self, segment: str, customer_id: str, *, explain: bool = False) -> Evaluation:
        return self.send(self.calls.evaluate(segment, customer_id, explain=explain))

    def members(self, segment: str, *, limit: int = 100, starting_after: str | None = None,
                expand: bool = False) -> MembersPage:  # fmt: skip
        """One page of the segment's members."""
        return self.send(self.calls.members(segment, limit=limit, starting_after=starting_after, expand=expand))

    def iter_members(self, segment: str, *, page_size: int = 1000, expand: bool = False) -> Iterator[Any]:
        """Every member, page after page (keyset: no member is repeated or skipped while it stays in)."""
        after = None
        while True:
            page = self.members(segment, limit=page_size, starting_after=after, expand=expand)
            yield from page.data
            if not page.has_more or page.last_id is None:
                return
            after = page.last_id
