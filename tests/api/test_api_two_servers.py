"""Two real ``segmentr serve`` processes on one private PostgreSQL database behave as one server: usage through
both meters exactly, an ``Idempotency-Key`` is honoured across them, what one writes the other sees at once
(segments, customers, policy versions, a key's revocation), and the per-key rate limit is shared."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from api_helpers import FAST_HASHER, Server, assert_error

from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Services, Store

pytestmark = pytest.mark.postgres

ENTITLEMENT = "api_requests"


def _seed(url: str) -> dict[str, str]:
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(30, seed=21, now_ms=1_760_000_000_000))
        services = Services(store, password_hasher=FAST_HASHER)
        owner = services.local_owner()
        keys = services.keys(owner)
        customer = services.customers(owner).list("live", plan="growth", limit=1).data[0]["id"]
        return {
            "admin": keys.create("admin", environment="live", role="admin").secret,
            "editor": keys.create("editor", environment="live", role="editor").secret,
            "customer": customer,
        }


@pytest.fixture(scope="module")
def schema_url(postgres_url: str) -> Iterator[str]:
    """A private schema on the session's PostgreSQL server for this module's servers."""
    schema = f"two_{uuid.uuid4().hex[:10]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def pair(schema_url: str) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    seeded = _seed(schema_url)
    env = {"SEGMENTR_RATE_LIMIT": "0"}
    with Server(schema_url, env=env) as first, Server(schema_url, env=env) as second:
        yield first, second, seeded


def _client(server: Server, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _meter(client: httpx.Client, customer: str) -> float:
    response = client.get(f"/v1/live/customers/{customer}/entitlements/{ENTITLEMENT}")
    assert response.status_code == 200, response.text
    return float(response.json()["value"] or 0)


def test_usage_through_both_servers_meters_exactly(pair: tuple[Server, Server, dict[str, str]]) -> None:
    first, second, seeded = pair
    customer, per_thread = seeded["customer"], 25
    with _client(first, seeded["editor"]) as a:
        start = _meter(a, customer)
    answers: list[float] = []
    lock = threading.Lock()

    def stream(server: Server, name: str) -> None:
        with _client(server, seeded["editor"]) as client:
            for i in range(per_thread):
                response = client.post(f"/v1/live/customers/{customer}/usage",
                                       json={"entitlement": ENTITLEMENT, "value": 1},
                                       headers={"Idempotency-Key": f"{name}-{i}"})  # fmt: skip
                assert response.status_code == 200, response.text
                assert response.json()["allowed"] is True
                with lock:
                    answers.append(float(response.json()["value"]))

    threads = [threading.Thread(target=stream, args=(server, f"{server.port}-{n}"))
               for server in (first, second) for n in range(2)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    total = per_thread * len(threads)
    # every call saw the meter the one before it left, whichever process served it: no lost update
    assert sorted(answers) == [start + n for n in range(1, total + 1)]
    for server in (first, second):
        with _client(server, seeded["editor"]) as client:
            assert _meter(client, customer) == start + total


def test_an_idempotency_key_is_honoured_across_both_servers(pair: tuple[Server, Server, dict[str, str]]) -> None:
    first, second, seeded = pair
    customer, rounds = seeded["customer"], 8
    path = f"/v1/live/customers/{customer}/usage"
    with _client(first, seeded["editor"]) as a, _client(second, seeded["editor"]) as b:
        start = _meter(a, customer)
        with ThreadPoolExecutor(max_workers=2) as pool:
            for n in range(rounds):
                key = f"both-{uuid.uuid4().hex}"
                barrier = threading.Barrier(2)

                def call(client: httpx.Client, key: str = key, barrier: threading.Barrier = barrier) -> httpx.Response:
                    barrier.wait()
                    return client.post(path, json={"entitlement": ENTITLEMENT, "value": 3},
                                       headers={"Idempotency-Key": key})  # fmt: skip

                # the same key at the same moment through both processes: one meters, the other waits and replays
                responses = list(pool.map(call, (a, b)))
                assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
                assert responses[0].json() == responses[1].json()
                assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 1
                assert responses[0].json()["value"] == start + 3 * (n + 1)
                # a later retry through either replays; the key with another body is refused through either
                replay = (b if n % 2 else a).post(path, json={"entitlement": ENTITLEMENT, "value": 3},
                                                  headers={"Idempotency-Key": key})  # fmt: skip
                assert replay.json() == responses[0].json() and replay.headers["idempotent-replayed"] == "true"
                other = (a if n % 2 else b).post(path, json={"entitlement": ENTITLEMENT, "value": 4},
                                                 headers={"Idempotency-Key": key})  # fmt: skip
                assert_error(other, 409, "conflict", "idempotency_key_reused")
        assert _meter(b, customer) == start + 3 * rounds


def test_what_one_server_writes_the_other_sees(pair: tuple[Server, Server, dict[str, str]]) -> None:
    first, second, seeded = pair
    with _client(first, seeded["admin"]) as a, _client(second, seeded["admin"]) as b:
        created = a.post("/v1/segments", json={"name": f"Pros {uuid.uuid4().hex[:6]}",
                                               "condition": 'customer.metadata.get("tier") == "pro"'})  # fmt: skip
        assert created.status_code == 201, created.text
        segment = created.json()["id"]
        assert b.get(f"/v1/segments/{segment}").json()["condition"] == created.json()["condition"]
        assert segment in [s["id"] for s in b.get("/v1/segments", params={"limit": 100}).json()["data"]]

        customer: dict[str, Any] = {"id": f"cus_two_{uuid.uuid4().hex[:6]}", "plan": "growth",
                                    "metadata": {"tier": "pro"}}  # fmt: skip
        assert b.post("/v1/live/customers", json=customer).status_code == 201
        evaluated = a.post(f"/v1/live/segments/{segment}/evaluate", json={"customer_id": customer["id"]})
        assert evaluated.status_code == 200 and evaluated.json()["matched"] is True
        members = b.get(f"/v1/live/segments/{segment}/members", params={"limit": 1000}).json()["data"]
        assert customer["id"] in [m["id"] for m in members]

        # an edit through one is the next version through the other, and evaluates with the new condition
        edited = b.patch(f"/v1/segments/{segment}", json={"condition": 'customer.metadata.get("tier") == "max"'})
        assert edited.status_code == 200, edited.text
        assert a.get(f"/v1/segments/{segment}").json()["version"] == 2
        again = a.post(f"/v1/live/segments/{segment}/evaluate", json={"customer_id": customer["id"]})
        assert again.json()["matched"] is False

        # a new policy version saved through one governs metering through the other at once
        document = a.get("/v1/live/policy").json()
        policy = document["document"]
        limit = policy["plans"]["growth"]["entitlements"][ENTITLEMENT]["limit"]
        limit.update(value=2, mode="hard")
        saved = a.put("/v1/live/policy", json=policy)
        assert saved.status_code == 200, saved.text
        check = b.post(f"/v1/live/customers/{customer['id']}/usage/check", json={"entitlement": ENTITLEMENT,
                                                                               "value": 5})  # fmt: skip
        assert check.status_code == 200 and check.json()["allowed"] is False and check.json()["limit"] == 2
        restored = b.post(f"/v1/live/policy/versions/{document['version']}/restore")
        assert restored.status_code == 200, restored.text
        check = a.post(f"/v1/live/customers/{customer['id']}/usage/check", json={"entitlement": ENTITLEMENT,
                                                                               "value": 5})  # fmt: skip
        assert check.json()["allowed"] is True

        # a key revoked through one is refused by the other on its next call
        made = a.post("/v1/api-keys", json={"name": "short-lived", "environment": "live", "role": "viewer"})
        assert made.status_code == 201, made.text
        with _client(second, made.json()["secret"]) as short:
            assert short.get("/v1/segments").status_code == 200
            assert a.delete(f"/v1/api-keys/{made.json()['id']}").status_code == 200
            assert_error(short.get("/v1/segments"), 401, "authentication_error")


def test_the_rate_limit_is_shared_by_both_servers(schema_url: str, pair: tuple[Server, Server, dict[str, str]]) -> None:
    _first, _second, seeded = pair
    env = {"SEGMENTR_RATE_LIMIT": "0.05", "SEGMENTR_RATE_BURST": "4"}  # a token every 20 s: no refill here
    with (
        Server(schema_url, env=env) as first,
        Server(schema_url, env=env) as second,
        _client(first, seeded["editor"]) as a,
        _client(second, seeded["editor"]) as b,
    ):
        statuses = [client.get("/v1/segments/templates").status_code for client in (a, b, a, b)]
        assert statuses == [200, 200, 200, 200]  # the burst of 4, spent through both
        for client in (a, b):  # the key's bucket is empty for both processes, not just the one that emptied it
            refused = client.get("/v1/segments/templates")
            assert_error(refused, 429, "rate_limit_error", "rate_limited")
            assert int(refused.headers["retry-after"]) >= 1
        with _client(first, seeded["admin"]) as other_key:  # another key has a bucket of its own
            assert other_key.get("/v1/segments/templates").status_code == 200
