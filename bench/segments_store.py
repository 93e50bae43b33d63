"""Storage benchmark: importing customers from JSON lines, and atomic metering from two processes, SQLite and
PostgreSQL side by side.

    .venv/bin/python bench/segments_store.py [--customers 1000000] [--meter-calls 10000] [--postgres-url URL]

Without --postgres-url a private PostgreSQL server is started in a temporary directory (as the tests do).
The customer file is generated once per (count, seed) under bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from segmentr.sample import generate_customers, sample_policy
from segmentr.store import Store
from segmentr_testkit.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def postgres_for_bench(url: str | None) -> Iterator[str]:
    """``url``, or a private server started for the run with production durability (fsync and full-page writes
    on, unlike the tests' server) and stopped afterwards."""
    if url is not None:
        yield url
        return
    server = PostgresServer(durable=True)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()

NOW_MS = 1_764_000_000_000
RESULTS = ROOT / "bench" / "results"


def customers_file(count: int, seed: int) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"customers_{count}_{seed}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            for customer in generate_customers(count, seed=seed, now_ms=NOW_MS):
                out.write(json.dumps(customer, separators=(",", ":")) + "\n")
        partial.rename(path)
        print(f"generated {count:,} customers in {time.perf_counter() - started:.1f}s -> {path}", file=sys.stderr)
    return path


def bench_import(url: str, path: Path) -> dict[str, float]:
    """Import ``path`` into an empty ``live``; also how long the import took after its last batch was written
    (PostgreSQL rebuilding the indexes of a big import, and the commit)."""
    last_batch = [0.0]

    def note_batch(_done: int, _read: int, _total: int | None) -> None:
        last_batch[0] = time.perf_counter()

    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        result = store.import_customers("live", path, progress=note_batch)
        finished = time.perf_counter()
        assert store.count_customers("live") == result.count
    return {
        "count": result.count,
        "seconds": result.seconds,
        "per_second": result.per_second,
        "after_last_batch": finished - last_batch[0],
    }


def bench_metering(url: str, calls: int) -> dict[str, float]:
    limit = calls * 3 // 2
    policy = {
        "policy": {
            "credits": {"request": {"label": "Request"}},
            "plans": {
                "free": {
                    "default": True,
                    "entitlements": {"api": {"limit": {"credit": "request", "mode": "hard", "value": limit}}},
                }
            },
        }
    }
    with Store(url) as store:
        store.init()
        store.put_policy("test", policy)
        store.create_customer("test", {"id": "acme", "plan": "free"})
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    workers = [context.Process(target=_hammer_test, args=(url, calls, results)) for _ in range(2)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    allowed = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    with Store(url) as store:
        value = store.get_customer("test", "acme")["meters"]["api"]["value"]
    assert sum(allowed) == limit == value, (allowed, limit, value)
    return {"calls": 2 * calls, "seconds": seconds, "per_second": 2 * calls / seconds}


def _hammer_test(url: str, calls: int, results: multiprocessing.Queue) -> None:
    with Store(url) as store:
        results.put(sum(store.meter_allow("test", "acme", "api", 1) for _ in range(calls)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--meter-calls", type=int, default=10_000, help="allow calls per process")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--no-metering", action="store_true", help="only the import")
    args = parser.parse_args()

    path = customers_file(args.customers, args.seed)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with (
        postgres_for_bench(args.postgres_url) as postgres_url,
        tempfile.TemporaryDirectory(prefix="segmentr-bench-") as folder,
    ):
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        for name, url in (("SQLite", sqlite_url), ("PostgreSQL", postgres_url)):
            results[name] = {"import": bench_import(url, path)}
            if not args.no_metering:
                results[name]["metering"] = bench_metering(url, args.meter_calls)
            print(name, json.dumps(results[name]), file=sys.stderr)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nMachine: {platform.machine()}, {multiprocessing.cpu_count()} cores, Python {platform.python_version()}, "
          f"{datetime.now(tz=UTC):%Y-%m-%d}; peak RSS of the benchmark process {peak_mb:.0f} MB\n")
    print("| measure | SQLite | PostgreSQL |")
    print("|---|---|---|")
    imp = {name: r["import"] for name, r in results.items()}
    print(
        f"| import {args.customers:,} customers (JSON lines) | "
        + " | ".join(f"{imp[n]['seconds']:.1f} s, **{imp[n]['per_second']:,.0f}/s**" for n in ("SQLite", "PostgreSQL"))
        + " |"
    )
    print(
        "| of which after the last batch (index rebuild, commit) | "
        + " | ".join(f"{imp[n]['after_last_batch']:.1f} s" for n in ("SQLite", "PostgreSQL"))
        + " |"
    )
    if args.no_metering:
        return
    met = {name: r["metering"] for name, r in results.items()}
    print(
        f"| 2 processes × {args.meter_calls:,} `allow` on one meter | "
        + " | ".join(f"{met[n]['seconds']:.1f} s, {met[n]['per_second']:,.0f} calls/s" for n in ("SQLite", "PostgreSQL"))
        + " |"
    )


if __name__ == "__main__":
    main()
