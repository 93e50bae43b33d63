"""The shared conformance corpora are found beside the repository, and a missing one fails loudly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from segmentr_testkit import corpora


def test_the_corpora_are_read_from_beside_the_repository() -> None:
    if "SEGMENTR_SHARED_DIR" not in os.environ:
        assert corpora.REPO_ROOT.parent / "shared" == corpora.SHARED_DIR
    assert corpora.stof_cases() and corpora.policy_scenarios()


def test_a_missing_corpus_raises_instead_of_giving_no_cases(tmp_path: Path) -> None:
    with pytest.raises(corpora.CorpusMissing, match="conformance corpus not found"):
        corpora.load_corpus(tmp_path / "absent.json")


def test_bench_modules_import_by_name() -> None:
    assert corpora.bench_module("fixtures").SEED_CONDITIONS
