"""API benchmark: the HTTP hot path on loopback next to the same use case in-process, side by side in one run.

    .venv/bin/python bench/api.py [--seconds 5] [--concurrency 8] [--postgres-url URL] [--skip-postgres]

For SQLite and PostgreSQL (a private server with production durability unless --postgres-url), with one and
two uvicorn workers (`segmentr serve`): `usage` calls (each a durable commit with its idempotency record)
from concurrent clients — throughput and p50/p99 —, the in-process service's usage rate for the ratio,
`usage/batch` of 1 000 records (records/s), segment `evaluate` of one customer (p50) and `validate` of a 2 KB
condition (p99 on loopback, and in-process through the ASGI app: the server's own time).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from segmentr.sample import generate_customers, sample_policy  # noqa: E402
from segmentr.service import SegmentInput, Services, Store  # noqa: E402
from segments_store import postgres_for_bench  # noqa: E402

NOW_MS = 1_764_000_000_000
CUSTOMERS = 500
ENTITLEMENT = "api_requests"
CONDITION_2KB = "\n".join(
    f'(customer.plan == "p{i}" && customer.metadata.get("k{i}") > {i}) ||' for i in range(30)
) + " false"


def seed(url: str) -> dict[str, object]:
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(CUSTOMERS, seed=1, now_ms=NOW_MS))
        services = Services(store)
        owner = services.local_owner()
        growth = services.customers(owner).list("live", plan="growth", limit=100).data
        segment = services.segments(owner).create(SegmentInput(name="bench", condition='customer.plan == "growth"'))
        key = services.keys(owner).create("bench", environment="live", role="editor").secret
        return {"key": key, "customers": [c["id"] for c in growth], "segment": segment.id}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(url: str, workers: int) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SEGMENTR_DATABASE_URL": url, "SEGMENTR_RATE_LIMIT": "0"}
    command = [str(Path(sys.executable).with_name("segmentr")), "serve", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def concurrent(seconds: float, threads: int, work: Callable[[httpx.Client, int], None], base: str,
               key: str) -> dict[str, float]:  # fmt: skip
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(worker: int) -> None:
        mine = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
            n = 0
            while time.perf_counter() < stop:
                begun = time.perf_counter()
                work(client, worker * 1_000_000 + n)
                mine.append(time.perf_counter() - begun)
                n += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "calls": len(latencies)}  # fmt: skip


def in_process_usage(url: str, seeded: dict[str, object], seconds: float) -> float:
    with Store(url) as store:
        services = Services(store)
        customers = services.customers(services.authenticate_key(str(seeded["key"])))
        ids = list(seeded["customers"])  # type: ignore[arg-type]
        n, stop = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < stop:
            customers.record_usage("live", ids[n % len(ids)], ENTITLEMENT, 1, idempotency_key=uuid.uuid4().hex)
            n += 1
        return n / (time.perf_counter() - started)


def asgi_validate_p99(url: str, key: str, calls: int = 300) -> float:
    from fastapi.testclient import TestClient

    from segmentr.api import create_app

    with Store(url) as store, TestClient(create_app(services=Services(store))) as client:
        headers = {"Authorization": f"Bearer {key}"}
        times = []
        for _ in range(calls):
            begun = time.perf_counter()
            client.post("/v1/segments/validate", json={"condition": CONDITION_2KB}, headers=headers)
            times.append(time.perf_counter() - begun)
        return percentile(times, 0.99) * 1000


def bench_database(name: str, url: str, args: argparse.Namespace) -> list[str]:
    seeded = seed(url)
    key = str(seeded["key"])
    ids = list(seeded["customers"])  # type: ignore[arg-type]
    rows = [f"### {name}", "",
            "| measure | 1 worker | 2 workers |", "|---|---|---|"]  # fmt: skip
    results: dict[int, dict[str, dict[str, float]]] = {}
    for workers in (1, 2):
        with serve(url, workers) as base:

            def usage(client: httpx.Client, n: int, workers: int = workers) -> None:
                response = client.post(f"/v1/live/customers/{ids[n % len(ids)]}/usage",
                                       json={"entitlement": ENTITLEMENT, "value": 1},
                                       headers={"Idempotency-Key": f"b{workers}-{n}"})  # fmt: skip
                response.raise_for_status()

            def batch(client: httpx.Client, n: int) -> None:
                records = [{"customer": ids[i % len(ids)], "entitlement": ENTITLEMENT, "value": 1}
                           for i in range(1000)]  # fmt: skip
                client.post("/v1/live/usage/batch", json={"records": records}).raise_for_status()

            def evaluate(client: httpx.Client, n: int) -> None:
                client.post(f"/v1/live/segments/{seeded['segment']}/evaluate",
                            json={"customer_id": ids[n % len(ids)]}).raise_for_status()  # fmt: skip

            def validate(client: httpx.Client, n: int) -> None:
                client.post("/v1/segments/validate", json={"condition": CONDITION_2KB}).raise_for_status()

            results[workers] = {
                "usage": concurrent(args.seconds, args.concurrency, usage, base, key),
                "batch": concurrent(args.seconds, 2, batch, base, key),
                "evaluate": concurrent(args.seconds / 2, 1, evaluate, base, key),
                "validate": concurrent(args.seconds / 2, 1, validate, base, key),
            }
    service_rate = in_process_usage(url, seeded, args.seconds)
    asgi_p99 = asgi_validate_p99(url, key)

    def both(fmt: Callable[[dict[str, dict[str, float]]], str]) -> str:
        return f"{fmt(results[1])} | {fmt(results[2])}"  # type: ignore[arg-type]

    def per_s(r: dict[str, dict[str, float]]) -> str:
        return f"{r['usage']['per_s']:,.1f}"

    def latency(r: dict[str, dict[str, float]]) -> str:
        return f"{r['usage']['p50_ms']:.1f} / {r['usage']['p99_ms']:.1f}"

    def ratio(r: dict[str, dict[str, float]]) -> str:
        return f"{r['usage']['per_s'] / service_rate:.2f}x"

    def records(r: dict[str, dict[str, float]]) -> str:
        return f"{r['batch']['per_s'] * 1000:,.0f}"

    def evaluate_p50(r: dict[str, dict[str, float]]) -> str:
        return f"{r['evaluate']['p50_ms']:.2f}"

    def validate_p99(r: dict[str, dict[str, float]]) -> str:
        return f"{r['validate']['p99_ms']:.2f}"

    rows += [
        f"| usage calls/s ({args.concurrency} clients) | {both(per_s)} |",
        f"| usage p50 / p99 ms | {both(latency)} |",
        f"| usage over HTTP / in-process service ({service_rate:,.0f}/s, one thread) | {both(ratio)} |",
        f"| usage/batch records/s (1 000 a call, 2 clients) | {both(records)} |",
        f"| evaluate p50 ms | {both(evaluate_p50)} |",
        f"| validate 2 KB p99 ms (loopback) | {both(validate_p99)} |",
        f"| validate 2 KB p99 ms in-process (server time) | {asgi_p99:.2f} | |",
        "",
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres-url")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    lines = [f"API benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}", ""]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        lines += bench_database("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'bench.db'}", args)
    if not args.skip_postgres:
        with postgres_for_bench(args.postgres_url) as url:
            lines += bench_database("PostgreSQL (durable)", url, args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
