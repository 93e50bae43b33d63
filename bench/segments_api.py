"""Segment `evaluate` of one customer and `validate` of a 2 KB condition over the API, two source trees side by side.

    .venv/bin/python bench/segments_api.py [--against OTHER/src] [--calls 400] [--rounds 3] [--seconds 3]
                                           [--skip-postgres] [--skip-http]

The two routes of issue 9's goals (`evaluate` p50 ≤ 2 ms; `validate` of a 2 KB condition p99 ≤ 5 ms of server
time), measured on SQLite (file, WAL) and a private PostgreSQL server (production durability), in two ways:

* **in process**: raw ASGI calls into `create_app` (no HTTP client, no socket, rate limit off): each call's
  wall time is the server's own time, and the process's CPU clock (every thread: the event loop and the
  thread pool) its CPU;
* **over HTTP** (unless --skip-http): a real `segmentr serve` (uvicorn, one worker) on 127.0.0.1, one
  client: p50 / p99 on loopback and the server's CPU per call from /proc (PostgreSQL's backends apart).

With ``--against`` the same measures run for that tree too (e.g. an export of the previous commit's `src`), in
alternating child processes round after round, so both see the same machine; the figures are the medians of
the rounds. The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from api import CONDITION_2KB, NOW_MS, CpuMeter, concurrent, postmaster_of, serve  # noqa: E402

CUSTOMERS = 500


def seed(url: str) -> dict[str, Any]:
    from segmentr.sample import generate_customers, sample_policy
    from segmentr.service import SegmentInput, Services, Store

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


# ---------------------------------------------------------------------- in process (a child per tree)


async def _call(app: Any, path: str, body: bytes, key: str) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {key}".encode()),
                         (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("bench", 80)}  # fmt: skip
    received = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": ordered[len(ordered) // 2] * 1000, "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000}


def child(url: str, seeded: dict[str, Any], calls: int) -> dict[str, Any]:
    from segmentr.api import create_app
    from segmentr.api.settings import ApiSettings
    from segmentr.service import Services, Store

    key, ids, segment = seeded["key"], seeded["customers"], seeded["segment"]
    out: dict[str, Any] = {}
    with Store(url) as store:
        app = create_app(ApiSettings(rate_per_second=0), services=Services(store))

        async def measure(path: str, bodies: list[bytes]) -> dict[str, float]:
            for i in range(50):  # imports, caches, compiled code
                assert await _call(app, path, bodies[i % len(bodies)], key) == 200
            wall, cpu = [], []
            for i in range(calls):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                status = await _call(app, path, bodies[i % len(bodies)], key)
                cpu.append(time.process_time() - cpu0)
                wall.append(time.perf_counter() - wall0)
                assert status == 200, status
            return {**{f"wall_{k}": v for k, v in _percentiles(wall).items()},
                    **{f"cpu_{k}": v for k, v in _percentiles(cpu).items()}}  # fmt: skip

        async def main() -> None:
            evaluate = [json.dumps({"customer_id": cid}).encode() for cid in ids]
            out["evaluate"] = await measure(f"/v1/live/segments/{segment}/evaluate", evaluate)
            out["validate"] = await measure("/v1/segments/validate", [json.dumps({"condition": CONDITION_2KB}).encode()])

        asyncio.run(main())
    return out


def in_process(tree: Path, url: str, seeded: dict[str, Any], calls: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, __file__, "--child", url, "--calls", str(calls)]
    done = subprocess.run(command, env=env, input=json.dumps(seeded), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- over HTTP (a server per tree)


def over_http(tree: Path, url: str, seeded: dict[str, Any], seconds: float) -> dict[str, Any]:
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(tree)  # the server's code: `serve` passes the environment on
    try:
        with serve(url, 1) as (base, group):
            meter = CpuMeter(group, postmaster_of(url) if url.startswith("postgresql") else None)
            ids, key = seeded["customers"], seeded["key"]

            def evaluate(client: httpx.Client, n: int) -> None:
                client.post(f"/v1/live/segments/{seeded['segment']}/evaluate",
                            json={"customer_id": ids[n % len(ids)]}).raise_for_status()  # fmt: skip

            def validate(client: httpx.Client, n: int) -> None:
                client.post("/v1/segments/validate", json={"condition": CONDITION_2KB}).raise_for_status()

            for warm_up in (evaluate, validate):
                concurrent(1.0, 1, warm_up, base, key)
            return {"evaluate": meter.per_call(concurrent, seconds, 1, evaluate, base, key),
                    "validate": meter.per_call(concurrent, seconds, 1, validate, base, key)}  # fmt: skip
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


# ---------------------------------------------------------------------- the run


def median_of(rounds: list[dict[str, Any]], route: str, figure: str) -> float:
    return statistics.median(r[route][figure] for r in rounds)


def bench_database(name: str, url: str, trees: dict[str, Path], args: argparse.Namespace) -> list[str]:
    seeded = seed(url)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {label: {"asgi": [], "http": []} for label in trees}
    for round_ in range(args.rounds):
        for label, tree in (trees.items() if round_ % 2 == 0 else reversed(trees.items())):
            results[label]["asgi"].append(in_process(tree, url, seeded, args.calls))
            if not args.skip_http:
                results[label]["http"].append(over_http(tree, url, seeded, args.seconds))
            print(name, round_, label, results[label]["asgi"][-1], file=sys.stderr)
    labels = list(trees)
    rows = [f"#### {name}", "", "| measure (median of the rounds) | " + " | ".join(labels) + " |",
            "|---|" + "---:|" * len(labels)]  # fmt: skip

    def row(title: str, kind: str, route: str, figure: str, digits: int = 2) -> None:
        if not results[labels[0]][kind]:
            return
        cells = [f"{median_of(results[label][kind], route, figure):.{digits}f}" for label in labels]
        rows.append(f"| {title} | " + " | ".join(cells) + " |")

    for route in ("evaluate", "validate"):
        row(f"`{route}` in process, server time p50 ms", "asgi", route, "wall_p50")
        row(f"`{route}` in process, server time p99 ms", "asgi", route, "wall_p99")
        row(f"`{route}` in process, CPU ms per call p50", "asgi", route, "cpu_p50")
        row(f"`{route}` in process, CPU ms per call p99", "asgi", route, "cpu_p99")
        row(f"`{route}` over HTTP (1 worker, 1 client), p50 ms", "http", route, "p50_ms")
        row(f"`{route}` over HTTP (1 worker, 1 client), p99 ms", "http", route, "p99_ms")
        row(f"`{route}` over HTTP, server CPU ms per call", "http", route, "server_cpu_ms")
        if url.startswith("postgresql"):
            row(f"`{route}` over HTTP, PostgreSQL CPU ms per call", "http", route, "database_cpu_ms")
    return [*rows, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, help="another tree's src directory, measured side by side")
    parser.add_argument("--calls", type=int, default=400, help="in-process calls per route and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="HTTP seconds per route and round")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, json.loads(sys.stdin.read()), args.calls)))
        return
    trees = {"this tree": ROOT / "src"}
    if args.against is not None:
        trees = {f"against ({args.against})": args.against.resolve(), **trees}
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"segments API benchmark, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} "
             f"cores, load average {load} (1/5/15 min) at the start", ""]  # fmt: skip
    from segments_store import postgres_for_bench

    with tempfile.TemporaryDirectory() as folder:
        lines += bench_database("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'bench.db'}", trees, args)
    if not args.skip_postgres:
        with postgres_for_bench(None) as url:
            lines += bench_database("PostgreSQL (durable)", url, trees, args)
    lines.append("load average at the end: " + "/".join(f"{x:.1f}" for x in os.getloadavg()))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
