"""API benchmark: the HTTP hot path on loopback next to the same use case in-process, side by side in one run.

    .venv/bin/python bench/api.py [--seconds 5] [--concurrency 8] [--stream-customers 100000]
                                  [--postgres-url URL] [--skip-postgres]

For SQLite and PostgreSQL (a private server with production durability unless --postgres-url), with one and
two uvicorn workers (`segmentr serve`): `usage` calls (each a durable commit with its idempotency record)
from concurrent clients — throughput and p50/p99 at full speed, then p50/p99 paced at half that rate —, the
in-process service's usage rate for the ratio, `usage/batch` of 1 000 records (records/s), segment `evaluate`
of one customer (p50), `validate` of a 2 KB condition (p99 on loopback, and in-process through the ASGI app:
the server's own time), the first members page of a streamed template (Overage) over 100 000 customers, and
the shared rate limit's cost per request (leases from the database, in-process). The load average is
printed before and after: the machine is shared.
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
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from keepalive import KeepAliveClient  # noqa: E402
from segmentr.sample import generate_customers, sample_policy  # noqa: E402
from segmentr.segments.templates import template  # noqa: E402
from segmentr.service import RateLimits, SegmentInput, Services, Store  # noqa: E402
from segments_store import customers_file, postgres_for_bench  # noqa: E402

NOW_MS = 1_764_000_000_000
CUSTOMERS = 500
ENTITLEMENT = "api_requests"
CONDITION_2KB = "\n".join(
    f'(customer.plan == "p{i}" && customer.metadata.get("k{i}") > {i}) ||' for i in range(30)
) + " false"


def seed(url: str, stream_customers: Path) -> dict[str, object]:
    """``live``: a few hundred customers for usage and evaluation; ``test``: the big set for the streamed page."""
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(CUSTOMERS, seed=1, now_ms=NOW_MS))
        store.put_policy("test", sample_policy())
        store.import_customers("test", stream_customers)
        services = Services(store)
        owner = services.local_owner()
        growth = services.customers(owner).list("live", plan="growth", limit=100).data
        segments = services.segments(owner)
        segment = segments.create(SegmentInput(name="bench", condition='customer.plan == "growth"'))
        overage = segments.create(SegmentInput(name="overage", condition=template("overage").code))
        keys = services.keys(owner)
        return {
            "key": keys.create("bench", environment="live", role="editor").secret,
            "test_key": keys.create("bench-test", environment="test", role="viewer").secret,
            "customers": [c["id"] for c in growth],
            "segment": segment.id,
            "overage": overage.id,
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[int, int, int, float]]:
    """(pid, parent, process group, CPU seconds used) of every live process, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, pgrp, …
        yield int(entry.name), int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postmaster_of(url: str) -> int | None:
    """The pid of the private PostgreSQL server listening on ``url``'s port (its postmaster.pid file)."""
    port = urlsplit(url.replace("postgresql+psycopg://", "postgresql://")).port
    for pid_file in Path(tempfile.gettempdir()).glob("segmentr-pg-*/data/postmaster.pid"):
        try:
            lines = pid_file.read_text().splitlines()
        except OSError:
            continue
        if len(lines) > 3 and lines[3].strip() == str(port):
            return int(lines[0])
    return None


class CpuMeter:
    """CPU seconds used by the server's processes (its process group: uvicorn and its workers) and by the
    database server's (the postmaster and its backends): what a request costs whatever else runs."""

    def __init__(self, server_group: int, postmaster: int | None) -> None:
        self.server_group = server_group
        self.postmaster = postmaster

    def read(self) -> dict[int, tuple[str, float]]:
        used: dict[int, tuple[str, float]] = {}
        for pid, parent, group, cpu in _processes():
            if group == self.server_group:
                used[pid] = ("server", cpu)
            elif self.postmaster is not None and self.postmaster in (pid, parent):
                used[pid] = ("database", cpu)
        return used

    def per_call(self, run: Callable[..., dict[str, float]], *args: Any) -> dict[str, float]:
        """``run(*args)`` and the CPU its calls cost; a process that exits meanwhile (a pooled database
        connection closed) is left out, so the figure can only err low."""
        before = self.read()
        client_began = time.process_time()
        result = run(*args)
        client_cpu = time.process_time() - client_began
        spent = {"server": 0.0, "database": 0.0}
        for pid, (kind, cpu) in self.read().items():
            spent[kind] += cpu - before.get(pid, (kind, 0.0))[1]
        calls = max(1.0, result["calls"])
        return {**result, "server_cpu_ms": spent["server"] / calls * 1000,
                "database_cpu_ms": spent["database"] / calls * 1000,
                "client_cpu_ms": client_cpu / calls * 1000}  # fmt: skip


