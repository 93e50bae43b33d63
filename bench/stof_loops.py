"""Loop speed and the cost of budget charging: the seed conditions (the three loop templates above all) and a
pure-data meter loop, through `Condition.matches(bindings)` and `matches_customer(c, p)`, as ratios to the
hand-written floor — optionally side by side with another source tree (the code before a change).

Run: `.venv/bin/python bench/stof_loops.py [--before SRC_DIR] [--rounds N]`, e.g. with
`git archive <commit> src | tar -x -C /tmp/before` and `--before /tmp/before/src`. Each round runs one child
process per tree, alternating (a package cannot be imported twice in one process); each child times every
implementation in interleaved batches and reports medians; the table gives the median ratio over the rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
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


def _meter_loop_floor(c: dict[str, Any], policy: Any) -> bool:
    for meter in c["meters"].values():
        value = meter.get("value")
        if value is not None and value > 1_000_000_000:
            return True
    return False


def _child(batches: int) -> dict[str, dict[str, float]]:
    """In the child: median ns per evaluation of floor / matches / matches_customer, per condition."""
    sys.path.insert(0, str(BENCH))
    import peers.floor as floor
    from fixtures import SEED_CONDITIONS, TIMED_CUSTOMER_ID, make_customers, make_policy
    from segmentr.stof import compile as stof_compile

    customers = make_customers()
    policy, _ = make_policy(customers)
    customer = customers[TIMED_CUSTOMER_ID]
    conditions = [(c.key, c.source, floor.prepare(c.key), c.group) for c in SEED_CONDITIONS]
    conditions.append(("meter-loop (data only)", METER_LOOP, _meter_loop_floor, "loop"))
    results: dict[str, dict[str, float]] = {}
    for key, source, hand_written, group in conditions:
        condition = stof_compile(source).optimize()
        matches, matches_customer = condition.matches, condition.matches_customer
        forms = {
            "floor": lambda f=hand_written: f(customer, policy),
            "matches": lambda m=matches: m({"customer": customer, "policy": policy}),
            "matches_customer": lambda m=matches_customer: m(customer, policy),
        }
        count = 1000 if group == "loop" else 10000
        times: dict[str, list[float]] = {name: [] for name in forms}
        for _ in range(batches):
            for name, fn in forms.items():
                gc.disable()
                started = time.perf_counter_ns()
                for _ in repeat(None, count):
                    fn()
                times[name].append((time.perf_counter_ns() - started) / count)
                gc.enable()
        results[key] = {name: statistics.median(values) for name, values in times.items()}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another source tree (its src/) to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=9)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        sys.path.insert(0, str(args.child))
        print(json.dumps(_child(args.batches)))
        return 0
    trees = {"after": SRC} if args.before is None else {"before": args.before, "after": SRC}
    runs: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(tree), "--batches", str(args.batches)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            runs[name].append(json.loads(out.stdout))
    keys = list(runs["after"][0])
    header = "| condition | floor µs |" + "".join(f" {t} matches | {t} matches_customer |" for t in trees)
    print(header)
    print("|---|---:|" + "---:|---:|" * len(trees))
    for key in keys:
        floor_us = statistics.median(r[key]["floor"] for r in runs["after"]) / 1000
        cells = []
        for name in trees:
            for form in ("matches", "matches_customer"):
                ratio = statistics.median(r[key][form] / r[key]["floor"] for r in runs[name])
                cells.append(f"{ratio:.2f}x")
        print(f"| {key} | {floor_us:.2f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
