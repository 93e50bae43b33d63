"""Stof evaluation benchmark: each seed condition, ours vs the hand-written floor vs the PyPI peers, in one run.

Run: `.venv/bin/python bench/stof_eval.py [--quick]`. Prints a table, writes bench/results/stof_eval.json.
Before timing, every implementation's decision is checked against the floor's on all benchmark customers; an
implementation that disagrees anywhere is shown as WRONG for that condition and is not timed.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from types import ModuleType
from typing import Any

from fixtures import (
    SEED_CONDITIONS,
    TARGET_RATIO,
    TIMED_CUSTOMER_ID,
    SeedCondition,
    make_customers,
    make_policy,
)
from peers import Evaluator, NotExpressible

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "stof_eval.json"
FLOOR = "floor"
OURS = "ours"
# column id -> module under bench/peers/
IMPLEMENTATIONS: dict[str, str] = {
    FLOOR: "peers.floor",
    OURS: "peers.ours",
    "ours-bindings": "peers.ours_bindings",
    "growthbook": "peers.growthbook_peer",
    "json-logic": "peers.json_logic_peer",
    "flag-engine": "peers.flagsmith_peer",
    "cel-rust": "peers.cel_rust_peer",
    "cel-python": "peers.cel_python_peer",
}

# A realistic hand-written segment of about 2 KB, for the compile and check timings.
LARGE_CONDITION = """// Pricing rule "EU key accounts at risk": a hand-written segment combining the usual signals.
// Plan, type and metadata first (cheap), then activity, then the policy reads.
const recent: ms = Time.now() - 30days;
const created_cutoff: ms = Time.now() - 7days;
const tier = data.billing_tier;
const region = data.region;
let score = 0;
if (customer.plan == "growth" || customer.plan == "enterprise") {
    score += 1;
}
if (customer.type == "org" && region == "eu") {
    score += 1;
}
if (tier == "custom" || data.account_manager != null) {
    score += 2;
}
if (customer.cloud_updated != null && customer.cloud_updated >= recent) {
    score += 1;
}
if (customer.cloud_created != null && customer.cloud_created > created_cutoff) {
    score += 1;
}
if (customer.grants != null && customer.grants.fields().len() > 0) {
    score += 1;
}
// Industry and contact signals from the CRM sync.
if (data.industry == "logistics" || data.industry == "retail") {
    score += 1;
}
const email = data.email ?? "";
if (email.ends_with("@acme.io") || email.ends_with(".gov")) {
    score += 1;
}
const seats = ?policy.value(customer.id, "seats") ?? 0;
if (seats > 20) {
    score += 1;
}
const snapshot = ?policy.customer_local_margin_breakdown(customer.id);
const margin = ?snapshot.get('margin') ?? 0;
if (margin < 0) {
    score -= 1;
}
let near_limit = false;
let in_overage = false;
for (const field in customer.meters.fields()) {
    const name = field[0];
    const ent = ?policy.entitlement(customer.id, name);
    if (ent != null && ent.limit != null) {
        const limit = ?policy.limit(customer.id, name);
        const current = ?policy.value(customer.id, name);
        if (ent.limit.mode == 'hard' && limit != null && current != null && current >= limit * 0.9) {
            near_limit = true;
        }
        if (ent.limit.mode == 'soft' && limit != null && current != null && current > limit) {
            in_overage = true;
        }
    }
}
// Key accounts: enough signals, or any usage pressure on a paid plan.
score >= 4 || ((near_limit || in_overage) && customer.plan != "free")
"""


@dataclass
class Cell:
    """One implementation on one condition: a time, or why there is none."""

    status: str  # "ok" | "n/a" | "wrong" | "unavailable" | "error"
    reason: str = ""
    evaluator: Evaluator | None = None
    batch: int = 1
    samples_ns: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float | None:
        return statistics.median(self.samples_ns) / 1000 if self.samples_ns else None


def _decide(evaluator: Evaluator, customer: dict[str, Any], policy: Any) -> bool:
    """The membership decision; any error means no match (as a Stof runtime error does)."""
    try:
        return evaluator(customer, policy) is True
    except Exception:
        return False


def _load(module_name: str) -> tuple[ModuleType | None, str]:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return None, f"not installed ({error.name}): pip install -e '.[bench]'"
    availability = getattr(module, "available", None)
    reason = availability() if availability is not None else None
    return (None, reason) if reason else (module, "")


def _time_batch(evaluator: Evaluator, customer: dict[str, Any], policy: Any, count: int) -> float:
    """Nanoseconds per evaluation over `count` back-to-back calls."""
    start = time.perf_counter_ns()
    for _ in repeat(None, count):
        evaluator(customer, policy)
    return (time.perf_counter_ns() - start) / count


def _calibrate(evaluator: Evaluator, customer: dict[str, Any], policy: Any, batch_ns: float) -> int:
    _time_batch(evaluator, customer, policy, 20)  # warm up caches and lazy imports
    per_call = min(_time_batch(evaluator, customer, policy, 50) for _ in range(3))
    return max(1, int(batch_ns / max(per_call, 1.0)))


def build_cells(
    conditions: tuple[SeedCondition, ...], customers: dict[str, dict[str, Any]], policy: Any
) -> tuple[dict[str, dict[str, Cell]], dict[str, str], list[str]]:
    """Prepare every implementation for every condition and check its decisions against the floor's."""
    cells: dict[str, dict[str, Cell]] = {c.key: {} for c in conditions}
    versions: dict[str, str] = {}
    problems: list[str] = []
    for impl, module_name in IMPLEMENTATIONS.items():
        module, why_not = _load(module_name)
        versions[impl] = module.version() if module is not None else "unavailable"
        for condition in conditions:
            if module is None:
                cells[condition.key][impl] = Cell("unavailable", why_not)
                continue
            try:
                prepared = module.prepare(condition.key)
            except Exception as error:
                cells[condition.key][impl] = Cell("error", f"prepare failed: {error!r}")
                problems.append(f"{impl} / {condition.key}: prepare failed: {error!r}")
                continue
            if isinstance(prepared, NotExpressible):
                cells[condition.key][impl] = Cell("n/a", prepared.reason)
            else:
                cells[condition.key][impl] = Cell("ok", evaluator=prepared)
    for condition in conditions:
        floor = cells[condition.key][FLOOR].evaluator
        assert floor is not None
        expected = {cid: _decide(floor, c, policy) for cid, c in customers.items()}
        if len(set(expected.values())) < 2:
            problems.append(f"{condition.key}: the benchmark customers do not cover both match and no match")
        for impl, cell in cells[condition.key].items():
            if cell.evaluator is None or impl == FLOOR:
                continue
            wrong = [
                cid for cid, c in customers.items() if _decide(cell.evaluator, c, policy) != expected[cid]
            ]
            if wrong:
                cell.status, cell.evaluator = "wrong", None
                cell.reason = "disagrees with the floor on " + ", ".join(
                    f"{cid} (floor {expected[cid]})" for cid in wrong
                )
                problems.append(f"{impl} / {condition.key}: {cell.reason}")
    return cells, versions, problems


