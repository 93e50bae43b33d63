"""`POST /v1/{env}/usage/batch` of 1 000 records: this tree next to a baseline, side by side in one run.

    .venv/bin/python bench/usage_batch.py [--baseline REF] [--also SRC] [--seconds 5] [--rounds 3]
                                          [--workers 1] [--postgres-url URL] [--skip-postgres]

For SQLite (file, WAL) and PostgreSQL (a private server with production durability unless --postgres-url): one
database seeded as `bench/api.py` seeds `live` (500 customers, the sample policy; batches meter the `growth`
customers' `api_requests`, 10 records per customer), and one `segmentr serve` per source tree on it — this
worktree's `src`; with `--baseline`, the `src` of that git ref (exported to a temporary folder); with `--also`,
any other source folder — all up at once and measured in alternating rounds (the order flips every round), so
they see the same machine and the same database state. Per tree: records/s with 2 clients and the server's CPU
per batch from /proc (uvicorn's process group; the PostgreSQL backends') — the CPU is the figure to compare on a
shared machine. Medians of the rounds, and every round.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from api import CpuMeter, concurrent, postmaster_of, serve  # noqa: E402
from keepalive import KeepAliveClient  # noqa: E402
from segmentr.sample import generate_customers, sample_policy  # noqa: E402
from segmentr.service import Services, Store  # noqa: E402
from segments_store import postgres_for_bench  # noqa: E402

NOW_MS = 1_764_000_000_000
CUSTOMERS = 500
ENTITLEMENT = "api_requests"
BATCH = 1000


def seed(url: str) -> tuple[str, list[str]]:
    with Store(url) as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.import_customer_dicts("live", generate_customers(CUSTOMERS, seed=1, now_ms=NOW_MS))
        services = Services(store)
        owner = services.local_owner()
        growth = services.customers(owner).list("live", plan="growth", limit=100).data
        key = services.keys(owner).create("bench-batch", environment="live", role="editor").secret
        return key, [c["id"] for c in growth]


@contextmanager
def exported(ref: str) -> Iterator[Path]:
    """``ref``'s ``src`` folder, exported from git into a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="segmentr-baseline-") as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield Path(folder) / "src"


def bench_database(name: str, url: str, trees: list[tuple[str, Path]], args: argparse.Namespace) -> list[str]:
    key, ids = seed(url)
    records = [{"customer": ids[i % len(ids)], "entitlement": ENTITLEMENT, "value": 1} for i in range(BATCH)]

    def batch(client: KeepAliveClient, n: int) -> None:
        client.post("/v1/live/usage/batch", json={"records": records}).raise_for_status()

    rounds: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
    with ExitStack() as stack:
        servers = []
        for label, src in trees:
            base, group = stack.enter_context(serve(url, args.workers, src))
            servers.append((label, base, CpuMeter(group, postmaster_of(url) if url.startswith("postgresql") else None)))
        for _, base, _ in servers:  # imports, caches, the compiled policy in every worker
            concurrent(2.0, 2 * args.workers, batch, base, key)
        for number in range(args.rounds):
            for label, base, meter in servers if number % 2 == 0 else servers[::-1]:
                measured = meter.per_call(concurrent, args.seconds, 2, batch, base, key)
                rounds[label].append(measured)
                print(name, label, number, measured, file=sys.stderr)
    rows = [f"### {name}, {args.workers} worker(s)", "",
            "| tree | records/s (median) | server CPU ms per batch (median) | database CPU ms per batch | rounds: "
            "records/s @ server CPU ms |", "|---|---:|---:|---:|---|"]  # fmt: skip
    for label, measured in rounds.items():
        per_s = statistics.median(r["per_s"] * BATCH for r in measured)
        cpu = statistics.median(r["server_cpu_ms"] for r in measured)
        database = statistics.median(r["database_cpu_ms"] for r in measured)
        each = ", ".join(f"{r['per_s'] * BATCH:,.0f} @ {r['server_cpu_ms']:.1f}" for r in measured)
        rows.append(f"| {label} | {per_s:,.0f} | {cpu:.1f} | {database:.1f} | {each} |")
    rows.append("")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a git ref whose src to measure next to this tree's")
    parser.add_argument("--also", action="append", default=[], metavar="SRC",
                        help="another source folder (a src with segmentr in it) to measure beside, repeatable")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"usage/batch benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {load} (1/5/15 min) "
             "at the start", ""]  # fmt: skip
    with ExitStack() as stack:
        trees = [("this tree", ROOT / "src")]
        if args.baseline:
            trees.insert(0, (f"baseline {args.baseline}", stack.enter_context(exported(args.baseline))))
        trees += [(f"also {path}", Path(path)) for path in args.also]
        with tempfile.TemporaryDirectory() as folder:
            lines += bench_database("SQLite (file, WAL)", f"sqlite:///{Path(folder) / 'bench.db'}", trees, args)
        if not args.skip_postgres:
            with postgres_for_bench(args.postgres_url) as url:
                lines += bench_database("PostgreSQL (durable)", url, trees, args)
    lines.append("load average at the end: " + "/".join(f"{x:.1f}" for x in os.getloadavg()))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
