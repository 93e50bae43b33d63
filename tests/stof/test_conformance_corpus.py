"""Every case of the shared Stof conformance corpus, one test each, run through the conformance runner on both
execution tiers: the closures a condition starts in, and the generated code it is promoted to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from segmentr.stof import conformance, parse
from segmentr.stof.condition import Condition
from segmentr.stof.conformance import CaseResult, encode_result, main, run_case, same
from segmentr_testkit.corpora import STOF_CASES, stof_cases

CORPUS = STOF_CASES
CASES: list[dict[str, Any]] = stof_cases()  # fails to collect when the corpus is missing


def closure_tier(source: str) -> Condition:
    """A condition that never leaves the closure tier (every corpus case can use it)."""
    condition = Condition(source, parse(source), promote_after=None)
    assert not condition.optimized
    return condition


def generated_tier(source: str) -> Condition:
    return Condition(source, parse(source)).optimize()


@pytest.mark.parametrize("tier", [closure_tier, generated_tier], ids=["closures", "generated"])
@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any], tier: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conformance, "compile_condition", tier)
    result: CaseResult = run_case(case)
    assert result.passed, result.describe()


def test_result_comparison_tells_int_from_float_and_ignores_object_key_order() -> None:
    assert not same(3, 3.0)
    assert not same(0.0, -0.0)
    assert same({"$obj": {"a": 1, "b": [1.5]}}, {"$obj": {"b": [1.5], "a": 1}})
    assert encode_result(float("inf")) == {"$float": "inf"}


def test_runner_reports_failures_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = {
        "cases": [
            {"id": "ok", "src": "1 + 2", "expect": 3, "truthy": True},
            {"id": "wrong", "src": "1 + 2", "expect": 3.0, "truthy": True},
            {
                "id": "policy",
                "src": "?policy.value('c', 'api') ?? 0",
                "env": {"policy": {"$policy": {"value": [[["c", "api"], 45]]}}},
                "expect": 45,
                "truthy": True,
            },
        ]
    }
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(corpus))
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL wrong" in out and "FAIL ok" not in out
    assert out.strip().splitlines()[-1] == "2 passed, 1 failed"