@contextmanager
def serve(url: str, workers: int, src: Path | None = None) -> Iterator[tuple[str, int]]:
    """``segmentr serve`` on a free port, rate limit off; with ``src``, importing ``segmentr`` from that tree
    (PYTHONPATH wins over the editable install): how the benchmarks run two trees side by side."""
    port = free_port()
    env = {**os.environ, "SEGMENTR_DATABASE_URL": url, "SEGMENTR_RATE_LIMIT": "0"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
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
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def concurrent(seconds: float, threads: int, work: Callable[[KeepAliveClient, int], None], base: str,
               key: str) -> dict[str, float]:  # fmt: skip
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(worker: int) -> None:
        mine = []
        with KeepAliveClient(base, headers={"Authorization": f"Bearer {key}"}) as client:
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


def paced(seconds: float, threads: int, per_s: float, work: Callable[[KeepAliveClient, int], None], base: str,
          key: str) -> dict[str, float]:  # fmt: skip
    """``work`` at a steady ``per_s`` in all from ``threads`` clients (an open loop): the latency at that load."""
    latencies: list[float] = []
    lock = threading.Lock()
    interval = threads / per_s
    started = time.perf_counter()
    stop = started + seconds

    def run(worker: int) -> None:
        mine = []
        with KeepAliveClient(base, headers={"Authorization": f"Bearer {key}"}) as client:
            n, due = 0, started + interval * worker / threads
            while due < stop:
                time.sleep(max(0.0, due - time.perf_counter()))
                begun = time.perf_counter()
                work(client, 500_000_000 + worker * 1_000_000 + n)
                mine.append(time.perf_counter() - begun)
                n, due = n + 1, due + interval
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "calls": len(latencies)}  # fmt: skip


