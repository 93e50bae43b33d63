"""What a call-level ``Idempotency-Key`` costs a 1 000-record `usage/batch`, side by side in one process.

    PYTHONPATH=src .venv/bin/python bench/usage_batch_keyed.py [--rounds 40]

In process (httpx over the ASGI application, no socket) on a SQLite file seeded like `bench/usage_batch.py`
(500 customers, the sample policy; 1 000 records over the `growth` customers' `api_requests`): alternating
rounds (the order flips every round) of the batch without a key, with a new key (claim, meters and the kept
answer in one transaction), and a replay of one kept key. The figure is the process's CPU per call (every
thread: the event loop's and the thread pool's), medians, and the ratio to the unkeyed call.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

import anyio.from_thread
import httpx

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Services, Store

NOW_MS = 1_764_000_000_000
BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/bench.db") as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(500, seed=1, now_ms=NOW_MS))
        services = Services(store)
        owner = services.local_owner()
        growth = [c["id"] for c in services.customers(owner).list("live", plan="growth", limit=100).data]
        secret = services.keys(owner).create("bench", environment="live", role="editor").secret
        body = {"records": [{"customer": growth[i % len(growth)], "entitlement": "api_requests", "value": 1}
                            for i in range(BATCH)]}  # fmt: skip
        transport = httpx.ASGITransport(app=create_app(ApiSettings(), services=services))
        with anyio.from_thread.start_blocking_portal() as portal:
            client = httpx.AsyncClient(transport=transport, base_url="http://bench.test",
                                       headers={"Authorization": f"Bearer {secret}"})  # fmt: skip

            def call(key: str | None) -> float:
                headers = {"Idempotency-Key": key} if key else {}
                started = time.process_time()
                response = portal.call(lambda: client.post("/v1/live/usage/batch", json=body, headers=headers))
                response.raise_for_status()
                return (time.process_time() - started) * 1000

            kinds: dict[str, Callable[[], float]] = {
                "no key": lambda: call(None),
                "a new key": lambda: call(uuid.uuid4().hex),
                "a replay": lambda: call("kept"),
            }
            for _ in range(3):  # warm up (imports, caches); also keeps "kept"
                for run in kinds.values():
                    run()
            samples: dict[str, list[float]] = {name: [] for name in kinds}
            for round_ in range(args.rounds):
                for name in (list(kinds) if round_ % 2 == 0 else list(reversed(kinds))):
                    samples[name].append(kinds[name]())
            portal.call(client.aclose)
    print(f"usage/batch under Idempotency-Key, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at the start, {args.rounds} rounds\n")
    base = statistics.median(samples["no key"])
    print("| call (1 000 records, SQLite) | process CPU ms (median) | ratio to no key |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.median(values) / base:.2f} |")


if __name__ == "__main__":
    main()