def run_timings(
    cells: dict[str, dict[str, Cell]], customer: dict[str, Any], policy: Any, rounds: int, batch_ns: float
) -> None:
    """Interleaved rounds: every round times one batch of every (condition, implementation) pair."""
    timed = [cell for row in cells.values() for cell in row.values() if cell.evaluator is not None]
    for cell in timed:
        assert cell.evaluator is not None
        cell.batch = _calibrate(cell.evaluator, customer, policy, batch_ns)
    gc_was_enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            gc.collect()
            gc.disable()  # as timeit does: collections would land on whichever batch happens to run
            for cell in timed:
                assert cell.evaluator is not None
                cell.samples_ns.append(_time_batch(cell.evaluator, customer, policy, cell.batch))
            gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()


def time_front_end(repeats: int) -> dict[str, Any]:
    """Median compile and check time of the ~2 KB condition (a fresh source text each time, so no cache helps)."""
    try:
        from segmentr.stof import check as stof_check
        from segmentr.stof import compile as stof_compile
    except ImportError as error:
        return {"status": "unavailable", "reason": f"segmentr.stof not available yet ({error})"}
    size = len(LARGE_CONDITION.encode())
    diagnostics = stof_check(LARGE_CONDITION)
    errors = [d for d in diagnostics if getattr(d, "severity", "error") == "error"]
    if errors:
        return {"status": "error", "reason": f"the 2 KB condition does not check: {errors}"}
    compile_ns, check_ns = [], []
    for index in range(repeats):
        source = f"{LARGE_CONDITION}// variant {index}\n"
        start = time.perf_counter_ns()
        stof_compile(source)
        compile_ns.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        stof_check(source)
        check_ns.append(time.perf_counter_ns() - start)
    return {
        "status": "ok",
        "bytes": size,
        "warnings": len(diagnostics),
        "compile_ms": statistics.median(compile_ns) / 1e6,
        "check_ms": statistics.median(check_ns) / 1e6,
        "compile_target_ms": 1.0,
        "check_target_ms": 2.0,
    }


