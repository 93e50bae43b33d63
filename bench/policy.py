"""Policy engine benchmark: reads, allow (hard and soft), margin snapshots, with_customers, memory per customer.

Run: `.venv/bin/python bench/policy.py` (one core, one process). Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import datetime as dt
import gc
import platform
import time
import tracemalloc
from collections.abc import Callable

from segmentr.policy import Policy

NOW = 1_767_225_600_000
ENTITLEMENTS = [f"e{i}" for i in range(10)]
DOCUMENT = {"policy": {
    "credits": {"tok": {"price": {"amount": 0.00002}, "overhead_cost": 0.000005},
                "mb": {"pricing_model": "tiered", "overhead_cost": 0.1,
                       "tiers": [{"up_to": 100, "price": {"amount": 0.5}}, {"price": {"amount": 0.2}}]}},
    "plans": {
        "ten": {"default": True, "entitlements": {
            name: {"limit": {"credit": "tok" if i % 2 else "mb", "mode": "soft" if i % 3 else "hard",
                             "value": 1000, "resets": True, "reset_sch": "monthly:1"}}
            for i, name in enumerate(ENTITLEMENTS)}},
        "five": {"entitlements": {
            "hard": {"limit": {"credit": "tok", "value": 1e12, "resets": True}},
            "soft": {"limit": {"credit": "tok", "mode": "soft", "value": 10, "resets": True}},
            "api": {"limit": {"credit": "tok", "value": 100}},
            "seats": {"limit": {"credit": "tok", "value": 5}},
            "storage": {"limit": {"credit": "mb", "mode": "soft", "value": 50}},
            "flag": {}}}}}}


def rate(label: str, calls: int, body: Callable[[int], None]) -> tuple[str, float]:
    body(min(calls, 1000))  # warm-up
    start = time.perf_counter()
    body(calls)
    elapsed = time.perf_counter() - start
    return label, calls / elapsed


def main() -> None:
    policy = Policy.from_document(DOCUMENT, clock=lambda: NOW)
    policy.create_customer("c5", "five")
    policy.create_customer("c10", "ten")
    for name in ENTITLEMENTS:
        policy.allow("c10", name, 1500)
    policy.allow("c5", "soft", 100)
    value, limit, entitlement = policy.value, policy.limit, policy.entitlement
    allow, snapshot = policy.allow, policy.customer_local_margin_breakdown
    table = {"c5": policy.export_customer("c5")}

    def reads_value(n: int) -> None:
        for _ in range(n):
            value("c5", "hard")

    def reads_limit(n: int) -> None:
        for _ in range(n):
            limit("c5", "hard")

    def reads_entitlement(n: int) -> None:
        for _ in range(n):
            entitlement("c5", "hard")

    def allow_hard(n: int) -> None:
        for _ in range(n):
            allow("c5", "hard", 1)

    def allow_soft(n: int) -> None:
        for _ in range(n):
            allow("c5", "soft", 1)

    events: list[str] = []

    def allow_soft_events(n: int) -> None:
        for _ in range(n):
            allow("c5", "soft", 1)
        events.clear()

    def snapshots(n: int) -> None:
        for _ in range(n):
            snapshot("c10")

    def copies(n: int) -> None:
        for _ in range(n):
            policy.with_customers(table).value("c5", "hard")

    rows = [
        rate("`value` read", 300_000, reads_value),
        rate("`limit` read", 300_000, reads_limit),
        rate("`entitlement` read", 300_000, reads_entitlement),
        rate("`allow` on a hard limit (no subscriber)", 100_000, allow_hard),
        rate("`allow` on a soft limit, past the limit (no subscriber)", 100_000, allow_soft),
        rate("margin snapshot, 10 entitlements", 30_000, snapshots),
        rate("`with_customers` copy + one `value`", 200_000, copies),
    ]
    policy.subscribe(lambda name, payload: events.append(name))
    rows.append(rate("`allow` on a soft limit with a subscriber (meter-overage payloads)", 100_000,
                     allow_soft_events))
    targets = {"`value` read": 100_000, "`limit` read": 100_000, "`entitlement` read": 100_000,
               "`allow` on a hard limit (no subscriber)": 30_000,
               "`allow` on a soft limit, past the limit (no subscriber)": 30_000,
               "margin snapshot, 10 entitlements": 10_000}

    # memory: 10 000 customers with 5 meters each, created through the API
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    crowd = policy.with_customers({})
    for i in range(10_000):
        crowd.create_customer(f"customer-{i}", "five")
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    used = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    per_customer = used / 10_000

    print(f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; date {dt.date.today().isoformat()}; one process, one core.")
    print()
    print("| operation | ops/s | target | ratio |")
    print("|---|---:|---:|---:|")
    for label, ops in rows:
        target = targets.get(label)
        ratio = f"{ops / target:.1f}×" if target else "–"
        print(f"| {label} | {ops:,.0f} | {f'{target:,}' if target else '–'} | {ratio} |")
    print(f"| memory per customer with 5 meters (tracemalloc, 10 000 customers) | {per_customer:,.0f} B "
          f"| ≤ 4 096 B | {4096 / per_customer:.1f}× headroom |")


if __name__ == "__main__":
    main()
