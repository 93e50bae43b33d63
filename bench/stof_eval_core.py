"""Micro-benchmark of our Stof engine alone: compile, check and evaluate time per seed condition.

Run: `.venv/bin/python bench/stof_eval_core.py [--quick]`. For each seed condition: compile time (what
`stof.compile` costs without its cache: parse + the closure tier's build; code generation waits for promotion),
check time, evaluation time on the realistic timed customer in the closure tier ("tier 1") and in the generated
code ("eval", through `matches_customer`, as membership streams), and the hand-written floor's time with the
ratio (targets: 3x for field reads, 5x for calls and loops). Also the compile and check time of the ~2 KB
condition of `stof_eval.py`, and what promoting it costs.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from fixtures import SEED_CONDITIONS, TARGET_RATIO, TIMED_CUSTOMER_ID, make_customers, make_policy
from peers import floor
from segmentr.stof import check, parse
from segmentr.stof.condition import Condition
from stof_eval import LARGE_CONDITION


def best_per_call_ns(fn: Callable[[], Any], repeats: int, inner: int) -> float:
    """The best of ``repeats`` batches of ``inner`` calls, per call, in ns (best = least disturbed)."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter_ns()
            for _ in range(inner):
                fn()
            best = min(best, (time.perf_counter_ns() - start) / inner)
    finally:
        gc.enable()
    return best


def time_check(source: str, repeats: int, inner: int) -> float:
    """Check time in µs, or NaN while the checker is not there."""
    try:
        check(source)
    except ImportError:
        return float("nan")
    return best_per_call_ns(lambda: check(source), repeats, inner) / 1000


def compile_fresh(source: str) -> Condition:
    """Parse and compile without the public cache."""
    return Condition(source, parse(source))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats, inner = (3, 2_000) if args.quick else (7, 20_000)
    slow_inner = max(inner // 20, 50)

    customers = make_customers()
    customer = customers[TIMED_CUSTOMER_ID]
    policy, policy_kind = make_policy(customers)
    print(f"policy: {policy_kind}; customer: {TIMED_CUSTOMER_ID}; best of {repeats} batches")
    header = (
        f"{'condition':<24}{'compile':>10}{'check':>10}{'tier 1':>10}{'eval':>10}{'floor':>10}{'ratio':>8}"
        f"{'target':>8}"
    )
    print(header)
    print("-" * len(header))
    worst_ok = True
    for seed in SEED_CONDITIONS:
        condition = compile_fresh(seed.source).optimize()  # the generated code, as membership streams it
        first_tier = Condition(seed.source, parse(seed.source), promote_after=None)
        hand_written = floor.prepare(seed.key)
        assert callable(hand_written)
        matches = condition.matches_customer
        assert matches(customer, policy) == hand_written(customer, policy), seed.key
        assert first_tier.matches_customer(customer, policy) == hand_written(customer, policy), seed.key

        compile_us = best_per_call_ns(lambda s=seed.source: compile_fresh(s), repeats, slow_inner) / 1000
        check_us = time_check(seed.source, repeats, slow_inner)
        eval_us = best_per_call_ns(lambda m=matches: m(customer, policy), repeats, inner) / 1000
        tier1_us = best_per_call_ns(lambda m=first_tier.matches_customer: m(customer, policy), repeats, inner) / 1000
        floor_us = best_per_call_ns(lambda h=hand_written: h(customer, policy), repeats, inner) / 1000
        ratio = eval_us / floor_us
        target = TARGET_RATIO[seed.group]
        worst_ok = worst_ok and ratio <= target
        print(
            f"{seed.key:<24}{compile_us:>8.1f}us{check_us:>8.1f}us{tier1_us:>8.3f}us{eval_us:>8.3f}us"
            f"{floor_us:>8.3f}us"
            f"{ratio:>7.1f}x{target:>7.0f}x"
        )
    large_compile = best_per_call_ns(lambda: compile_fresh(LARGE_CONDITION), repeats, slow_inner) / 1000
    large_check = time_check(LARGE_CONDITION, repeats, slow_inner)
    large_promote = best_per_call_ns(lambda: compile_fresh(LARGE_CONDITION).optimize(), repeats, slow_inner) / 1000
    print(
        f"\n{len(LARGE_CONDITION.encode())} byte condition: compile {large_compile:.0f}us (target <= 1000us), "
        f"check {large_check:.0f}us (target <= 2000us); compile + promotion {large_promote:.0f}us"
    )
    print("all evaluation ratios within target" if worst_ok else "some evaluation ratios above target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
