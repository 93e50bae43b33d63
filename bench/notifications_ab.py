"""The decision's added cost inside a usage call, two source trees side by side (A/B) in one run.

    PYTHONPATH=src .venv/bin/python bench/notifications_ab.py --base /tmp/base/src [--calls 1500] [--rounds 15]

``--base`` is another tree's ``src`` (e.g. ``git archive main src | tar -x -C /tmp/base``). Two worker processes,
one per tree, each seed their own database (a SQLite file; a schema of one PostgreSQL server with production
durability, started for the run unless --postgres-url) as ``notifications_stored.py`` does, then take turns:
``--rounds`` rounds of ``calls / rounds`` usage calls each (live with 10 notifications listening and test with
none, interleaved call by call), A then B, B then A. Reported per tree: the decider's wall and CPU
(``time.thread_time``) p50/p99 per side, the added cost (10 vs none), and B / A ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

KEYS = ("live", "test", "live_cpu", "test_cpu")


def worker(url: str) -> None:
    """Seed ``url``, warm, then run the calls asked for on stdin (a count a line), timings as JSON on stdout."""
    import notifications_stored as bench

    services = bench.seed(url)
    customers = services.customers(services.local_owner())
    for i in range(50):
        for env in ("live", "test"):
            customers.record_usage(env, f"c{i % bench.CUSTOMERS}", "api", 1)
    done = 0
    print("ready", flush=True)
    for line in sys.stdin:
        calls = int(line)
        if calls <= 0:
            break
        with bench.timed_decider() as spent:
            for _ in range(calls):
                for env in (("live", "test") if done % 2 == 0 else ("test", "live")):
                    customers.record_usage(env, f"c{done % bench.CUSTOMERS}", "api", 1)
                done += 1
        print(json.dumps({key: spent[key] for key in KEYS}), flush=True)
    services.store.close()


def start(src: str, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": src}
    process = subprocess.Popen([sys.executable, __file__, "--worker", url], env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def run(urls: tuple[str, str], srcs: tuple[str, str], calls: int, rounds: int) -> list[dict[str, list[float]]]:
    processes = [start(src, url) for src, url in zip(srcs, urls, strict=True)]
    spent: list[dict[str, list[float]]] = [{key: [] for key in KEYS} for _ in processes]
    per_round = max(1, calls // rounds)
    for round_ in range(rounds):
        for index in ((0, 1) if round_ % 2 == 0 else (1, 0)):
            process = processes[index]
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(f"{per_round}\n")
            process.stdin.flush()
            for key, values in json.loads(process.stdout.readline()).items():
                spent[index][key].extend(values)
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("0\n")
        process.stdin.close()
        process.wait(timeout=60)
    return spent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, labels: tuple[str, str], spent: list[dict[str, list[float]]]) -> None:
    print(f"\n#### {name}\n")
    print("| tree | decider 10 listening p50 / p99 ms | none p50 / p99 ms | **added** wall p50 / p99 ms | "
          "CPU 10 listening p50 / p99 ms | CPU none p50 / p99 ms | **added** CPU p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|")
    added: list[list[float]] = []
    for label, figures in zip(labels, spent, strict=True):
        row = [label]
        sums: list[float] = []
        for kind in ("", "_cpu"):
            live = [percentile(figures["live" + kind], q) for q in (50, 99)]
            test = [percentile(figures["test" + kind], q) for q in (50, 99)]
            plus = [a - b for a, b in zip(live, test, strict=True)]
            sums.extend(plus)
            row += [f"{live[0]:.3f} / {live[1]:.3f}", f"{test[0]:.3f} / {test[1]:.3f}",
                    f"**{plus[0]:.3f} / {plus[1]:.3f}**"]
        added.append(sums)
        print("| " + " | ".join(row) + " |")
    ratios = [b / a if a else float("nan") for a, b in zip(added[0], added[1], strict=True)]
    print(f"\n{len(spent[0]['live'])} calls a side per tree; added cost {labels[1]} / {labels[0]}: wall p50 "
          f"{ratios[0]:.2f}, p99 {ratios[1]:.2f}; CPU p50 {ratios[2]:.2f}, p99 {ratios[3]:.2f}.")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker")
    parser.add_argument("--base", help="the other tree's src folder (A)")
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgres-url")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    assert args.base, "--base SRC is required"
    srcs = (str(Path(args.base).resolve()), str(ROOT / "src"))
    labels = ("A (base)", "B (this tree)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            urls = (f"sqlite:///{folder}/a.db", f"sqlite:///{folder}/b.db")
            report("SQLite (file, WAL)", labels, run(urls, srcs, args.calls, args.rounds))
    if not args.skip_postgres:
        from segments_store import postgres_for_bench

        with postgres_for_bench(args.postgres_url) as server_url:
            import psycopg

            plain = server_url.replace("postgresql+psycopg://", "postgresql://")
            urls_pg: list[str] = []
            for schema in ("bench_ab_a", "bench_ab_b"):
                with psycopg.connect(plain, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                urls_pg.append(f"{server_url}?options=-csearch_path%3D{schema}")
            report("PostgreSQL (private server, fsync on)", labels,
                   run((urls_pg[0], urls_pg[1]), srcs, args.calls, args.rounds))
    print(f"\n{time.perf_counter() - started:.0f} s; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
