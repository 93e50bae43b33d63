"""Pricing-rule benchmark: one resolution with 0, 10, 20 and 100 rules, and metering `allow` with 20 rules vs none.

Run: `.venv/bin/python bench/pricing.py [--rounds N] [--calls N]` (one process). Every variant runs in each
round, one after the other (interleaved), so a busy shared machine slows all of them alike; time is the
process's CPU time (waiting for a shared core does not count); the figures are medians over the rounds, and
the ratios are the median of the per-round ratios. Prints Markdown for BENCHMARKS.md.

The rules all override the priced credit and their segments are simple-mode shapes (plan, metadata equality,
a guarded comparison, `starts_with`); only the last one matches the customer, so a resolution with N rules
evaluates all N conditions (the worst case).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from segmentr.policy import Policy
from segmentr.pricing import EffectivePrices, RuleBook, parse_rule

NOW = 1_767_225_600_000
DOCUMENT = {"policy": {
    "credits": {"tok": {"price": {"amount": 0.00002}, "overhead_cost": 0.000005},
                "mb": {"pricing_model": "tiered", "overhead_cost": 0.1,
                       "tiers": [{"up_to": 100, "price": {"amount": 0.5}}, {"price": {"amount": 0.2}}]}},
    "plans": {"growth": {"default": True, "entitlements": {
        "chat": {"limit": {"credit": "tok", "mode": "soft", "value": 10, "resets": True}},
        "storage": {"limit": {"credit": "mb", "mode": "soft", "value": 5, "resets": True}}}}}}}
METADATA = {"email": "ops@acme.io", "tier": "gold", "seats": 12, "region": "eu"}


def shape(index: int) -> str:
    """A simple-mode condition that does not match the benchmark customer (four shapes in turn)."""
    return [
        f'customer.plan == "plan_{index}"',
        f'customer.metadata.tier == "tier_{index}"',
        f"(customer.metadata.seats != null && customer.metadata.seats > {1000 + index})",
        f'(?customer.metadata.email.starts_with("x{index}@") ?? false)',
    ][index % 4]


def rule_book(policy: Policy, count: int) -> RuleBook:
    rules, segments = [], {}
    for index in range(count):
        last = index == count - 1
        segments[f"seg_{index}"] = 'customer.plan == "growth"' if last else shape(index)
        rules.append(parse_rule({"name": f"rule {index}", "segment": f"seg_{index}", "priority": index,
                                 "overrides": {"credit:tok": {"amount": 0.00001 + index * 1e-7}}},
                                policy, rule_id=f"prr_{index}"))
    return RuleBook(rules, segments)


def new_customer(policy: Policy, cid: str) -> dict[str, Any]:
    policy.create_customer(cid, plan="growth", metadata=dict(METADATA))
    return policy.customers[cid]


def batch_seconds(body: Callable[[int], None], calls: int) -> float:
    gc.disable()
    try:
        start = time.process_time()  # CPU time: the time this process waits for a shared core does not count
        body(calls)
        return (time.process_time() - start) / calls
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=201)
    parser.add_argument("--calls", type=int, default=500, help="calls per variant per round")
    args = parser.parse_args()
    policy = Policy.from_document(DOCUMENT, clock=lambda: NOW)

    resolutions: dict[str, Callable[[int], None]] = {}
    for count in (0, 10, 20, 100):
        customer = new_customer(policy, f"r{count}")
        resolve = EffectivePrices(policy, rule_book(policy, count)).resolve
        expected = None if count == 0 else {"amount": 0.00001 + (count - 1) * 1e-7}
        assert resolve(customer, "credit:tok") == expected  # the last rule wins after all N evaluated

        def run(n: int, resolve: Callable[..., Any] = resolve, customer: dict[str, Any] = customer) -> None:
            for _ in range(n):
                resolve(customer, "credit:tok")

        resolutions[f"{count} rules"] = run
        if count == 20:  # the same, every call a memo miss: all 20 conditions evaluated (a customer seen anew)
            book = rule_book(policy, count)
            cold = EffectivePrices(policy, book).resolve
            target_rules = book.candidates("credit:tok")
            assert target_rules is not None
            forget = target_rules.memo.clear

            def run_cold(n: int, resolve: Callable[..., Any] = cold, customer: dict[str, Any] = customer,
                         forget: Callable[[], None] = forget) -> None:
                for _ in range(n):
                    forget()
                    resolve(customer, "credit:tok")

            resolutions["20 rules, memo miss on every call"] = run_cold

    events: list[str] = []

    def record(name: str, payload: dict[str, Any]) -> None:
        events.append(name)

    metering: dict[str, Callable[[int], None]] = {}
    plain = policy.with_customers(policy.customers, subscribers=[record])
    no_rules = EffectivePrices(policy, rule_book(policy, 0)).priced(subscribers=[record])
    with_rules = EffectivePrices(policy, rule_book(policy, 20)).priced(subscribers=[record])
    for label, engine in (("allow, no resolver", plain), ("allow, resolver with 0 rules", no_rules),
                          ("allow, 20 rules", with_rules)):
        cid = f"m-{label}"
        new_customer(policy, cid)
        allow = engine.allow

        def meter(n: int, allow: Callable[..., bool] = allow, cid: str = cid) -> None:
            for _ in range(n):
                allow(cid, "chat", 1)  # past the soft limit: meter-overage with price_diff and overage_price
            events.clear()

        metering[label] = meter
    with_rules.allow("m-allow, 20 rules", "chat", 20)
    assert with_rules.customer_local_margin_breakdown("m-allow, 20 rules")["revenue"] > 0

    samples: dict[str, list[float]] = {name: [] for name in [*resolutions, *metering]}
    ratios: dict[str, list[float]] = {"20 rules / 0 rules (resolution)": [], "allow: 20 rules / none": []}
    for body in [*resolutions.values(), *metering.values()]:
        body(2000)  # warm-up: conditions promoted, caches filled
    for _ in range(args.rounds):
        for name, body in resolutions.items():
            samples[name].append(batch_seconds(body, args.calls))
        for name, body in metering.items():
            samples[name].append(batch_seconds(body, args.calls))
        ratios["20 rules / 0 rules (resolution)"].append(samples["20 rules"][-1] / samples["0 rules"][-1])
        ratios["allow: 20 rules / none"].append(samples["allow, no resolver"][-1] / samples["allow, 20 rules"][-1])

    median = statistics.median
    print(f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
          f"{args.rounds} interleaved rounds of {args.calls:,} calls per variant, CPU time.")
    print(f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared).")
    print()
    print("| one resolution (`EffectivePrices.resolve`, credit target) | median µs | min µs |")
    print("|---|---:|---:|")
    for name in resolutions:
        print(f"| {name} | {median(samples[name]) * 1e6:.2f} | {min(samples[name]) * 1e6:.2f} |")
    print()
    print("| metering `allow` past a soft limit, one subscriber | median calls/s | max calls/s |")
    print("|---|---:|---:|")
    for name in metering:
        print(f"| {name} | {1 / median(samples[name]):,.0f} | {1 / min(samples[name]):,.0f} |")
    print()
    share = median(ratios["allow: 20 rules / none"])
    print(f"- `allow` throughput with 20 rules: **{share:.0%}** of the rule-free rate (median of per-round "
          f"ratios; goal ≥ 80 %).")
    print(f"- one resolution with 20 rules: **{median(samples['20 rules']) * 1e6:.1f} µs** (goal ≤ 20 µs); "
          f"{median(ratios['20 rules / 0 rules (resolution)']):.1f}× the rule-free resolution.")


if __name__ == "__main__":
    main()
