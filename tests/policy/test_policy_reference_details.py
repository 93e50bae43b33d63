"""Policy engine details read in the reference Limitr 0.7.0 source (src/spec/limitr.stof): create_customer with a
plan the policy lacks, alt ids in metering calls and reads, the percent read on limits of 0 in every mode, plan
changes against the resolved plan. Our own scenarios (corpora/reference_details.json, the shared corpus's format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from segmentr.policy.conformance import run_scenario

CORPUS = Path(__file__).parent / "corpora" / "reference_details.json"
SCENARIOS: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))["scenarios"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    failures = [r for r in run_scenario(scenario) if not r.passed]
    assert not failures, [(f.index, f.op, f.args, f.expected, f.actual, f.error) for f in failures]
