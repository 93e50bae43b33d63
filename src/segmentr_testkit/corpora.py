"""Where the shared conformance corpora are: ``../shared/conformance`` beside the repository's root.

Loading a corpus that is not there raises ``CorpusMissing``, so a test module that reads one fails to collect
instead of passing with its cases skipped.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = Path(os.environ.get("SEGMENTR_SHARED_DIR") or REPO_ROOT.parent / "shared")
BENCH_DIR = REPO_ROOT / "bench"
STOF_CASES = SHARED_DIR / "conformance" / "stof" / "cases.json"
POLICY_SCENARIOS = SHARED_DIR / "conformance" / "policy" / "scenarios.json"


class CorpusMissing(FileNotFoundError):
    """A conformance corpus is not where the repository expects it."""


def load_corpus(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CorpusMissing(f"conformance corpus not found: {path} (the shared folder belongs beside the "
                            f"repository, at {SHARED_DIR}; SEGMENTR_SHARED_DIR names another place)")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def stof_cases() -> list[dict[str, Any]]:
    """The Stof corpus's cases (conformance/stof/cases.json)."""
    cases: list[dict[str, Any]] = load_corpus(STOF_CASES)["cases"]
    return cases


def policy_scenarios() -> list[dict[str, Any]]:
    """The policy corpus's scenarios (conformance/policy/scenarios.json)."""
    scenarios: list[dict[str, Any]] = load_corpus(POLICY_SCENARIOS)["scenarios"]
    return scenarios


def bench_module(name: str) -> ModuleType:
    """A module of ``bench/`` (the benchmarks run as scripts from there, so they import each other by name)."""
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    return importlib.import_module(name)


__all__ = ["BENCH_DIR", "POLICY_SCENARIOS", "REPO_ROOT", "SHARED_DIR", "STOF_CASES", "CorpusMissing",
           "bench_module", "load_corpus", "policy_scenarios", "stof_cases"]
