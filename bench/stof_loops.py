"""Loop speed: the seed's three loop templates and a data-only meter loop (no policy calls), through
`Condition.matches(bindings)` and `matches_customer(c, p)`, in the generated tier and in the closure tier (the
first 100 evaluations), as ratios to the hand-written Python floor — optionally side by side with another source
tree (the code before a change).

Run: `.venv/bin/python bench/stof_loops.py [--before SRC_DIR] [--rounds N] [--all]`, e.g. with
`git archive <commit> src | tar -x -C /tmp/before` and `--before /tmp/before/src`. Each round runs one child
process per tree, alternating (a package cannot be imported twice in one process); each child times every
implementation in interleaved batches on the thread's CPU clock (the machine is shared: wall time would count
the other processes' turns) and reports medians; the table gives, per implementation, the median over the rounds
of its ratio to the floor measured in the same child. `--all` adds the seed's other conditions.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import repeat
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"

METER_LOOP = """for (const field in customer.meters.fields()) {
const meter = field[1];
if (meter.value != null && meter.value > 1000000000) return true;
}
false"""
METER_LOOP_KEY = "meter-loop (data only)"
FORMS = ("matches", "matches_customer", "closures: matches", "closures: matches_customer")
BATCH_NS = 4_000_000  # CPU time per batch of one implementation


def _meter_loop_floor(c: dict[str, Any], policy: Any) -> bool:
    for meter in c["meters"].values():
        value = meter.get("value")
        if value is not None and value > 1_000_000_000:
            return True
    return False


def _batch_count(fn: Callable[[], Any]) -> int:
    """Calls of ``fn`` in about BATCH_NS of CPU time."""
    count = 10
    while True:
        started = time.thread_time_ns()
        for _ in repeat(None, count):
            fn()
        spent = time.thread_time_ns() - started
        if spent > BATCH_NS // 8:
            return max(1, count * BATCH_NS // spent)
        count *= 4


def _child(batches: int, everything: bool) -> dict[str, dict[str, float]]:
    """In the child: median ns per evaluation of the floor and each form, per condition."""
    sys.path.insert(0, str(BENCH))
    import peers.floor as floor
    from fixtures import SEED_CONDITIONS, TIMED_CUSTOMER_ID, make_customers, make_policy
    from segmentr.stof import compile as stof_compile
    from segmentr.stof import parse
    from segmentr.stof.condition import Condition

    customers = make_customers()
    policy, _ = make_policy(customers)
    customer = customers[TIMED_CUSTOMER_ID]
    conditions = [
        (c.key, c.source, floor.prepare(c.key)) for c in SEED_CONDITIONS if everything or c.group == "loop"
    ]
    conditions.append((METER_LOOP_KEY, METER_LOOP, _meter_loop_floor))
    results: dict[str, dict[str, float]] = {}
    for key, source, hand_written in conditions:
        generated = stof_compile(source).optimize()
        # a condition that stays in the closure tier (promotion off), as every condition runs its first 100
        closures = Condition(source, parse(source), promote_after=None)
        forms: dict[str, Callable[[], Any]] = {
            "floor": lambda f=hand_written: f(customer, policy),
            "matches": lambda m=generated.matches: m({"customer": customer, "policy": policy}),
            "matches_customer": lambda m=generated.matches_customer: m(customer, policy),
            "closures: matches": lambda m=closures.matches: m({"customer": customer, "policy": policy}),
            "closures: matches_customer": lambda m=closures.matches_customer: m(customer, policy),
        }
        answers = {name: fn() for name, fn in forms.items()}
        assert len(set(answers.values())) == 1, (key, answers)
        counts = {name: _batch_count(fn) for name, fn in forms.items()}
        times: dict[str, list[float]] = {name: [] for name in forms}
        for _ in range(batches):
            for name, fn in forms.items():
                count = counts[name]
                gc.disable()
                started = time.thread_time_ns()
                for _ in repeat(None, count):
                    fn()
                times[name].append((time.thread_time_ns() - started) / count)
                gc.enable()
        results[key] = {name: statistics.median(values) for name, values in times.items()}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another source tree (its src/) to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=9)
    parser.add_argument("--all", action="store_true", help="every seed condition, not only the loops")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        sys.path.insert(0, str(args.child))
        print(json.dumps(_child(args.batches, args.all)))
        return 0
    trees = {"after": SRC} if args.before is None else {"before": args.before, "after": SRC}
    runs: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            command = [sys.executable, __file__, "--child", str(tree), "--batches", str(args.batches)]
            out = subprocess.run([*command, *(["--all"] if args.all else [])],
                                 capture_output=True, text=True, check=True)  # fmt: skip
            runs[name].append(json.loads(out.stdout))
    keys = list(runs["after"][0])
    columns = [(tree, form) for form in FORMS for tree in trees]
    print("| condition | floor µs | " + " | ".join(f"{tree}: {form}" for tree, form in columns) + " |")
    print("|---|---:|" + "---:|" * len(columns))
    for key in keys:
        floor_us = statistics.median(r[key]["floor"] for r in runs["after"]) / 1000
        cells = []
        for tree, form in columns:
            ratio = statistics.median(r[key][form] / r[key]["floor"] for r in runs[tree])
            cells.append(f"{ratio:.2f}x")
        print(f"| {key} | {floor_us:.2f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
