"""Validation on save: every problem at once, positions of syntax errors, simple rows vs condition; warnings
returned, not blocking."""

from __future__ import annotations

import pytest

from segmentr.segments.model import PlanRow
from segmentr.segments.simple import to_stof
from segmentr.segments.validation import SegmentValidationError, segment_problems, validate_segment


def test_a_valid_advanced_segment_passes() -> None:
    assert validate_segment("Growth", None, 'customer.plan == "growth"', "advanced", None) == []


def test_a_valid_simple_segment_passes() -> None:
    rows = [{"type": "plan", "op": "in", "value": ["growth", "enterprise"]}]
    condition = to_stof([PlanRow(op="in", value=["growth", "enterprise"])])
    validate_segment("Paid", "desc", condition, "simple", rows)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SegmentValidationError) as caught:
        validate_segment("", "d", "customer.plan ==\n", "sideways", None)
    fields = {problem.field for problem in caught.value.problems}
    assert {"name", "condition", "mode"} <= fields


def test_syntax_errors_carry_line_and_column() -> None:
    problems, _ = segment_problems(
        "X", None, 'customer.plan == "a" &&\n  customer.type == ', "advanced", None
    )
    syntax = [p for p in problems if p.field == "condition"]
    assert syntax and syntax[0].line == 2 and syntax[0].column is not None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("x" * 121, "120"), ("   ", "blank"), (" padded", "whitespace"), ("tab\there", "control")],
)
def test_name_rules(name: str, fragment: str) -> None:
    problems, _ = segment_problems(name, None, "true", "advanced", None)
    assert any(p.field == "name" and fragment in p.message for p in problems)


def test_condition_is_at_most_64_kib() -> None:
    big = "true || " * 9000 + "true"
    problems, _ = segment_problems("Big", None, big, "advanced", None)
    assert any(p.field == "condition" and "64 KiB" in p.message for p in problems)


def test_simple_rows_must_generate_the_condition() -> None:
    rows = [{"type": "plan", "op": "==", "value": "growth"}]
    problems, _ = segment_problems("S", None, 'customer.plan == "free"', "simple", rows)
    assert any(p.field == "simple" for p in problems)
    problems, _ = segment_problems("S", None, '(?policy.value(customer.id, "x") ?? 0) > 1', "simple", rows)
    assert any("policy call" in p.message for p in problems)
    problems, _ = segment_problems("S", None, 'customer.plan == "growth"', "advanced", rows)
    assert any(p.field == "simple" for p in problems)


def test_bad_rows_are_problems() -> None:
    rows = [{"type": "metadata", "key": "", "op": ">", "value": "5"}]
    problems, _ = segment_problems("S", None, "true", "simple", rows)
    assert any(p.field == "simple" for p in problems)


def test_warnings_do_not_block() -> None:
    # a unit suffix Stof does not know: the checker warns, the save goes through
    warnings = validate_segment("W", None, "customer.cloud_created > 2h", "advanced", None)
    assert all(w.severity == "warning" for w in warnings)


def test_a_nul_character_is_refused_in_the_condition_and_the_description() -> None:
    problems, _ = segment_problems("N", "a\x00b", 'customer.plan == "a\x00"', "advanced", None)
    refused = {p.field for p in problems if "NUL character" in p.message}
    assert refused == {"condition", "description"}
