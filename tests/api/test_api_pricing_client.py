"""``segmentr.client``'s pricing calls against a real ``segmentr serve`` on 127.0.0.1: the explained price, a
topup charged the effective price, the margin and the rule list (sync and async)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import FAST_HASHER, Server, run_async

from segmentr.client import AsyncClient, Client, InvalidRequestError
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services, Store


def _seed(url: str) -> dict[str, str]:
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(20, seed=11, now_ms=1_760_000_000_000))
        services = Services(store, password_hasher=FAST_HASHER)
        owner = services.local_owner()
        segment = services.segments(owner).create(SegmentInput(name="Growth", condition='customer.plan == "growth"'))
        rule = services.pricing(owner).create("live", {
            "name": "Growth", "segment": segment.id, "priority": 1,
            "overrides": {"credit:api_request": {"amount": 0.0001}, "topup:tokens_1m": {"amount": 11}}})
        customer = services.customers(owner).list("live", plan="growth", limit=1).data[0]["id"]
        return {"key": services.keys(owner).create("k", environment="live", role="editor").secret,
                "rule": rule.rule.id, "customer": customer}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('pricing_client')) / 'client.db'}"
    seeded = _seed(url)
    with Server(url, env={"SEGMENTR_RATE_LIMIT": "0"}) as server:
        yield server, seeded


def test_pricing_calls(served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served
    with Client(server.base_url, seeded["key"]) as client:
        price = client.price(seeded["customer"], "credit:api_request")
        assert price["price"] == {"amount": 0.0001} and price["source"]["rule"]["id"] == seeded["rule"]
        charged = client.topup(seeded["customer"], "tokens_1m")
        assert charged["price"] == {"amount": 11}
        assert client.margin(seeded["customer"]) is not None
        assert [rule["id"] for rule in client.pricing_rules()] == [seeded["rule"]]
        with pytest.raises(InvalidRequestError):
            client.price(seeded["customer"], "nope")


def test_async_pricing_calls(served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served

    async def calls() -> Any:
        async with AsyncClient(server.base_url, seeded["key"]) as client:
            return await client.price(seeded["customer"], "topup:tokens_1m")

    assert run_async(calls)["price"] == {"amount": 11}
