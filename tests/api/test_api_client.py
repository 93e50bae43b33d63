"""``segmentr.client`` against a real ``segmentr serve`` on 127.0.0.1: the calls, typed errors, retries with the
same Idempotency-Key; and a kill -9 of the server in the middle of a stream of usage calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import FAST_HASHER, Server, run_async

from segmentr.client import (
    APIConnectionError,
    AsyncClient,
    AuthenticationError,
    Client,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from segmentr.client.calls import RetryPolicy
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services, Store

ENTITLEMENT = "api_requests"


def _seed(url: str) -> dict[str, str]:
    """A seeded database; returns a live editor key, a test key, the segment id and a growth customer."""
    with Store(url) as store:
        store.init()
        for env in ("live", "test"):
            store.put_policy(env, sample_policy())
            store.import_customer_dicts(env, generate_customers(30, seed=11, now_ms=1_760_000_000_000))
        services = Services(store, password_hasher=FAST_HASHER)
        owner = services.local_owner()
        keys = services.keys(owner)
        segment = services.segments(owner).create(SegmentInput(name="Growth", condition='customer.plan == "growth"'))
        customer = services.customers(owner).list("live", plan="growth", limit=1).data[0]["id"]
        return {
            "live": keys.create("live", environment="live", role="editor").secret,
            "test": keys.create("test", environment="test", role="editor").secret,
            "segment": segment.id,
            "customer": customer,
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('client')) / 'client.db'}"
    seeded = _seed(url)
    with Server(url, env={"SEGMENTR_RATE_LIMIT": "0"}) as server:
        yield server, seeded


def test_the_calls_of_an_integrating_application(served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served
    with Client(server.base_url, seeded["live"]) as client:
        customer = seeded["customer"]
        before = client.entitlement(customer, ENTITLEMENT)
        assert client.check(customer, ENTITLEMENT, 5).value == before.value
        decision = client.usage(customer, ENTITLEMENT, 5)
        assert decision.allowed and decision.value == (before.value or 0) + 5
        upserted = client.upsert_customer({"id": "cus_client", "plan": "growth", "metadata": {"src": "client"}})
        assert upserted["id"] == "cus_client" and client.customer("cus_client")["metadata"] == {"src": "client"}
        assert client.evaluate(seeded["segment"], "cus_client").matched is True
        members = list(client.iter_members(seeded["segment"], page_size=3))
        assert "cus_client" in [m["id"] for m in members] and len(members) == len({m["id"] for m in members})
        expanded = client.members(seeded["segment"], limit=2, expand=True)
        assert len(expanded.data) == 2


def test_typed_errors_keep_code_and_request_id(served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served
    with Client(server.base_url, seeded["live"]) as client:
        with pytest.raises(NotFoundError) as missing:
            client.usage("cus_nobody", ENTITLEMENT, 1)
        assert missing.value.status == 404 and missing.value.request_id.startswith("req_")
        with pytest.raises(InvalidRequestError) as invalid:
            client.usage(seeded["customer"], "no_such_entitlement", 1)
        assert invalid.value.param == "entitlement"
    with Client(server.base_url, seeded["live"], environment="test") as wrong_env:
        with pytest.raises(PermissionDeniedError) as mismatch:
            wrong_env.entitlement(seeded["customer"], ENTITLEMENT)
        assert mismatch.value.code == "environment_mismatch"
    with Client(server.base_url, "sk_live_" + "0" * 16 + "_" + "0" * 43) as forged, pytest.raises(AuthenticationError):
        forged.check(seeded["customer"], ENTITLEMENT, 1)


class _LoseFirstAnswer(httpx.BaseTransport):
    """Delivers the request to the real server, then drops its first answer (a connection lost on the way back)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.sent.append(request.headers.get("idempotency-key"))
        if len(self.sent) == 1:
            response.read()
            raise httpx.ReadError("connection reset", request=request)
        return response


def test_a_lost_answer_is_retried_with_the_same_key_and_meters_once(served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served
    transport = _LoseFirstAnswer()
    customer = seeded["customer"]
    with Client(server.base_url, seeded["live"], transport=transport, retry=RetryPolicy(base=0.01)) as client:
        before = client.entitlement(customer, ENTITLEMENT).value or 0
        transport.sent.clear()
        transport.inner = httpx.HTTPTransport()
        decision = client.usage(customer, ENTITLEMENT, 7)
        assert len(transport.sent) == 2 and transport.sent[0] == transport.sent[1] is not None
        assert decision.value == before + 7
        assert client.entitlement(customer, ENTITLEMENT).value == before + 7


def test_async_client(served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served

    async def calls() -> tuple[Any, Any]:
        async with AsyncClient(server.base_url, seeded["live"]) as client:
            decision = await client.usage(seeded["customer"], ENTITLEMENT, 1)
            ids = [m["id"] async for m in client.iter_members(seeded["segment"], page_size=4)]
            return decision, ids

    decision, ids = run_async(calls)
    assert decision.allowed and seeded["customer"] in ids


def test_kill_9_during_a_stream_of_usage_calls_loses_and_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    seeded = _seed(url)
    customer, calls = seeded["customer"], 400
    keys = [f"stream-{i}" for i in range(calls)]
    acknowledged: dict[str, float] = {}

    with Server(url, env={"SEGMENTR_RATE_LIMIT": "0"}) as server:
        with Client(server.base_url, seeded["live"]) as client:
            start = client.entitlement(customer, ENTITLEMENT).value or 0

        def stream() -> None:
            with Client(server.base_url, seeded["live"], retry=RetryPolicy(attempts=1), timeout=5) as client:
                for key in keys:
                    try:
                        acknowledged[key] = client.usage(customer, ENTITLEMENT, 1, idempotency_key=key).value or 0
                    except APIConnectionError:
                        return

        worker = threading.Thread(target=stream)
        worker.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline and worker.is_alive():
            time.sleep(0.01)
        server.kill()  # SIGKILL in the middle of the stream: no shutdown, no flush
        worker.join(timeout=30)
    assert 40 <= len(acknowledged) < calls, "the kill came too late to be in the middle of the stream"

    with Server(url, env={"SEGMENTR_RATE_LIMIT": "0"}) as server, Client(server.base_url, seeded["live"]) as client:
        # every acknowledged call is in the meter
        assert (client.entitlement(customer, ENTITLEMENT).value or 0) >= start + len(acknowledged)
        # the client retries everything with the same keys: acknowledged ones replay their first answer
        for key in keys:
            value = client.usage(customer, ENTITLEMENT, 1, idempotency_key=key).value
            if key in acknowledged:
                assert value == acknowledged[key]
        # and each key metered exactly once, whether its first call was answered, lost or never made
        assert client.entitlement(customer, ENTITLEMENT).value == start + calls
