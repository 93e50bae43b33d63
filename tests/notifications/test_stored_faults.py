"""Faults: `segmentr worker` and `segmentr serve` killed with SIGKILL mid-delivery and mid-usage, many times, with
a receiver that fails every message's first attempt. Afterwards every decided delivery arrived, the receiver saw
exactly the decided set of webhook-ids, and nothing was decided twice (one delivery per metered usage call)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from stored_helpers import Stored, customer, open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_helpers import Server

ROUNDS = 4
LEASE_MS = "1500"


class FlakyReceiver:
    """Verifies every signature; answers 500 to the first attempt of each webhook-id, 200 afterwards."""

    def __init__(self) -> None:
        self.secret = ""
        self.attempts: dict[str, int] = {}
        self.failures: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the worker was killed mid-request: no request reached us
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError as exc:
                    receiver.failures.append(str(exc))
                with receiver.lock:
                    message = headers.get("webhook-id", "")
                    receiver.attempts[message] = receiver.attempts.get(message, 0) + 1
                    status = 500 if receiver.attempts[message] == 1 else 200
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def delivered(self) -> set[str]:
        with self.lock:
            return {message for message, count in self.attempts.items() if count >= 2}


def _worker_process(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SEGMENTR_DATABASE_URL": url, "SEGMENTR_ALLOW_PRIVATE_WEBHOOKS": "1",
           "SEGMENTR_WORKER_LEASE_MS": LEASE_MS}
    segmentr = str(Path(sys.executable).with_name("segmentr"))
    return subprocess.Popen([segmentr, "worker", "--no-sweep"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _meter(base_url: str, headers: dict[str, str], keys: list[str], done: set[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=5) as client:
        for key in keys:
            if stop.is_set():
                return
            try:
                answer = client.post("/v1/live/customers/acme/usage", json={"entitlement": "api", "value": 1},
                                     headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                return  # the server died under the call: it committed or not; the retry will tell
            if answer.status_code == 200:
                done.add(key)


@pytest.mark.slow
def test_kill_9_loses_no_delivery_and_duplicates_none(db_url: str) -> None:
    rng = random.Random(11)
    store = open_store(db_url)
    stored = Stored(store)
    receiver = FlakyReceiver()
    notification = stored.webhook(receiver.url(), events=["meter-changed"])
    receiver.secret = notification.channels[0].secret
    stored.customers.put("live", customer("acme", "growth"))
    secret = stored.services.keys(stored.owner).create("faults", environment="live", role="admin").secret
    headers = {"Authorization": f"Bearer {secret}"}
    url = store.engine.url.render_as_string(hide_password=False)
    env = {"SEGMENTR_ALLOW_PRIVATE_WEBHOOKS": "1", "SEGMENTR_WORKER_LEASE_MS": LEASE_MS}
    keys = [f"usage-{i}" for i in range(120)]
    done: set[str] = set()
    try:
        for _ in range(ROUNDS):
            worker = _worker_process(url)
            server = Server(url, env=env).start()
            stop = threading.Event()
            todo = [key for key in keys if key not in done]
            meter = threading.Thread(target=_meter, args=(server.base_url, headers, todo, done, stop))
            meter.start()
            time.sleep(rng.uniform(0.5, 1.5))
            _kill(worker)  # mid-delivery
            time.sleep(rng.uniform(0.1, 0.6))
            server.kill()  # mid-usage
            stop.set()
            meter.join(10)
        # the last round: nobody is killed; every key is sent (again) until it is answered
        worker = _worker_process(url)
        with Server(url, env=env) as server:
            _meter(server.base_url, headers, [key for key in keys if key not in done], done, threading.Event())
            assert done == set(keys)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                states = {d.state for d in _deliveries(stored, notification.id)}
                if states == {"delivered"}:
                    break
                time.sleep(0.5)
        _kill(worker)
        deliveries = _deliveries(stored, notification.id)
        undelivered = [(d.webhook_id, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
                        receiver.attempts.get(d.webhook_id, 0)) for d in deliveries if d.state != "delivered"]
        assert not undelivered, f"(webhook id, state, attempts, next, status, error, seen by receiver): {undelivered}"
        assert receiver.failures == []
        # nothing decided twice: one metered call, one event, one delivery, for every key
        assert len(deliveries) == len(keys)
        assert stored.customers.entitlement("live", "acme", "api").value == len(keys)
        changed = [e for e in _events(stored) if e.type == "meter-changed"]
        assert len(changed) == len(keys)
        # every decided delivery arrived (at least once); deduplicated, the receiver saw exactly that set
        assert receiver.delivered() == {d.webhook_id for d in deliveries}
        assert set(receiver.attempts) == {d.webhook_id for d in deliveries}
    finally:
        receiver.server.shutdown()
        store.close()


def _deliveries(stored: Stored, notification_id: str) -> list[Any]:
    found: list[Any] = []
    after = None
    while True:
        page = stored.notifications.deliveries(notification_id, starting_after=after, limit=100)
        found.extend(page.data)
        if not page.has_more:
            return found
        after = page.data[-1].id


def _events(stored: Stored) -> list[Any]:
    found: list[Any] = []
    after = None
    while True:
        page = stored.events.list("live", customer="acme", starting_after=after, limit=100)
        found.extend(page.data)
        if not page.has_more:
            return found
        after = page.data[-1].id