def machine_info() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")),
            model,
        )
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _format_cell(cell: Cell, floor_us: float | None) -> str:
    median = cell.median_us
    if median is None:
        return {"n/a": "n/a", "wrong": "WRONG", "unavailable": "-", "error": "error"}.get(
            cell.status, cell.status
        )
    ratio = f" ({median / floor_us:.1f}x)" if floor_us else ""
    return f"{median:.2f}{ratio}"


def build_report(
    conditions: tuple[SeedCondition, ...],
    cells: dict[str, dict[str, Cell]],
    timed_matches: dict[str, bool],
    front_end: dict[str, Any],
    versions: dict[str, str],
    settings: dict[str, Any],
) -> dict[str, Any]:
    rows = []
    for condition in conditions:
        floor_us = cells[condition.key][FLOOR].median_us
        results = {}
        for impl, cell in cells[condition.key].items():
            median = cell.median_us
            results[impl] = {
                "status": cell.status,
                "median_us": None if median is None else round(median, 4),
                "ratio_to_floor": None if median is None or not floor_us else round(median / floor_us, 2),
                "evaluations_per_sample": cell.batch if median is not None else None,
                "reason": cell.reason or None,
            }
        ours = results[OURS]["ratio_to_floor"]
        target = TARGET_RATIO[condition.group]
        rows.append(
            {
                "key": condition.key,
                "title": condition.title,
                "group": condition.group,
                "target_ratio": target,
                "ours_meets_target": None if ours is None else ours <= target,
                "matches_timed_customer": timed_matches[condition.key],
                "results": results,
            }
        )
    return {
        "machine": machine_info(),
        "settings": settings,
        "versions": versions,
        "conditions": rows,
        "front_end": front_end,
    }


def print_table(report: dict[str, Any], cells: dict[str, dict[str, Cell]]) -> None:
    impls = list(IMPLEMENTATIONS)
    header = ["condition", "grp", "match", *impls, "target"]
    lines = []
    for row in report["conditions"]:
        floor_us = cells[row["key"]][FLOOR].median_us
        verdict = {True: "ok", False: "MISS", None: "?"}[row["ours_meets_target"]]
        lines.append(
            [
                row["key"],
                row["group"],
                "yes" if row["matches_timed_customer"] else "no",
                *(_format_cell(cells[row["key"]][impl], floor_us) for impl in impls),
                f"{row['target_ratio']:.0f}x {verdict}",
            ]
        )
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(" | ".join(header))
        for line in lines:
            print(" | ".join(line))
    else:
        table = Table(title="Stof evaluation: median µs per evaluation (ratio to the floor)")
        for name in header:
            table.add_column(name, justify="left" if name in ("condition", "grp") else "right")
        for line in lines:
            table.add_row(*line)
        Console(width=200).print(table)
    notes = {
        (impl, cell.reason)
        for row in cells.values()
        for impl, cell in row.items()
        if cell.status in ("n/a", "unavailable", "error")
    }
    for impl, reason in sorted(notes):
        print(f"  {impl}: {reason}")
    front = report["front_end"]
    if front["status"] == "ok":
        print(
            f"2 KB condition ({front['bytes']} bytes): compile {front['compile_ms']:.3f} ms (target <= 1 ms), "
            f"check {front['check_ms']:.3f} ms (target <= 2 ms)"
        )
    else:
        print(f"compile/check: {front['status']}: {front['reason']}")


