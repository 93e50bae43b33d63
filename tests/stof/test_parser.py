"""Parser: the conformance corpus's accept/reject split, the AST shapes of each grammar feature, and error positions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segmentr.stof.errors import StofSyntaxError
from segmentr.stof.parser import parse

CORPUS = Path("/work/shared/conformance/stof/cases.json")
CASES = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"] if CORPUS.exists() else []


@pytest.mark.skipif(not CASES, reason="conformance corpus not available")
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_conformance_case_parses_exactly_when_the_reference_does(case: dict) -> None:
    if case["expect"] == {"error": "parse"}:
        with pytest.raises(StofSyntaxError):
            parse(case["src"])
    else:
        parse(case["src"])
