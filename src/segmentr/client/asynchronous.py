"""``AsyncClient``: the asynchronous client (httpx.AsyncClient), the same calls as ``Client``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from segmentr.client.calls import RETRY_STATUSES, Call, Calls, RetryPolicy, environment_of, read_answer
from segmentr.client.errors import APIConnectionError, ClientError
from segmentr.client.models import Entitlement, Evaluation, MembersPage, UsageDecision

__all__ = ["AsyncClient"]


class AsyncClient:
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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        env = environment or environment_of(api_key)
        if env is None:
            raise ClientError("give the environment: the key is neither sk_test_… nor sk_live_…")
        self.calls = Calls(env)
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "segmentr-python"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def send(self, call: Call) -> Any:
        """Run one call, retrying what is safe to retry; the parsed result, or the typed error."""
        headers = {"Idempotency-Key": call.idempotency_key} if call.idempotency_key else {}
        attempts = self.retry.attempts if call.retryable else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(call.method, call.path, json=call.json, params=call.params or None,
                                              headers=headers)  # fmt: skip
            except httpx.TransportError as exc:
                if last:
                    raise APIConnectionError(f"{call.method} {call.path}: {exc}") from exc
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                await asyncio.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            return read_answer(call, response)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ the calls

    async def usage(self, customer_id: str, entitlement: str, value: float | str = 1, *,
              event_data: dict[str, Any] | None = None, overhead: float | None = None,
              idempotency_key: str | None = None) -> UsageDecision:  # fmt: skip
        """Record usage through the policy engine (``allow``), atomically and at most once per idempotency key."""
        return await self.send(self.calls.usage(customer_id, entitlement, value, event_data=event_data,
                                          overhead=overhead, idempotency_key=idempotency_key))  # fmt: skip

    async def check(self, customer_id: str, entitlement: str, value: float | str = 1, *,
              event_data: dict[str, Any] | None = None) -> UsageDecision:  # fmt: skip
        """The same decision as ``usage``, nothing recorded."""
        return await self.send(self.calls.usage(customer_id, entitlement, value, event_data=event_data, overhead=None,
                                          idempotency_key=None, check=True))  # fmt: skip

    async def entitlement(self, customer_id: str, name: str) -> Entitlement:
        return await self.send(self.calls.entitlement(customer_id, name))

    async def upsert_customer(self, customer: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Create or replace one customer (Limitr's customer format)."""
        return await self.send(self.calls.upsert_customer(customer, idempotency_key=idempotency_key))

    async def customer(self, customer_id: str) -> dict[str, Any]:
        return await self.send(self.calls.customer(customer_id))

    async def price(self, customer_id: str, target: str) -> dict[str, Any]:
        """The customer's effective price of ``credit:<name>`` / ``topup:<name>`` and why (``source``,
        ``considered``)."""
        return await self.send(self.calls.price(customer_id, target))

    async def topup(self, customer_id: str, topup: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Grant a topup of the customer's plan; the answer has the grant and the (effective) price charged."""
        return await self.send(self.calls.topup(customer_id, topup, idempotency_key=idempotency_key))

    async def margin(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's margin snapshot, priced with effective prices."""
        return await self.send(self.calls.margin(customer_id))

    async def pricing_rules(self) -> list[dict[str, Any]]:
        """The environment's pricing rules in priority order (the first 100)."""
        return await self.send(self.calls.pricing_rules())

    async def evaluate(self, segment: str, customer_id: str, *, explain: bool = False) -> Evaluation:
        return await self.send(self.calls.evaluate(segment, customer_id, explain=explain))

    async def members(self, segment: str, *, limit: int = 100, starting_after: str | None = None,
                expand: bool = False) -> MembersPage:  # fmt: skip
        """One page of the segment's members."""
        return await self.send(self.calls.members(segment, limit=limit, starting_after=starting_after, expand=expand))

    async def iter_members(self, segment: str, *, page_size: int = 1000, expand: bool = False) -> AsyncIterator[Any]:
        """Every member, page after page (keyset: no member is repeated or skipped while it stays in)."""
        after = None
        while True:
            page = await self.members(segment, limit=page_size, starting_after=after, expand=expand)
            for item in page.data:
                yield item
            if not page.has_more or page.last_id is None:
                return
            after = page.last_id