def markdown_table(report: dict[str, Any]) -> str:
    """The results as the Markdown table of BENCHMARKS.md (µs per evaluation, ratio to the floor)."""
    impls = list(IMPLEMENTATIONS)
    versions = report["versions"]
    names = [
        impl if versions.get(impl) in ("-", "unavailable") else f"{impl} {versions[impl]}" for impl in impls
    ]
    lines = [
        "| condition | group | timed customer matches | " + " | ".join(names) + " | target (ours) |",
        "|---|---|---|" + "---:|" * len(impls) + "---|",
    ]
    for row in report["conditions"]:
        cells = []
        for impl in impls:
            result = row["results"][impl]
            if result["median_us"] is None:
                cells.append({"unavailable": "-", "wrong": "WRONG"}.get(result["status"], result["status"]))
            else:
                cells.append(f"{result['median_us']:.2f} ({result['ratio_to_floor']:.1f}x)")
        verdict = {True: "met", False: "MISSED", None: "not measured"}[row["ours_meets_target"]]
        matches = "yes" if row["matches_timed_customer"] else "no"
        lines.append(
            f"| {row['key']} | {row['group']} | {matches} | "
            + " | ".join(cells)
            + f" | {row['target_ratio']:.0f}x: {verdict} |"
        )
    return "\n".join(lines)


def profile_ours(key: str, customer: dict[str, Any], policy: Any, count: int) -> None:
    """Where ours spends its time on one condition: the generated Python, then cProfile's top entries."""
    import cProfile
    import pstats

    from segmentr.stof import compile as stof_compile

    source = next(c.source for c in SEED_CONDITIONS if c.key == key)
    print(getattr(stof_compile(source), "python_source", "(no python_source)"))
    evaluator = importlib.import_module("peers.ours").prepare(key)
    profiler = cProfile.Profile()
    profiler.runcall(_time_batch, evaluator, customer, policy, count)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (few rounds, short batches)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 31, quick 5)")
    parser.add_argument("--batch-ms", type=float, help="target time of one batch (default 4 ms, quick 1 ms)")
    parser.add_argument(
        "--stand-in-policy", action="store_true", help="use the stand-in even if segmentr.policy exists"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument(
        "--profile", metavar="KEY", help="profile ours on one condition instead of benchmarking"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 31)
    batch_ms = args.batch_ms or (1.0 if args.quick else 4.0)

    customers = make_customers()
    policy, policy_engine = make_policy(customers, prefer_real=not args.stand_in_policy)
    if args.profile:
        profile_ours(args.profile, customers[TIMED_CUSTOMER_ID], policy, count=20_000)
        return 0
    cells, versions, problems = build_cells(SEED_CONDITIONS, customers, policy)
    for problem in problems:
        print(f"CHECK: {problem}", file=sys.stderr)

    timed_customer = customers[TIMED_CUSTOMER_ID]
    floor_evaluators = {c.key: cells[c.key][FLOOR].evaluator for c in SEED_CONDITIONS}
    timed_matches = {key: _decide(ev, timed_customer, policy) for key, ev in floor_evaluators.items() if ev}
    started = time.perf_counter()
    run_timings(cells, timed_customer, policy, rounds, batch_ms * 1e6)
    front_end = time_front_end(repeats=20 if args.quick else 200)
    settings = {
        "rounds": rounds,
        "batch_ms": batch_ms,
        "timed_customer": TIMED_CUSTOMER_ID,
        "verification_customers": sorted(customers),
        "policy_engine": policy_engine,
        "seconds": round(time.perf_counter() - started, 1),
        "quick": args.quick,
    }
    report = build_report(SEED_CONDITIONS, cells, timed_matches, front_end, versions, settings)
    report["check_problems"] = problems
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report, cells)
    print(f"policy: {policy_engine}; {rounds} rounds; results in {args.output}")
    if args.markdown:
        print(markdown_table(report))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
