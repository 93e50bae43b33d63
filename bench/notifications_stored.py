"""Stored notifications benchmark: the decision's added cost inside a usage call, and delivery by one worker.

    .venv/bin/python bench/notifications_stored.py [--calls 1500] [--deliveries 3000] [--postgres-url URL]

For SQLite (a file) and PostgreSQL (a private server with production durability unless --postgres-url):

1. ``record_usage`` through the service, every call a durable commit, interleaved one by one: customers of the
   ``live`` environment, where 10 notifications listen to the call's event (5 segment-scoped: 2 segments the
   customers are in, 3 they are not; 2 with threshold conditions; 3 plain; all in-app, so the outbox rows are
   written), against customers of ``test`` where none listens. Wall time per call (the database included),
   p50/p99 of each and of the difference; and the decider's own time in each (``after_changes``: the listening
   read, the event log, the decision, the outbox write).
2. One ``segmentr worker`` process delivers a pre-filled outbox of webhooks to a receiver on 127.0.0.1 (in this
   process, verifying every signature with standardwebhooks): deliveries per second; then a steady stream of
   usage calls (100/s) while the worker runs: the lag from the deciding commit to the first attempt, p50/p99.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import text
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from segmentr.notifications import new_webhook_secret  # noqa: E402
from segmentr.service import (  # noqa: E402
    SegmentInput,
    Services,
    Store,
    UsageRecord,
    decisions,
)
from segments_store import postgres_for_bench  # noqa: E402

POLICY = {
    "policy": {
        "credits": {"request": {"label": "Request"}},
        "plans": {
            plan: {"default": plan == "free",
                   "entitlements": {"api": {"limit": {"credit": "request", "mode": "soft", "value": limit,
                                                      "resets": True}}}}
            for plan, limit in (("free", 100), ("growth", 1000), ("enterprise", 10_000))
        },
    }
}
CUSTOMERS = 20


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextmanager
def timed_decider() -> Iterator[dict[str, list[float]]]:
    """Time ``Decider.after_changes`` per environment (the whole added path of a change)."""
    spent: dict[str, list[float]] = {"live": [], "test": [], "live_cpu": [], "test_cpu": []}
    original = decisions.Decider.after_changes

    def wrapper(self: Any, uow: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(self, uow, **kwargs)
        finally:
            spent[kwargs["environment"]].append((time.perf_counter() - started) * 1000)
            spent[kwargs["environment"] + "_cpu"].append((time.thread_time() - cpu) * 1000)

    decisions.Decider.after_changes = wrapper  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        decisions.Decider.after_changes = original  # type: ignore[method-assign]


def seed(url: str) -> Services:
    store = Store(url)
    store.init()
    for env in ("test", "live"):
        store.put_policy(env, POLICY)
    services = Services(store)
    owner = services.local_owner()
    customers = services.customers(owner)
    for env in ("test", "live"):
        for i in range(CUSTOMERS):
            customers.put(env, {"id": f"c{i}", "plan": "growth", "metadata": {"tier": "gold"}})
    segments = services.segments(owner)
    matching = [segments.create(SegmentInput(name=f"in{i}", condition=c)).id
                for i, c in enumerate(['customer.plan == "growth"', 'customer.metadata?.tier == "gold"'])]
    missing = [segments.create(SegmentInput(name=f"out{i}", condition=f'customer.plan == "p{i}"')).id
               for i in range(3)]
    notifications = services.notifications(owner)
    channel = [{"type": "in_app"}]
    base = {"environment": "live", "events": ["meter-changed"], "channels": channel}
    for i, segment in enumerate(matching + missing):
        notifications.create({**base, "name": f"scoped {i}", "segment": segment})
    for i, condition in enumerate(["event.meter.value >= event.meter.limit * 0.8",
                                   "event.meter.value >= event.meter.limit * 0.95"]):
        notifications.create({**base, "name": f"threshold {i}", "condition": condition})
    for i in range(3):
        notifications.create({**base, "name": f"plain {i}"})
    return services


def decision_overhead(url: str, calls: int) -> dict[str, Any]:
    services = seed(url)
    customers = services.customers(services.local_owner())
    walls: dict[str, list[float]] = {"live": [], "test": []}
    for i in range(50):  # warm: caches, compiled conditions, connections
        for env in ("live", "test"):
            customers.record_usage(env, f"c{i % CUSTOMERS}", "api", 1)
    with timed_decider() as spent:
        for i in range(calls):
            for env in (("live", "test") if i % 2 == 0 else ("test", "live")):
                started = time.perf_counter()
                customers.record_usage(env, f"c{i % CUSTOMERS}", "api", 1)
                walls[env].append((time.perf_counter() - started) * 1000)
    with services.store.engine.connect() as connection:
        outbox_rows = connection.execute(text("SELECT count(*) FROM deliveries")).scalar()
    services.store.close()
    return {"walls": walls, "spent": spent, "deliveries": outbox_rows}


class Receiver:
    def __init__(self, secret: str) -> None:
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.bad = 0
        self.lock = threading.Lock()
        webhook = Webhook(secret)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    webhook.verify(body, {k.lower(): v for k, v in self.headers.items()})
                except Exception:
                    receiver.bad += 1
                now = time.perf_counter()
                with receiver.lock:
                    receiver.count += 1
                    receiver.first = receiver.first or now
                    receiver.last = now
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def delivery(url: str, deliveries: int, lag_seconds: float) -> dict[str, Any]:
    store = Store(url)
    store.init()
    store.put_policy("live", POLICY)
    services = Services(store)
    owner = services.local_owner()
    customers = services.customers(owner)
    for i in range(CUSTOMERS):
        customers.put("live", {"id": f"c{i}", "plan": "growth"})
    secret = new_webhook_secret()
    receiver = Receiver(secret)
    services.notifications(owner).create({
        "name": "bench", "environment": "live", "events": ["meter-changed"],
        "channels": [{"type": "webhook", "url": receiver.url(), "secret": secret}]})
    for start in range(0, deliveries, 1000):
        customers.batch_usage("live", [UsageRecord(f"c{i % CUSTOMERS}", "api", 1)
                                       for i in range(start, min(deliveries, start + 1000))])
    env = {**os.environ, "SEGMENTR_DATABASE_URL": url, "SEGMENTR_ALLOW_PRIVATE_WEBHOOKS": "1"}
    worker = subprocess.Popen([str(Path(sys.executable).with_name("segmentr")), "worker", "--no-sweep"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while receiver.count < deliveries and time.monotonic() < deadline:
            time.sleep(0.05)
        rate = (receiver.count - 1) / (receiver.last - receiver.first) if receiver.count > 1 else 0.0
        backlog_count = receiver.count
        # steady load: 100 usage calls a second while the worker runs
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < lag_seconds:
            customers.record_usage("live", f"c{sent % CUSTOMERS}", "api", 1)
            sent += 1
            pause = started + sent / 100 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        deadline = time.monotonic() + 30
        while receiver.count < deliveries + sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    with store.engine.connect() as connection:
        lags = [float(row[0]) for row in connection.execute(text(
            "SELECT a.at - d.created_at FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id "
            "WHERE a.number = 1 ORDER BY d.created_at DESC LIMIT :n"), {"n": sent})]
    receiver.server.shutdown()
    store.close()
    return {"rate": rate, "backlog": backlog_count, "bad": receiver.bad, "lags": lags, "sent": sent,
            "received": receiver.count}


def report(name: str, overhead: dict[str, Any], delivered: dict[str, Any]) -> None:
    walls, spent = overhead["walls"], overhead["spent"]
    live, test = walls["live"], walls["test"]
    print(f"\n### {name}\n")
    print("| usage call | p50 ms | p99 ms | decider p50 ms | decider p99 ms | decider CPU p50 ms | "
          "decider CPU p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for env, label in (("test", "no notification listening"), ("live", "10 notifications listening")):
        print(f"| {label} | {percentile(walls[env], 50):.2f} | {percentile(walls[env], 99):.2f} | "
              f"{percentile(spent[env], 50):.3f} | {percentile(spent[env], 99):.3f} | "
              f"{percentile(spent[env + '_cpu'], 50):.3f} | {percentile(spent[env + '_cpu'], 99):.3f} |")
    added = [percentile(live, q) - percentile(test, q) for q in (50, 99)]
    added += [percentile(spent[f"live{k}"], q) - percentile(spent[f"test{k}"], q) for k in ("", "_cpu")
              for q in (50, 99)]
    print("| **added** (10 vs none) | " + " | ".join(f"{value:+.3f}" for value in added) + " |")
    print(f"\n{len(live)} calls each, interleaved; {overhead['deliveries']} outbox rows written.")
    lags = delivered["lags"]
    print(f"\nDelivery by one `segmentr worker`: {delivered['backlog']} queued webhooks at "
          f"**{delivered['rate']:.0f}/s** (signatures verified: {delivered['bad']} bad); lag commit → first attempt "
          f"under 100 usage calls/s ({len(lags)} deliveries): p50 {statistics.median(lags):.0f} ms, "
          f"p99 {percentile(lags, 99):.0f} ms.")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    parser.add_argument("--postgres-url")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.2f}")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/overhead.db"
        overhead = decision_overhead(url, args.calls)
        delivered = delivery(f"sqlite:///{folder}/delivery.db", args.deliveries, args.lag_seconds)
        report("SQLite (file, WAL)", overhead, delivered)
    if not args.skip_postgres:
        with postgres_for_bench(args.postgres_url) as server_url:
            import psycopg

            plain = server_url.replace("postgresql+psycopg://", "postgresql://")
            urls = []
            for schema in ("bench_overhead", "bench_delivery"):
                with psycopg.connect(plain, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                urls.append(f"{server_url}?options=-csearch_path%3D{schema}")
            overhead = decision_overhead(urls[0], args.calls)
            delivered = delivery(urls[1], args.deliveries, args.lag_seconds)
            report("PostgreSQL (private server, fsync on)", overhead, delivered)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