def first_page(base: str, key: str, segment: object, repeats: int = 5) -> dict[str, float]:
    """The first page (20 members) of a streamed segment: the first call, then the median of the repeats."""
    times = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        for _ in range(repeats):
            begun = time.perf_counter()
            response = client.get(f"/v1/test/segments/{segment}/members", params={"limit": 20})
            times.append(time.perf_counter() - begun)
            response.raise_for_status()
            assert len(response.json()["data"]) == 20, response.text
    return {"first_ms": times[0] * 1000, "median_ms": sorted(times)[len(times) // 2] * 1000}


def rate_limit_cost(url: str, calls: int = 20_000) -> dict[str, float]:
    """The shared limit's CPU per request at its default (100/s, burst 200), a request every 10 ms of a manual
    clock (exactly the rate): leases from the database amortised over the requests they admit."""
    seconds = [0.0]
    with Store(url) as store:
        limits = RateLimits(store, rate=100, burst=200, monotonic=lambda: seconds[0],
                            wall_ms=lambda: NOW_MS + int(seconds[0] * 1000))  # fmt: skip
        caller = b"k" + uuid.uuid4().bytes
        admitted = 0
        began = time.process_time()
        for _ in range(calls):
            wait = limits.try_take(caller)
            if wait is None:
                wait = limits.take(caller)
            admitted += wait == 0.0
            seconds[0] += 0.01
        cpu = time.process_time() - began
    return {"us_per_request": cpu / calls * 1e6, "admitted": admitted / calls, "lease": limits.lease_size}


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
    seeded = seed(url, customers_file(args.stream_customers, 1))
    key = str(seeded["key"])
    ids = list(seeded["customers"])  # type: ignore[arg-type]
    rows = [f"### {name}", "",
            "| measure | 1 worker | 2 workers |", "|---|---|---|"]  # fmt: skip
    results: dict[int, dict[str, dict[str, float]]] = {}
    for workers in (1, 2):
        with serve(url, workers) as (base, group):
            meter = CpuMeter(group, postmaster_of(url) if url.startswith("postgresql") else None)

            def usage(client: KeepAliveClient, n: int, workers: int = workers) -> None:
                response = client.post(f"/v1/live/customers/{ids[n % len(ids)]}/usage",
                                       json={"entitlement": ENTITLEMENT, "value": 1},
                                       headers={"Idempotency-Key": f"b{workers}-{n}"})  # fmt: skip
                response.raise_for_status()

            def batch(client: KeepAliveClient, n: int) -> None:
                records = [{"customer": ids[i % len(ids)], "entitlement": ENTITLEMENT, "value": 1}
                           for i in range(1000)]  # fmt: skip
                client.post("/v1/live/usage/batch", json={"records": records}).raise_for_status()

            def evaluate(client: KeepAliveClient, n: int) -> None:
                timed("evaluate", client.post(f"/v1/live/segments/{seeded['segment']}/evaluate",
                                              json={"customer_id": ids[n % len(ids)]}))  # fmt: skip

            server_times: dict[str, list[float]] = {"validate": [], "evaluate": []}

            def timed(name: str, answer: Any, server_times: dict[str, list[float]] = server_times) -> None:
                answer.raise_for_status()
                server_times[name].append(float(answer.headers["server-timing"].split("dur=")[1]))

            def validate(client: KeepAliveClient, n: int) -> None:
                timed("validate", client.post("/v1/segments/validate", json={"condition": CONDITION_2KB}))

            short = args.seconds / 2
            def warm_usage(client: KeepAliveClient, n: int, usage: Callable[..., None] = usage) -> None:
                usage(client, 900_000_000 + n)  # keys of its own: the measured calls must not replay them

            for warm_up in (warm_usage, batch, evaluate, validate):  # imports, caches, compiled code in each worker
                concurrent(1.0, 2 * workers, warm_up, base, key)
            for measured in server_times.values():
                measured.clear()
            full = meter.per_call(concurrent, args.seconds, args.concurrency, usage, base, key)
            results[workers] = {
                "usage": full,
                "half": paced(args.seconds, args.concurrency, full["per_s"] / 2, usage, base, key),
                "batch": meter.per_call(concurrent, args.seconds, 2, batch, base, key),
                "evaluate": meter.per_call(concurrent, short, 1, evaluate, base, key),
                "validate": meter.per_call(concurrent, short, 1, validate, base, key),
                "members": first_page(base, str(seeded["test_key"]), seeded["overage"]),
                # the server's own time for each call, from its Server-Timing header
                "server_time": {f"{name}_{q}": percentile(times, level) for name, times in server_times.items()
                                for q, level in (("p50", 0.5), ("p99", 0.99))},
            }
            print(name, workers, results[workers], file=sys.stderr)
    service_rate = in_process_usage(url, seeded, args.seconds)
    asgi_p99 = asgi_validate_p99(url, key)
    limiter = rate_limit_cost(url)

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

    def half(r: dict[str, dict[str, float]]) -> str:
        return f"{r['half']['p50_ms']:.1f} / {r['half']['p99_ms']:.1f} at {r['half']['per_s']:,.0f}/s"

    def members(r: dict[str, dict[str, float]]) -> str:
        return f"{r['members']['first_ms']:.0f} (then {r['members']['median_ms']:.0f})"

    def cpu(measure: str, scale: float = 1.0) -> Callable[[dict[str, dict[str, float]]], str]:
        def shown(r: dict[str, dict[str, float]]) -> str:
            server, database = r[measure]["server_cpu_ms"] * scale, r[measure]["database_cpu_ms"] * scale
            return f"{server:.2f} + {database:.2f}" if url.startswith("postgresql") else f"{server:.2f}"

        return shown

    def client(r: dict[str, dict[str, float]]) -> str:
        return f"{r['usage']['client_cpu_ms']:.2f}"

    def projected(r: dict[str, dict[str, float]]) -> str:
        per_call = r["usage"]["server_cpu_ms"] + r["usage"]["database_cpu_ms"]
        return f"{2000 / per_call:,.0f}" if per_call > 0 else "n/a"

    def evaluate_p50(r: dict[str, dict[str, float]]) -> str:
        return f"{r['evaluate']['p50_ms']:.2f}"

    def validate_p99(r: dict[str, dict[str, float]]) -> str:
        return f"{r['validate']['p99_ms']:.2f}"

    def server_time(key: str) -> Callable[[dict[str, dict[str, float]]], str]:
        return lambda r: f"{r['server_time'][key]:.2f}"

    rows += [
        f"| usage calls/s ({args.concurrency} clients) | {both(per_s)} |",
        f"| usage p50 / p99 ms | {both(latency)} |",
        f"| usage p50 / p99 ms paced at half that rate | {both(half)} |",
        f"| usage over HTTP / in-process service ({service_rate:,.0f}/s, one thread) | {both(ratio)} |",
        f"| usage/batch records/s (1 000 a call, 2 clients) | {both(records)} |",
        f"| evaluate p50 ms | {both(evaluate_p50)} |",
        f"| evaluate p50 ms, server time (its Server-Timing) | {both(server_time('evaluate_p50'))} |",
        f"| validate 2 KB p99 ms (loopback) | {both(validate_p99)} |",
        f"| validate 2 KB p99 ms, server time (its Server-Timing) | {both(server_time('validate_p99'))} |",
        f"| validate 2 KB p99 ms in-process through TestClient (rate limit on) | {asgi_p99:.2f} | |",
        f"| members first page ms, Overage streamed over {args.stream_customers:,} (median of the next 4) "
        f"| {both(members)} |",
        f"| server CPU ms per usage call ({'uvicorn + PostgreSQL' if url.startswith('postgresql') else 'uvicorn'}) "
        f"| {both(cpu('usage'))} |",
        f"| usage calls/s 2 idle cores could serve at that CPU cost (projection) | {both(projected)} |",
        f"| load generator's CPU ms per usage call (keep-alive client, same cores) | {both(client)} |",
        f"| server CPU ms per 1 000-record batch | {both(cpu('batch'))} |",
        f"| server CPU ms per evaluate | {both(cpu('evaluate'))} |",
        f"| server CPU ms per validate | {both(cpu('validate'))} |",
        f"| shared rate limit, CPU per request at 100/s (lease of {limiter['lease']}) "
        f"| {limiter['us_per_request']:.1f} µs | |",
        "",
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--stream-customers", type=int, default=100_000)
    parser.add_argument("--postgres-url")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"API benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {load} (1/5/15 min) "
             "at the start", ""]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        lines += bench_database("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'bench.db'}", args)
    if not args.skip_postgres:
        with postgres_for_bench(args.postgres_url) as url:
            lines += bench_database("PostgreSQL (durable)", url, args)
    lines.append("load average at the end: " + "/".join(f"{x:.1f}" for x in os.getloadavg()))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
