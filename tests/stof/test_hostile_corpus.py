"""Hostile conditions (catastrophic patterns, size bombs, sorts and products in loops, deep and wide values):
each ends, in both tiers, with a clean Stof error or no match, within 8x the wall budget and with peak memory
growth under 100 MB. The corpus runs in one child process (its peak RSS is its own; one process keeps it fast).

Run this file as a script to see the table: ``python tests/stof/test_hostile_corpus.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

WALL_BUDGET = 0.25
WALL_BOUND = 8 * WALL_BUDGET
MEMORY_BOUND_MB = 100

_NESTED = "let a = [s,s,s,s,s,s,s,s,s,s]; let b = [a,a,a,a,a,a,a,a,a,a]; let k = [b,b,b,b,b,b,b,b,b,b];"
_NESTED_LIST = _NESTED.replace("[s,", "[l,").replace(",s]", ",l]").replace(",s,", ",l,")

# name -> source; every one must end with a Stof error or a falsy value
CASES: dict[str, str] = {
    # regular expressions (issue: seconds to minutes on a backtracking engine)
    "regex-alternation-star": '(?customer.email.matches("^(a|a)*@") ?? false)',
    "regex-adjacent-repeats": 'customer.long_a.matches("a*a*a*a*a*a*a*a*b")',
    "regex-nested-repeats": 'customer.long_a.matches("^(a+)+$") && false',
    "regex-email-on-32k": 'customer.email32k.matches("[a-z0-9.-]+\\\\.[a-z]{2,}$")',
    "regex-in-loop": 'loop { let m = customer.long_a.matches("(a|aa)*c"); } true',
    "regex-find-all-in-loop": 'loop { let m = customer.long_a.find_matches("a"); } true',
    "regex-backreference": 'customer.email.matches("(a)\\\\1")',
    "regex-lookahead": 'customer.email.matches("a(?=b)")',
    "regex-too-long": 'customer.email.matches("' + "a" * 300 + '")',
    # work charged by size, in loops
    "list-product-loop": "let l = customer.big; loop { let x = l * l; } true",
    "list-union-loop": "let l = customer.big; loop { let x = l / l; } true",
    "sort-loop": "let l = customer.big; loop { l.sort(); } true",
    "str-of-list-loop": "let l = customer.mid; loop { let x = str(l); } true",
    "join-loop": "let l = customer.mid; loop { let x = l.join(','); } true",
    "concat-list-loop": "let l = customer.mid; loop { let x = l + l; } true",
    "copy-loop": "let l = customer.big; loop { let c = copy(l); } true",
    "compare-loop": "let l = customer.big; let m = customer.big2; loop { let e = l == m; } true",
    "compare-ge-loop": "let l = customer.big; let m = customer.big2; loop { let e = l >= m; } true",
    "contains-loop": "let l = customer.big; loop { let c = l.contains(-1); } true",
    "set-of-list-loop": "let l = customer.big; loop { let s = set(l); } true",
    "upper-loop": "let s = customer.s; loop { let u = s.upper(); } true",
    "substring-loop": "let s = customer.s; loop { let u = s.substring(1, 900000); } true",
    "split-loop": "let s = customer.commas; loop { let p = s.split(','); } true",
    "replace-loop": "let s = customer.s; loop { let u = s.replace('x', 'y'); } true",
    "str-of-object-loop": "let o = customer.wide; loop { let t = str(o); } true",
    "fields-loop": "let o = customer.wide; loop { let f = o.fields(); } true",
    "for-in-wide-object": "let n = 0; for (const f in customer.wide) { n += 1; } n < 0",
    "for-in-unicode-text": "let n = 0; for (const c in customer.unicode) { n += 1; } n < 0",
    # memory: refuse before building (shared references counted by what they expand to)
    "str-of-nested-references": "let s = customer.s; " + _NESTED + " str(k).len() < 0",
    "concat-nested-references": "let s = customer.s; " + _NESTED + ' ("" + k).len() < 0',
    "str-one-level-more": "let s = customer.s; " + _NESTED + " let m = [k,k,k,k,k,k,k,k,k,k]; str(m).len() < 0",
    "join-nested-references": "let s = customer.s; " + _NESTED + " k.join('').len() < 0",
    "compare-nested-references": "let l = customer.big; " + _NESTED_LIST + " let j = [b,b,b,b,b,b,b,b,b,b]; k == j",
    "set-of-nested-references": "let l = customer.big; " + _NESTED_LIST + " set(k).len() < 0",
    "repeat-bomb": "let s = customer.s; loop { s = s * 2; } true",
    "doubling-string": "let s = 'ab'; loop { s = s + s; } true",
    "doubling-list": "let l = [1, 2]; loop { l = l + l; } true",
    "repeat-huge-count": "let s = 'ab'; (s * 1000000000000).len() < 0",
    # deep structures and plain step exhaustion
    "deep-nesting-printed": "let x = []; loop { x = [x]; let t = str(x); } true",
    "deep-nesting-compared": "let x = []; let y = []; loop { x = [x]; y = [y]; let e = x == y; } true",
    "endless-loop": "loop {} true",
    "nested-loops": "let n = 0; while (true) { for (const i in 100000) { n += 1; } } true",
}


def _bindings() -> dict[str, Any]:
    big = list(range(99_999))
    return {
        "customer": {
            "email": "a" * 36 + "!",
            "long_a": "a" * 99_000,
            "email32k": "a" * 32_000 + "@",
            "big": big,
            "big2": list(big),
            "mid": list(range(20_000)),
            "s": "x" * 1_000_000,
            "commas": "a," * 49_000,
            "unicode": "é" * 200_000,
            "wide": {f"field{i}": i for i in range(50_000)},
        }
    }


def _run_corpus() -> list[dict[str, Any]]:
    """In the child: every case in both tiers, with its time, outcome and the peak RSS growth so far."""
    import resource
    import time

    from segmentr.stof import Condition, StofError, parse

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    bindings = _bindings()
    Condition("1 + 1", parse("1 + 1")).optimize().evaluate({})  # imports and caches warm
    baseline = peak_mb()
    rows = []
    for name, source in CASES.items():
        for tier in ("closures", "generated"):
            condition = Condition(source, parse(source), promote_after=None)
            if tier == "generated":
                condition.optimize()
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                value = condition.evaluate(bindings)
                outcome = "value"
                detail = repr(value)[:80]
                falsy = not condition.matches(bindings) if outcome == "value" else True
            except StofError as error:
                outcome, detail, falsy = type(error).__name__, str(error)[:160], True
            except BaseException as error:  # anything else is a defect: reported, never raised here
                outcome, detail, falsy = "LEAK " + type(error).__name__, str(error)[:160], False
            rows.append(
                {
                    "case": name,
                    "tier": tier,
                    "seconds": time.perf_counter() - started,
                    "cpu_seconds": time.process_time() - cpu_started,
                    "outcome": outcome,
                    "detail": detail,
                    "falsy": falsy,
                    "growth_mb": peak_mb() - baseline,
                }
            )
    return rows


def run_in_child() -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, __file__, "--json"], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return run_in_child()


def test_every_hostile_case_ends_cleanly_in_time_and_memory_in_both_tiers(rows: list[dict[str, Any]]) -> None:
    assert len(rows) == 2 * len(CASES)
    problems = []
    for row in rows:
        where = f"{row['case']} ({row['tier']}): {row['outcome']} {row['detail']}"
        if row["outcome"].startswith("LEAK"):
            problems.append(f"not a Stof error: {where}")
        if row["outcome"] == "StofError" or (row["outcome"] == "value" and not row["falsy"]):
            problems.append(f"neither a runtime error nor a no-match: {where}")
        # On a shared machine the wall time includes what the OS gave other processes: when this one had the
        # CPU for less than half of it, the bound applies to the time it ran (its CPU time).
        spent = row["seconds"] if row["cpu_seconds"] >= row["seconds"] / 2 else row["cpu_seconds"]
        if spent > WALL_BOUND:
            problems.append(f"{row['seconds']:.2f}s (CPU {row['cpu_seconds']:.2f}s) > {WALL_BOUND}s: {where}")
        if row["growth_mb"] > MEMORY_BOUND_MB:
            problems.append(f"peak memory +{row['growth_mb']:.0f} MB: {where}")
    assert not problems, "\n".join(problems)


def test_both_tiers_end_the_same_way(rows: list[dict[str, Any]]) -> None:
    by_case: dict[str, dict[str, tuple[str, str]]] = {}
    for row in rows:
        # budget errors name the budget that ran out first; which one (time or steps) may differ by tier
        kind = row["detail"].split(" at ")[0] if row["outcome"] != "StofBudgetExceeded" else "budget"
        by_case.setdefault(row["case"], {})[row["tier"]] = (row["outcome"], kind)
    differing = {case: tiers for case, tiers in by_case.items() if tiers["closures"] != tiers["generated"]}
    assert not differing


if __name__ == "__main__":
    table = _run_corpus()
    if "--json" in sys.argv:
        print(json.dumps(table))
    else:
        for row in table:
            print(
                f"{row['case']:28} {row['tier']:9} {row['seconds']:6.3f}s (CPU {row['cpu_seconds']:6.3f}s)"
                f" +{row['growth_mb']:5.1f}MB "
                f"{row['outcome']}: {row['detail']}"
            )
