"""In-memory implementations of the protocols the store will implement (for these tests only), a small
policy where every plan's API limit is soft, and a webhook receiver that verifies every signature."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from segmentr.notifications import (
    Alert,
    ArmState,
    Attempt,
    Claim,
    Delivery,
    Outcome,
    RearmKey,
    rearmed,
)
from segmentr.policy import Policy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: keeps every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


NOW = 1_717_200_000_000  # 2024-06-01T00:00:00Z

POLICY = {
    "policy": {
        "credits": {"request": {"label": "Request"}},
        "plans": {
            plan: {
                "default": plan == "free",
                "entitlements": {"api": {"limit": {"credit": "request", "mode": "soft", "value": limit,
                                                   "resets": True, "reset_inc": 3_600_000}}},
            }
            for plan, limit in (("free", 100), ("starter", 200), ("growth", 1000), ("enterprise", 10_000))
        },
    }
}


class Clock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def make_policy(clock: Clock) -> Policy:
    return Policy.from_document(POLICY, clock=clock)


class MemoryArmStates:
    def __init__(self) -> None:
        self.states: dict[RearmKey, ArmState] = {}

    def get(self, key: RearmKey) -> ArmState | None:
        return self.states.get(key)

    def put(self, key: RearmKey, state: ArmState) -> None:
        self.states[key] = state

    def rearm(self, customer_id: str, entitlement: str, at: int) -> None:
        for key, state in list(self.states.items()):
            if key.customer_id == customer_id and key.entitlement == entitlement:
                self.states[key] = rearmed(state, at)


class MemoryMemberships:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], int] = {}

    def of(self, environment: str, customer_id: str) -> dict[str, int]:
        return {seg: since for (env, seg, cid), since in self.rows.items() if env == environment and cid == customer_id}

    def enter(self, environment: str, segment_id: str, customer_id: str, since: int) -> None:
        self.rows[(environment, segment_id, customer_id)] = since

    def exit(self, environment: str, segment_id: str, customer_id: str) -> None:
        self.rows.pop((environment, segment_id, customer_id), None)


class MemoryAlerts:
    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}

    def add(self, alert: Alert) -> None:
        self.alerts.setdefault(alert.id, alert)


@dataclass
class Row:
    delivery: Delivery
    state: str = "pending"
    due: int = 0
    attempts: int = 0
    lease_until: int = 0
    token: str = ""
    log: list[Attempt] = field(default_factory=list)


class MemoryOutbox:
    """The Outbox contract over a dict: idempotent add, leased claims, stale records refused."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.disabled: set[tuple[str, int]] = set()
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, deliveries: Iterable[Delivery]) -> None:
        for delivery in deliveries:
            self.rows.setdefault(delivery.id, Row(delivery, due=delivery.created_at))

    def claim(self, *, now: int, limit: int, lease_ms: int) -> list[Claim]:
        claims = []
        with self._lock:
            for row in self.rows.values():
                if len(claims) >= limit:
                    break
                if row.state != "pending" or row.due > now or row.lease_until > now:
                    continue
                if (row.delivery.notification_id, row.delivery.channel_index) in self.disabled:
                    row.state = "failed"
                    continue
                row.token = f"t{next(self._tokens)}"
                row.lease_until = now + lease_ms
                claims.append(Claim(row.delivery, row.attempts, row.token))
        return claims

    def record(self, claim: Claim, attempt: Attempt, outcome: Outcome) -> bool:
        with self._lock:
            row = self.rows[claim.delivery.id]
            if row.token != claim.token:
                return False
            row.log.append(attempt)
            row.attempts = attempt.number
            row.state = outcome.state
            row.due = outcome.next_attempt_at or row.due
            row.lease_until = 0
            row.token = ""
            if outcome.disable_channel:
                self.disabled.add((claim.delivery.notification_id, claim.delivery.channel_index))
            return True

    def retry_by_hand(self, delivery_id: str, now: int) -> None:
        row = self.rows[delivery_id]
        assert row.state == "failed"
        row.state, row.due = "pending", now

    def set_channel(self, delivery_id: str, **changes: Any) -> None:
        row = self.rows[delivery_id]
        channel = row.delivery.channel.model_copy(update=changes)
        row.delivery = replace(row.delivery, channel=channel)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A real HTTP server on 127.0.0.1. Every request's Standard Webhooks signature is verified against each
    secret of ``secrets`` (all must match: during a rotation both); ``script`` answers per path."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.failures: list[str] = []
        self.secrets: list[str] = []
        self.verify = True
        self.script: dict[str, list[tuple[int, Mapping[str, str], bytes]]] = {}
        self.delays: dict[str, float] = {}  # path -> seconds to wait before answering
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Received(self.path, headers, body))
                    if receiver.verify:
                        for secret in receiver.secrets:
                            try:
                                Webhook(secret).verify(body, headers)
                            except WebhookVerificationError as exc:
                                receiver.failures.append(f"{headers.get('webhook-id')}: {exc}")
                    queued = receiver.script.get(self.path)
                    status, extra, answer = queued.pop(0) if queued else (200, {}, b"ok")
                    delay = receiver.delays.get(self.path, 0.0)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self._stopped = False

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
