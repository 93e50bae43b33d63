"""Runs policy conformance scenarios: `python -m segmentr.policy.conformance FILE...` (format: the corpus README)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Policy

SCENARIO_CLOCK_MS = 1_767_225_600_000  # 2026-01-01T00:00Z: scenarios never cross a reset
LIMIT_FIELDS = ("credit", "mode", "value", "increment", "resets", "reset_inc", "reset_sch", "minimum",
                "hard_trailing", "grants_apply")
_METER_KEYS = ("old", "value", "limit", "diff", "invalid", "overhead", "overhead_diff", "price_diff")
_METER_EXTRAS = ("remaining", "overage", "grant_value_applied", "overage_price", "invalid_value")


@dataclass
class StepResult:
    scenario: str
    index: int
    op: str
    args: list[Any]
    kwargs: dict[str, Any]
    expected: Any
    actual: Any
    expected_events: list[dict[str, Any]]
    actual_events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and same(self.expected, self.actual) and same(self.expected_events,
                                                                              self.actual_events)


def same(expected: Any, actual: Any) -> bool:
    """Structural equality with numbers compared at 1e-9 (the corpus writes 1000.0 as 1000)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(expected, actual, rel_tol=1e-12, abs_tol=1e-9)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(a, b) for a, b in zip(expected, actual))
    return bool(expected == actual)


def _limit_fields(limit: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if limit is None else {key: limit.get(key) for key in LIMIT_FIELDS}


def _customer_summary(customer: dict[str, Any] | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    grants: dict[str, list[float]] = {}
    for grant in customer["grants"].values():
        grants.setdefault(grant.get("topup") or grant["id"], []).append(round(grant["value"], 9))
    return {
        "id": customer["id"], "plan": customer["plan"], "type": customer["type"],
        "meters": {name: round(meter["value"], 9) for name, meter in customer["meters"].items()},
        "overrides": list(customer["overrides"]),
        "grants": grants,
    }


_RESULT_SHAPES: dict[str, Callable[[Any], Any]] = {
    "entitlement": lambda ent: None if ent is None else {"limit": _limit_fields(ent.get("limit"))},
    "limit_obj": _limit_fields,
    "create_customer_override": _limit_fields,
    "create_customer": lambda c: None if c is None else {"id": c["id"], "plan": c["plan"], "type": c["type"]},
    "customer": _customer_summary,
}


def summarize_event(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The key fields of an event, as the corpus records them."""
    entry: dict[str, Any] = {"name": name}
    if name.startswith("meter-"):
        entry.update(customer=payload["customer"], entitlement=payload["entitlement"], plan=payload["plan"])
        entry["meter"] = {k: payload["meter"][k] for k in _METER_KEYS if k in payload["meter"]}
        entry.update({k: payload[k] for k in _METER_EXTRAS if k in payload})
    elif name in ("customer-set", "customer-removed"):
        entry.update(customer=payload["id"], plan=payload["plan"])
    elif name == "customer-plan-changed":
        entry.update({k: payload[k] for k in ("customer", "previous_plan", "new_plan")})
    elif name == "customer-topup-granted":
        entry.update({k: payload[k] for k in ("customer", "topup_name", "plan_name")})
    return entry


def run_scenario(scenario: dict[str, Any]) -> Iterator[StepResult]:
    policy = Policy.from_document({"policy": scenario["policy"]}, clock=lambda: SCENARIO_CLOCK_MS)
    events: list[dict[str, Any]] = []
    policy.subscribe(lambda name, payload: events.append(summarize_event(name, payload)))
    for index, step in enumerate(scenario["steps"]):
        events.clear()
        result = StepResult(scenario["id"], index, step["op"], step.get("args", []), step.get("kwargs", {}),
                            step.get("expect"), None, step.get("events", []))
        try:
            actual = getattr(policy, step["op"])(*result.args, **result.kwargs)
            shape = _RESULT_SHAPES.get(step["op"])
            result.actual = shape(actual) if shape is not None else actual
        except Exception as error:  # a crash is a failed step, reported with the rest
            result.error = f"{type(error).__name__}: {error}"
        result.actual_events = list(events)
        yield result


def run_file(path: str | Path) -> list[StepResult]:
    corpus = json.loads(Path(path).read_text(encoding="utf-8"))
    return [result for scenario in corpus["scenarios"] for result in run_scenario(scenario)]


def _describe(result: StepResult) -> str:
    call = ", ".join([json.dumps(a) for a in result.args] + [f"{k}={json.dumps(v)}" for k, v in result.kwargs.items()])
    lines = [f"FAIL {result.scenario} step {result.index}: {result.op}({call})"]
    if result.error:
        lines.append(f"  error:    {result.error}")
    lines.append(f"  expected: {json.dumps(result.expected)}")
    lines.append(f"  actual:   {json.dumps(result.actual, default=str)}")
    if not same(result.expected_events, result.actual_events):
        lines.append(f"  expected events: {json.dumps(result.expected_events)}")
        lines.append(f"  actual events:   {json.dumps(result.actual_events, default=str)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m segmentr.policy.conformance FILE...", file=sys.stderr)
        return 2
    passed = failed = 0
    for path in paths:
        for result in run_file(path):
            if result.passed:
                passed += 1
            else:
                failed += 1
                print(_describe(result))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
