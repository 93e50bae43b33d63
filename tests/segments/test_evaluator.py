"""The evaluator: bindings (customer as is, data, a policy that reads this customer), errors as non-matches,
explanations, and the batch form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from segments_policy import CUSTOMERS, NOW_MS, make_policy

from segmentr.segments.evaluator import evaluate, evaluate_many
from segmentr.segments.templates import template
from segmentr.stof import StofSyntaxError, compile
from segmentr.stof.stdlib import set_clock


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    set_clock(lambda: float(NOW_MS))
    yield
    set_clock(None)


def test_binds_customer_data_and_a_policy_reading_this_customer() -> None:
    policy = make_policy()
    source = (
        'data.billing_tier == "custom" && customer.type == "org" && policy.value(customer.id, "seats") == 25'
    )
    result = evaluate(source, CUSTOMERS["carol"], policy)
    assert result.matched and result.value is True and result.error is None
    assert "truthy" in result.reason


def test_policy_reads_the_customer_given_not_the_documents() -> None:
    changed = {**CUSTOMERS["alice"], "id": "zed", "plan": "pro"}
    result = evaluate('policy.plan(customer.id) != null && customer.plan == "pro"', changed, make_policy())
    assert result.matched


def test_a_runtime_error_is_a_non_match_with_the_error() -> None:
    result = evaluate("customer.plan.nope()", CUSTOMERS["alice"], make_policy())
    assert not result.matched
    assert result.error is not None and "FuncDne" in result.error
    assert "failed" in result.reason


def test_an_exhausted_budget_is_a_non_match() -> None:
    result = evaluate("let i = 0;\nwhile (true) { i += 1; }\ntrue", CUSTOMERS["alice"], make_policy())
    assert not result.matched
    assert result.error is not None and "Budget" in result.error


def test_a_condition_that_does_not_parse_raises() -> None:
    with pytest.raises(StofSyntaxError):
        evaluate("customer.plan ==", CUSTOMERS["alice"], make_policy())


def test_explain_gives_the_trace_of_top_level_operands() -> None:
    result = evaluate('customer.plan == "free" && customer.type == "org"', CUSTOMERS["alice"], make_policy(),
                      explain=True)  # fmt: skip
    assert not result.matched
    assert result.trace is not None
    shown = [(step.source, step.value) for step in result.trace.steps]
    assert ('customer.plan == "free"', "true") in shown
    assert ('customer.type == "org"', "false") in shown


def test_explain_reports_the_error() -> None:
    result = evaluate(template("overage").code, CUSTOMERS["erin"], make_policy(), explain=True)
    assert not result.matched and result.error is not None and result.trace is not None


def test_evaluate_many_matches_evaluate_for_each_customer() -> None:
    policy = make_policy()
    for item in ("overage", "hard_limit_imminent", "negative_snapshot_margin", "metadata_tag"):
        code = template(item).code
        batch = list(evaluate_many(compile(code), list(CUSTOMERS.values()), policy))
        single = [(cid, evaluate(code, c, policy).matched) for cid, c in CUSTOMERS.items()]
        assert [(cid, matched) for cid, matched, _ in batch] == single
    errors = {
        cid: error
        for cid, _, error in evaluate_many(template("overage").code, list(CUSTOMERS.values()), policy)
    }
    assert errors["erin"] is not None and errors["alice"] is None


def test_the_callers_customer_is_never_changed() -> None:
    customer = {**CUSTOMERS["alice"], "metadata": {"tags": ["a"]}}
    evaluate("customer.metadata.tags.push_back('b');\ncustomer.plan = 'x';\ntrue", customer, make_policy())
    assert customer["metadata"] == {"tags": ["a"]} and customer["plan"] == "free"
