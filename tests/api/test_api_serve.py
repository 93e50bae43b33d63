"""``segmentr serve`` as a real uvicorn server on 127.0.0.1: first start on a fresh embedded database, the API
over a socket, graceful shutdown (in-flight requests finish whole)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
from api_helpers import FAST_HASHER, Server

from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Services, Store


def test_serve_initialises_a_fresh_sqlite_file_and_answers(tmp_path: Path) -> None:
    database = tmp_path / "new" / "segmentr.db"
    with Server(f"sqlite:///{database}") as server:
        assert database.exists()
        health = httpx.get(f"{server.base_url}/healthz")
        assert health.json() == {"status": "ok", "database": "ok"} and health.headers["request-id"]
        missing = httpx.get(f"{server.base_url}/v1/nothing")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
        assert httpx.get(f"{server.base_url}/openapi.json").json()["info"]["title"] == "segmentr"
        # SIGTERM: uvicorn finishes in-flight requests, runs the shutdown, then re-raises the signal
        assert server.stop() in (0, -15)
        assert "Application shutdown complete" in server.output()


def _refuses_connections(base_url: str, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/healthz", timeout=2)
        except httpx.TransportError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_lets_in_flight_requests_finish_and_writes_nothing_by_half(tmp_path: Path) -> None:
    """A usage batch whose body is still arriving when SIGTERM comes: the server stops taking connections, the
    batch is read to its end, metered whole and answered 200; after a restart the meters hold all of it."""
    url = f"sqlite:///{tmp_path / 'graceful.db'}"
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(20, seed=5, now_ms=1_760_000_000_000))
        services = Services(store, password_hasher=FAST_HASHER)
        owner = services.local_owner()
        key = services.keys(owner).create("graceful", environment="live", role="editor").secret
        customers = [c["id"] for c in services.customers(owner).list("live", plan="growth", limit=5).data]
    headers = {"Authorization": f"Bearer {key}"}
    records = [{"customer": customers[i % len(customers)], "entitlement": "api_requests", "value": 1}
               for i in range(1000)]  # fmt: skip
    body = orjson.dumps({"records": records})
    half_sent, terminated = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        half_sent.set()
        terminated.wait(timeout=30)  # the rest only once the server has been told to stop
        time.sleep(0.3)
        yield body[len(body) // 2 :]

    def meters(base_url: str) -> float:
        total = 0.0
        for customer in customers:
            answer = httpx.get(f"{base_url}/v1/live/customers/{customer}/entitlements/api_requests", headers=headers)
            total += float(answer.json()["value"] or 0)
        return total

    server = Server(url, env={"SEGMENTR_RATE_LIMIT": "0"}).start()
    try:
        before = meters(server.base_url)
        answer: list[httpx.Response] = []
        sender = threading.Thread(target=lambda: answer.append(httpx.post(
            f"{server.base_url}/v1/live/usage/batch", content=slow_body(), timeout=60,
            headers={**headers, "Content-Type": "application/json"})))  # fmt: skip
        sender.start()
        assert half_sent.wait(timeout=30)
        time.sleep(1.0)  # the request's head and half its body are in the server
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        assert _refuses_connections(server.base_url), "still accepting connections 20 s after SIGTERM"
        terminated.set()  # only now the rest of the body: the request was in flight all along
        sender.join(timeout=60)
        assert server.process.wait(timeout=60) in (0, -15)
    finally:
        server.stop()
    assert len(answer) == 1 and answer[0].status_code == 200, answer and answer[0].text
    results = answer[0].json()["results"]
    assert len(results) == 1000 and all(r.get("allowed") is True for r in results)
    assert "Waiting for connections to close" in server.output()  # the request was in flight at the signal
    with Server(url, env={"SEGMENTR_RATE_LIMIT": "0"}) as again:
        assert meters(again.base_url) == before + 1000
