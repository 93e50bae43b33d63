"""The reference Limitr engine's scenarios (conformance/policy): every step must pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segmentr.policy.conformance import main, run_scenario
from segmentr_testkit.corpora import POLICY_SCENARIOS, policy_scenarios

CORPUS = POLICY_SCENARIOS
SCENARIOS = policy_scenarios()  # fails to collect when the corpus is missing


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario: dict) -> None:
    failures = [r for r in run_scenario(scenario) if not r.passed]
    assert not failures, [(f.index, f.op, f.expected, f.actual, f.error) for f in failures]


def test_runner_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(CORPUS)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"{sum(len(s['steps']) for s in SCENARIOS)} passed, 0 failed"


def test_runner_reports_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = {"format": 1, "scenarios": [{"id": "x", "policy": {"credits": {}, "plans": {"p": {"default": True}}},
                                          "steps": [{"op": "create_customer", "args": ["u"], "expect": None,
                                                     "events": []}]}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(corpus))
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL x step 0" in out and out.strip().endswith("0 passed, 1 failed")
