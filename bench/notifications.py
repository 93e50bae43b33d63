"""Notifications benchmark: the pure decision per event, and webhook delivery throughput with one relay.

Run: `.venv/bin/python bench/notifications.py`. Prints Markdown tables for BENCHMARKS.md.

1. The decision for one usage event (a soft-limit overage of a Growth customer on the sample policy) with 10
   notifications listening to it — 5 segment-scoped (2 matching segments, 3 not), 2 with conditions, 3 plain —
   against the same event with none; side by side, interleaved per round so machine noise hits both alike.
2. Webhook deliveries from an in-memory outbox through one relay (one thread, one kept-alive connection) to a
   receiver on 127.0.0.1 that verifies every signature with standardwebhooks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook

from segmentr.notifications import (
    ArmState,
    Attempt,
    Claim,
    Delivery,
    EventCollector,
    InAppTarget,
    Notification,
    Outcome,
    RearmKey,
    Relay,
    SegmentRef,
    WebhookTarget,
    decide,
    rearmed,
    webhook_body,
)
from segmentr.notifications.channels import WebhookChannel
from segmentr.notifications.events import Event, MeterOverage
from segmentr.policy import Policy

NOW = 1_767_225_600_000
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "segmentr" / "sample" / "policy.json"


class ArmStates:
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


SEGMENTS = {
    "seg_paid": SegmentRef("seg_paid", "Growth or Enterprise",
                           'customer.plan == "growth" || customer.plan == "enterprise"'),
    "seg_heavy": SegmentRef("seg_heavy", "Heavy API users",
                            'customer.meters.api_requests.value > ?policy.limit(customer.id, "api_requests") * 0.8'),
    "seg_free": SegmentRef("seg_free", "Free", 'customer.plan == "free"'),
    "seg_org": SegmentRef("seg_org", "Organisations", 'customer.type == "org"'),
    "seg_pilot": SegmentRef("seg_pilot", "Pilot", 'data.internal_tier == "pilot"'),
}


def notifications() -> list[Notification]:
    hook = WebhookTarget(url="https://hooks.example.com/x")
    made = [Notification(id=f"ntf_seg{i}", name=f"seg {i}", events=["meter-overage"], segment=segment,
                         channels=[hook, InAppTarget()], environment="live")
            for i, segment in enumerate(SEGMENTS)]
    made += [Notification(id=f"ntf_cond{i}", name=f"cond {i}", events=["meter-overage", "meter-changed"],
                          condition=condition, channels=[hook], environment="live")
             for i, condition in enumerate(("customer.meters.api_requests.value >= 400000",
                                            'data.internal_tier != "pilot" && customer.plan != "free"'))]
    made += [Notification(id=f"ntf_all{i}", name=f"all {i}", events=["meter-overage"], channels=[hook],
                          environment="both") for i in range(3)]
    return made


def overage_event(policy: Policy) -> tuple[Event, dict[str, Any]]:
    policy.create_customer("acme", "growth", metadata={"internal_tier": "ga"})
    state = policy.customer("acme")
    assert state is not None
    collector = EventCollector("live", clock=policy.now)
    policy.with_customers({"acme": state}, subscribers=[collector]).allow("acme", "api_requests", 600_000)
    (event,) = collector.drain()
    assert isinstance(event, MeterOverage)
    return event, state


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_decision(rounds: int = 5000) -> list[tuple[str, float, float, float, float]]:
    """Per label: wall p50, wall p99, CPU p50, CPU p99 (µs). The CPU time of the calling thread leaves out the
    time the scheduler gave to other processes (the shared machine's load is several times its cores)."""
    policy = Policy.from_document(json.loads(SAMPLE.read_text()), clock=lambda: NOW)
    event, state = overage_event(policy)
    ten, none = notifications(), []
    timings: dict[str, list[float]] = {"10 notifications": [], "none": []}
    cpu: dict[str, list[float]] = {"10 notifications": [], "none": []}
    arm = ArmStates()
    fired = 0
    for index in range(rounds + 200):
        fresh = MeterOverage(id=f"evt_{index}", environment="live", customer_id="acme", at=NOW,
                             payload=event.payload, entitlement_name="api_requests", plan="growth")
        for label, listening in (("10 notifications", ten), ("none", none)):
            start, start_cpu = time.perf_counter(), time.thread_time_ns()
            decision = decide(fresh, customer=state, policy=policy, notifications=listening, segments=SEGMENTS,
                              arm_states=arm, now=NOW)
            elapsed, elapsed_cpu = (time.perf_counter() - start) * 1e6, (time.thread_time_ns() - start_cpu) / 1e3
            if index >= 200:  # warm-up: the conditions are promoted to generated code after 100 evaluations
                timings[label].append(elapsed)
                cpu[label].append(elapsed_cpu)
            if label == "10 notifications" and index == 0:
                fired = len(decision.fired)
    print(f"fired on the first event: {fired} of 10 (2 matching segments, 2 conditions crossing, 3 plain)")
    return [(label, statistics.median(ts), percentile(ts, 0.99), statistics.median(cpu[label]),
             percentile(cpu[label], 0.99)) for label, ts in timings.items()]


class Outbox:
    def __init__(self, deliveries: list[Delivery]) -> None:
        self.pending = list(deliveries)
        self.delivered = 0

    def add(self, deliveries: Any) -> None:
        self.pending.extend(deliveries)

    def claim(self, *, now: int, limit: int, lease_ms: int) -> list[Claim]:
        batch, self.pending = self.pending[:limit], self.pending[limit:]
        return [Claim(d, 0, "t") for d in batch]

    def record(self, claim: Claim, attempt: Attempt, outcome: Outcome) -> bool:
        if outcome.state != "delivered":
            raise SystemExit(f"delivery failed: {attempt.error}")
        self.delivered += 1
        return True


def bench_throughput(count: int = 2000) -> tuple[float, int]:
    target = WebhookTarget(url="http://127.0.0.1:1/hook")
    verifier = Webhook(target.secret)
    verified = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            verifier.verify(body, dict(self.headers.items()))
            verified[0] += 1
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = target.model_copy(update={"url": f"http://127.0.0.1:{server.server_address[1]}/hook"})
    notification = Notification(id="ntf_bench", name="bench", events=["meter-overage"], channels=[target])
    policy = Policy.from_document(json.loads(SAMPLE.read_text()), clock=lambda: NOW)
    event, state = overage_event(policy)
    deliveries = []
    for index in range(count):
        fresh = MeterOverage(id=f"evt_{index}", environment="live", customer_id="acme", at=NOW,
                             payload=event.payload, entitlement_name="api_requests", plan="growth")
        deliveries.append(Delivery.decide(fresh, notification, 0, body=webhook_body(fresh, notification, None, state),
                                          now=NOW))
    outbox = Outbox(deliveries)
    relay = Relay(outbox, {"webhook": WebhookChannel(allow_private=True)}, batch_size=100)
    start = time.perf_counter()
    while outbox.pending:
        relay.run_once()
    elapsed = time.perf_counter() - start
    server.shutdown()
    assert verified[0] == count == outbox.delivered
    return count / elapsed, len(json.dumps(deliveries[0].body))


def main() -> None:
    print(f"{dt.date.today()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores (shared) · "
          f"Python {sys.version.split()[0]}")
    rows = bench_decision()
    print("\n| decision per event | wall p50 µs | wall p99 µs | CPU p50 µs | CPU p99 µs |\n|---|---:|---:|---:|---:|")
    for label, p50, p99, cpu50, cpu99 in rows:
        print(f"| {label} | {p50:.0f} | {p99:.0f} | {cpu50:.0f} | {cpu99:.0f} |")
    ten, none = rows
    print(f"\nadded by 10 notifications: wall p50 {ten[1] - none[1]:.0f} µs, p99 {ten[2] - none[2]:.0f} µs; "
          f"CPU p50 {ten[3] - none[3]:.0f} µs, p99 {ten[4] - none[4]:.0f} µs")
    per_second, size = bench_throughput()
    print(f"\nwebhooks, one relay to 127.0.0.1 (verified): {per_second:.0f}/s ({size} B bodies)")


if __name__ == "__main__":
    main()
