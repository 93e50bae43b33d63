"""Service benchmark: usage through the service (one unit of work per call: lock, engine, write, commit) next
to the store's one-call metering, with and without an idempotency record, and batches of 1 000 records;
SQLite and PostgreSQL side by side in one run.

    .venv/bin/python bench/service_usage.py [--calls 2000] [--customers 200] [--postgres-url URL]

Without --postgres-url a private PostgreSQL server with production durability is started (as the storage
benchmark does). Figures are in-process (no HTTP): the floor the API's usage route stands on.
"""

from __future__ import annotations

import argparse
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

from segmentr.sample import generate_customers, sample_policy  # noqa: E402
from segmentr.service import Services, UsageRecord  # noqa: E402
from segmentr.store import Store  # noqa: E402
from segments_store import postgres_for_bench  # noqa: E402

NOW_MS = 1_764_000_000_000


def _timed(calls: int, call: Callable[[int], object]) -> dict[str, float]:
    latencies = []
    started = time.perf_counter()
    for index in range(calls):
        begun = time.perf_counter()
        call(index)
        latencies.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "per_s": calls / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def run(url: str, calls: int, customer_count: int) -> dict[str, dict[str, float]]:
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(customer_count, seed=5, now_ms=NOW_MS))
        services = Services(store)
        owner = services.local_owner()
        customers = services.customers(owner)
        rows = store.list_customers("live", limit=customer_count)
        policy = store.live_policy("live")
        targets = [
            (row["id"], next(iter(policy.plans()[row["plan"]]["entitlements"]))) for row in rows if row["plan"]
        ]

        def target(index: int) -> tuple[str, str]:
            return targets[index % len(targets)]

        results = {
            "store.meter_allow": _timed(calls, lambda i: store.meter_allow("live", *target(i), 1)),
            "service.record_usage": _timed(calls, lambda i: customers.record_usage("live", *target(i), 1)),
            "record_usage + idempotency key": _timed(
                calls, lambda i: customers.record_usage("live", *target(i), 1, idempotency_key=f"bench-{i}")
            ),
        }
        batch = [UsageRecord(*target(i), 1) for i in range(1000)]
        batches = max(1, calls // 1000)
        timed = _timed(batches, lambda i: customers.batch_usage("live", batch))
        results["batch_usage (1 000 records)"] = {
            "per_s": timed["per_s"] * 1000, "p50_ms": timed["p50_ms"], "p99_ms": timed["p99_ms"],
        }  # fmt: skip
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder, postgres_for_bench(args.postgres_url) as postgres:
        by_database = {
            "SQLite": run(f"sqlite:///{Path(folder) / 'bench.db'}", args.calls, args.customers),
            "PostgreSQL": run(postgres, args.calls, args.customers),
        }
    for database, results in by_database.items():
        base = results["store.meter_allow"]["per_s"]
        print(f"\n{database} ({args.calls} calls each)")
        print(f"{'':34} {'calls/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs store':>9}")
        for name, figures in results.items():
            print(
                f"{name:34} {figures['per_s']:>10,.0f} {figures['p50_ms']:>8.2f} {figures['p99_ms']:>8.2f}"
                f" {figures['per_s'] / base:>8.2f}x"
            )


if __name__ == "__main__":
    main()
