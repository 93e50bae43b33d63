"""Pricing rules through the service: `record_usage` (one unit of work: the locked row with the rule book's key
and the customer's overrides, the engine with effective prices, the write, the commit) with 20 enabled rules
against none, and the explained price, on SQLite and PostgreSQL side by side in one run.

    .venv/bin/python bench/pricing_service.py [--rounds 15] [--calls 200] [--postgres-url URL]

One store per database; its `live` environment has 20 rules on the metered credit (simple-mode segments, the
20th matches half the customers), `test` the same policy and customers and no rule. Each round runs both, one
after the other (interleaved), so a busy shared machine slows both alike. Every call meters 1 unit past a soft
limit, so each builds a `meter-overage` payload priced by the hook. Time is wall clock and the process's CPU
time (`time.process_time`: the database server's work on PostgreSQL is not in it); figures are medians over
the rounds, ratios the median of the per-round ratios. Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from segmentr.service import Actor, SegmentInput, Services  # noqa: E402
from segmentr.store import Store  # noqa: E402
from segments_store import postgres_for_bench  # noqa: E402

RULES = 20
CUSTOMERS = 100
DOCUMENT = {"policy": {
    "credits": {"tok": {"price": {"amount": 0.00002}, "overhead_cost": 0.000005}},
    "plans": {"growth": {"default": True, "entitlements": {
        "chat": {"limit": {"credit": "tok", "mode": "soft", "value": 10}}}}},
}}  # fmt: skip


def _setup(url: str) -> tuple[Store, Services, Actor]:
    store = Store(url)
    store.init()
    for env in ("test", "live"):
        store.put_policy(env, DOCUMENT)
        store.import_customer_dicts(env, [
            {"id": f"cus_{i:04d}", "plan": "growth",
             "metadata": {"region": "eu" if i % 2 else "us", "tier": f"t{i % 7}"}} for i in range(CUSTOMERS)])
    services = Services(store)
    owner = services.local_owner()
    segments = services.segments(owner)
    pricing = services.pricing(owner)
    for index in range(RULES):
        condition = ('customer.metadata.region == "eu"' if index == RULES - 1
                     else f'customer.metadata.tier == "x{index}"')
        segment = segments.create(SegmentInput(name=f"s{index}", condition=condition)).id
        pricing.create("live", {"name": f"r{index}", "segment": segment, "priority": index,
                                "overrides": {"credit:tok": {"amount": 0.00001 + index * 1e-7}}})
    customers = services.customers(owner)
    for env in ("test", "live"):  # past the limit for everyone, caches warm
        for i in range(CUSTOMERS):
            customers.record_usage(env, f"cus_{i:04d}", "chat", 11)
    return store, services, owner


def _round(call: Callable[[int], object], calls: int) -> tuple[float, float]:
    """(calls per wall second, calls per CPU second)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(calls):
        call(index)
    return calls / (time.perf_counter() - wall), calls / max(time.process_time() - cpu, 1e-9)


def run(url: str, rounds: int, calls: int) -> dict[str, float]:
    store, services, owner = _setup(url)
    customers = services.customers(owner)
    pricing = services.pricing(owner)
    try:
        rates: dict[str, list[float]] = {key: [] for key in (
            "none wall", "none cpu", "rules wall", "rules cpu", "ratio wall", "ratio cpu", "explain")}
        for _ in range(rounds):
            none = _round(lambda i: customers.record_usage("test", f"cus_{i % CUSTOMERS:04d}", "chat", 1), calls)
            ruled = _round(lambda i: customers.record_usage("live", f"cus_{i % CUSTOMERS:04d}", "chat", 1), calls)
            explained = _round(lambda i: pricing.price("live", f"cus_{i % CUSTOMERS:04d}", "credit:tok"), calls // 4)
            rates["none wall"].append(none[0])
            rates["none cpu"].append(none[1])
            rates["rules wall"].append(ruled[0])
            rates["rules cpu"].append(ruled[1])
            rates["ratio wall"].append(ruled[0] / none[0])
            rates["ratio cpu"].append(ruled[1] / none[1])
            rates["explain"].append(explained[0])
        return {key: statistics.median(values) for key, values in rates.items()}
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    started = datetime.now(UTC)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, postgres_for_bench(args.postgres_url) as postgres:
        results = {
            "SQLite": run(f"sqlite:///{Path(folder) / 'bench.db'}", args.rounds, args.calls),
            "PostgreSQL": run(postgres, args.rounds, args.calls),
        }
    end_load = os.getloadavg()
    print(f"{started:%Y-%m-%d %H:%M} UTC, {platform.machine()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} at start, {end_load[0]:.1f} at the end; "
          f"{args.rounds} rounds x {args.calls} calls\n")
    print("| `record_usage` through the service | database | no rules calls/s | 20 rules calls/s | with rules / without |")
    print("|---|---|---:|---:|---:|")
    for database, figures in results.items():
        print(f"| wall clock | {database} | {figures['none wall']:,.0f} | {figures['rules wall']:,.0f} | "
              f"{figures['ratio wall']:.0%} |")
        print(f"| process CPU | {database} | {figures['none cpu']:,.0f} | {figures['rules cpu']:,.0f} | "
              f"{figures['ratio cpu']:.0%} |")
    print("\n| `PricingService.price` (explained, 20 rules) | calls/s (wall) |\n|---|---:|")
    for database, figures in results.items():
        print(f"| {database} | {figures['explain']:,.0f} |")


if __name__ == "__main__":
    main()
