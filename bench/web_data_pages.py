"""The dashboard's data pages with 100 000 customers: the server's time per page, side by side in one run.

    .venv/bin/python bench/web_data_pages.py [--customers 100000] [--repeat 15] [--postgres-url URL]
                                             [--skip-postgres]

For SQLite and PostgreSQL (a private server with production durability unless --postgres-url): a signed-in
member requests each page through the real application in process (the ASGI app, no network: the server's
own time), with no active segment, a pushdown active segment (``customer.plan == "growth"``: SQL), a dense
evaluated one (reads meters and the policy: about half the customers) and a sparse evaluated one (few
members: the page is bound by the scan budget). Wall time p50/p95 and CPU time p50 of the process. The totals
fragments (loaded after the page) once cold (the one streamed pass) and then warm (the change mark checked,
the cached roll-up served).
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

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from segmentr.api import ApiSettings, create_app  # noqa: E402
from segmentr.sample import generate_customers, sample_policy  # noqa: E402
from segmentr.service import SegmentInput, Services, Store  # noqa: E402
from segments_store import postgres_for_bench  # noqa: E402

PASSWORD = "bench-password-123"
SEGMENTS = {
    "none": None,
    "SQL (plan)": 'customer.plan == "growth"',
    "evaluated, dense": (
        '(?customer.meters.api_requests.value ?? 0) > 500 && ?policy.entitlement(customer.id, "api_requests") != null'
    ),
    "evaluated, sparse": (
        '(?customer.meters.api_requests.value ?? 0) > 4900000 && ?policy.limit(customer.id, "api_requests") != null'
    ),
}
PAGES = ("/customers", "/customers?q=ada", "/customers/{customer}", "/margin", "/usage?entitlement=api_requests")
AFTER = ("/customer-count", "/margin/totals", "/usage/totals")


def seed(url: str, count: int) -> Services:
    store = Store(url)
    store.init()
    store.put_policy("live", sample_policy())
    started = time.perf_counter()
    # meters of the current period, so usage and margins are real (not pending resets)
    store.import_customer_dicts("live", generate_customers(count, seed=21))
    print(f"  imported {count:,} customers in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    owner = services.local_owner()
    assert owner.member_id is not None
    services.members(owner).set_password(owner.member_id, PASSWORD)
    for name, condition in SEGMENTS.items():
        if condition is not None:
            services.segments(owner).create(SegmentInput(name=name, condition=condition))
    return services


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(p50 wall ms, p95 wall ms, p50 CPU ms) of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    return statistics.median(walls), walls[min(len(walls) - 1, int(len(walls) * 0.95))], statistics.median(cpus)


def run(label: str, url: str, count: int, repeat: int) -> list[str]:
    print(f"{label}: seeding", file=sys.stderr)
    services = seed(url, count)
    owner = services.local_owner()
    client = TestClient(create_app(ApiSettings(rate_per_second=0), services=services))
    email = services.members(owner).get(owner.member_id or "").email
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    customer = services.customers(owner).list("live", plan="growth", limit=1).data[0]["id"]
    lines = []
    for name, condition in SEGMENTS.items():
        if condition is None:
            services.segments(owner).clear_active_segment()
        else:
            services.segments(owner).set_active_segment(name)
        for path in PAGES:
            target = path.format(customer=customer)

            def get(target: str = target) -> None:
                response = client.get(target)
                assert response.status_code == 200, (target, response.status_code, response.text[:300])

            get()  # warm the policy cache and the compiled condition
            p50, p95, cpu = timed(get, repeat)
            lines.append(f"| {label} | {name} | `{path}` | {p50:.1f} | {p95:.1f} | {cpu:.1f} |")
            print(lines[-1], file=sys.stderr)
        for path in AFTER:

            def fragment(path: str = path) -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            if path == "/margin/totals":  # margin and usage totals share one roll-up: one cold pass
                services.report_cache.clear()
            cold = timed(fragment, 1)
            warm = timed(fragment, repeat) if path != "/customer-count" else cold
            detail = {"/customer-count": "once:", "/margin/totals": f"cold {cold[0]:,.0f}, warm"}.get(path, "warm")
            lines.append(f"| {label} | {name} | `{path}` (after the page) | {detail} {warm[0]:.1f} | {warm[1]:.1f} | "
                         f"{warm[2]:.1f} |")  # fmt: skip
            print(lines[-1], file=sys.stderr)
    services.store.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres-url")
    parser.add_argument("--skip-postgres", action="store_true")
    options = parser.parse_args()
    load = os.getloadavg()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"{options.customers:,} customers, {options.repeat} requests per page")  # fmt: skip
    print("\n| database | active segment | page | p50 ms | p95 ms | CPU p50 ms |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        for line in run("SQLite", f"sqlite:///{directory}/bench.db", options.customers, options.repeat):
            print(line)
    if not options.skip_postgres:
        with postgres_for_bench(options.postgres_url) as url:
            for line in run("PostgreSQL", url, options.customers, options.repeat):
                print(line)
    load = os.getloadavg()
    print(f"\nload average after the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
