"""Stof standard-library and parser details read in the Stof 0.9.21 source (List.join's separator, what
mutating list methods give, min/max with nulls, typeof of a host method, try/catch): our own corpus-style
cases (corpora/reference_details.json, the shared corpus's format), each run on both execution tiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from segmentr.stof import conformance, parse
from segmentr.stof.condition import Condition
from segmentr.stof.conformance import load_cases, run_case

CASES: list[dict[str, Any]] = load_cases(Path(__file__).parent / "corpora" / "reference_details.json")


def closure_tier(source: str) -> Condition:
    condition = Condition(source, parse(source), promote_after=None)
    assert not condition.optimized
    return condition


def generated_tier(source: str) -> Condition:
    return Condition(source, parse(source)).optimize()


@pytest.mark.parametrize("tier", [closure_tier, generated_tier], ids=["closures", "generated"])
@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any], tier: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conformance, "compile_condition", tier)
    result = run_case(case)
    assert result.passed, result.describe()
