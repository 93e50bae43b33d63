"""Segments benchmark (issue 4, Performance): a pushed-down simple-mode count, streaming evaluation of the Overage
template with its peak RSS, and one customer's load + evaluation, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/segments.py [--customers 1000000] [--quick] [--stream-customers 100000]
                                       [--lookups 2000] [--postgres-url URL]

The storage helpers (customer file, import, private PostgreSQL server) are those of ``bench/segments_store.py``.
The import figure is that benchmark's (``## Storage`` in BENCHMARKS.md); the import time here is printed only for
the record.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from segmentr.sample import sample_policy
from segmentr.segments import membership
from segmentr.segments.evaluator import compile_condition, evaluate
from segmentr.segments.templates import template
from segmentr.store import Store
from segments_store import bench_import, customers_file, postgres_for_bench

SIMPLE_SEGMENT = (
    '(customer.plan == "growth" || customer.plan == "enterprise") &&\ncustomer.metadata.billing_tier == "custom"'
)
SEED = 1


def import_into(url: str, env: str, path: Path) -> None:
    """Import a customer file into ``env`` (after ``bench_import`` has initialised the store)."""
    with Store(url) as store:
        store.init()
        store.put_policy(env, sample_policy())
        store.import_customers(env, path)


def bench_count(url: str, repeats: int = 3) -> dict[str, float]:
    with Store(url) as store:
        source = store.customers()
        source.policy("live")  # warm the environment and policy caches; the count itself is what is timed
        times, result = [], None
        for _ in range(repeats):
            started = time.perf_counter()
            result = membership.count(SIMPLE_SEGMENT, source, "live")
            times.append(time.perf_counter() - started)
    assert result is not None and result.method == "sql", result
    return {"n": result.n, "best": min(times), "median": statistics.median(times)}


def stream_overage(url: str, env: str, out: multiprocessing.Queue) -> None:
    """Child process: only stream the Overage template through ``membership.count`` and report time and RSS."""
    # ru_maxrss survives fork + exec on Linux, so it starts at the parent's size; VmHWM is this image's own peak
    rss_at_start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with Store(url) as store:
        source = store.customers()
        source.policy(env)
        started = time.perf_counter()
        result = membership.count(template("overage").code, source, env)
        seconds = time.perf_counter() - started
        total = store.count_customers(env)
    assert result.method == "stream", result
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put({"customers": total, "n": result.n, "errors": result.errors, "seconds": seconds,
             "per_second": total / seconds, "rss_mb": rss_mb, "rss_at_start_mb": rss_at_start_mb,
             "hwm_mb": _peak_rss_of_this_image_mb()})


def _peak_rss_of_this_image_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_stream(url: str, env: str) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = context.Queue()
    child = context.Process(target=stream_overage, args=(url, env, out))
    child.start()
    result = out.get()
    child.join()
    return result


def bench_lookup(url: str, customers: int, lookups: int) -> dict[str, float]:
    rng = random.Random(SEED)
    ids = [f"cus_{rng.randrange(customers):07d}" for _ in range(lookups)]
    condition = compile_condition(template("overage").code)
    with Store(url) as store:
        source = store.customers()
        policy = source.policy("live")
        for customer_id in ids[:50]:  # warm-up: connection pool, statement cache
            evaluate(condition, source.load("live", customer_id) or {}, policy)
        times = []
        for customer_id in ids:
            started = time.perf_counter()
            customer = source.load("live", customer_id)
            assert customer is not None, customer_id
            evaluate(condition, customer, policy)
            times.append(time.perf_counter() - started)
    times.sort()
    return {"p50_ms": times[len(times) // 2] * 1000, "p99_ms": times[int(len(times) * 0.99)] * 1000}


def machine() -> str:
    model = "unknown CPU"
    try:
        import subprocess

        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{model}, {multiprocessing.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100 000 customers for the count and the lookups")
    parser.add_argument("--stream-customers", type=int, default=100_000)
    parser.add_argument("--small-stream-customers", type=int, default=10_000, help="for the flat-memory check")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    customers = 100_000 if args.quick else args.customers

    big, stream, small = (customers_file(n, SEED) for n in (customers, args.stream_customers,
                                                             args.small_stream_customers))
    results: dict[str, dict[str, dict[str, float]]] = {}
    with (
        postgres_for_bench(args.postgres_url) as postgres_url,
        tempfile.TemporaryDirectory(prefix="segmentr-bench-") as folder,
    ):
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        sqlite_small_url = f"sqlite:///{Path(folder) / 'small.db'}"
        for name, url in (("SQLite", sqlite_url), ("PostgreSQL", postgres_url)):
            imported = bench_import(url, big)
            print(f"{name}: imported {imported['count']:,} in {imported['seconds']:.1f}s", file=sys.stderr)
            import_into(url, "test", stream)
            results[name] = {"count": bench_count(url)}
            print(name, "count", results[name]["count"], file=sys.stderr)
            results[name]["stream"] = bench_stream(url, "test")
            print(name, "stream", results[name]["stream"], file=sys.stderr)
            results[name]["lookup"] = bench_lookup(url, customers, args.lookups)
            print(name, "lookup", results[name]["lookup"], file=sys.stderr)
        import_into(sqlite_small_url, "test", small)
        results["SQLite"]["small_stream"] = bench_stream(sqlite_small_url, "test")
        print("SQLite small stream", results["SQLite"]["small_stream"], file=sys.stderr)

    names = ("SQLite", "PostgreSQL")
    print(f"\nMachine: {machine()}; {datetime.now(tz=UTC):%Y-%m-%d}\n")
    print("| measure | SQLite | PostgreSQL | target |")
    print("|---|---|---|---|")
    print(f"| count of the simple segment over {customers:,} customers (SQL) | "
          + " | ".join(f"**{results[n]['count']['best']:.3f} s** (median {results[n]['count']['median']:.3f} s), "
                       f"{results[n]['count']['n']:,} members" for n in names)
          + " | ≤ 1 s SQLite, ≤ 0.5 s PostgreSQL |")
    print(f"| Overage template streamed over {args.stream_customers:,} customers | "
          + " | ".join(f"{results[n]['stream']['seconds']:.1f} s, **{results[n]['stream']['per_second']:,.0f}/s**, "
                       f"{results[n]['stream']['n']:,} members, peak RSS {results[n]['stream']['hwm_mb']:.0f} MB"
                       for n in names)
          + " | ≥ 20 000/s |")
    small_result = results["SQLite"]["small_stream"]
    print(f"| same over {args.small_stream_customers:,} customers (flat memory) | "
          f"{small_result['seconds']:.2f} s, {small_result['per_second']:,.0f}/s, peak RSS "
          f"{small_result['hwm_mb']:.0f} MB | | RSS flat |")
    print(f"| load + evaluate one customer, {args.lookups:,} random of {customers:,} | "
          + " | ".join(f"p50 **{results[n]['lookup']['p50_ms']:.2f} ms**, p99 {results[n]['lookup']['p99_ms']:.2f} ms"
                       for n in names)
          + " | p50 ≤ 1 ms SQLite |")


if __name__ == "__main__":
    main()
