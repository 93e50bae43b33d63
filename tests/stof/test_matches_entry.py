"""`Condition.matches`, on the closure tier's entry and on the generated `_matches`: it must answer exactly what
`evaluate` + truthiness answers (values, errors and their positions), read its bindings the same way, and honour
the budget."""

from __future__ import annotations

from typing import Any

import pytest

from segmentr.stof import StofBudgetExceeded, StofRuntimeError, StofSyntaxError, compile, parse
from segmentr.stof.condition import Condition
from segmentr.stof.conformance import decode_env
from segmentr.stof.ops import truthy
from segmentr_testkit.corpora import stof_cases

CASES: list[dict[str, Any]] = stof_cases()  # fails to collect when the corpus is missing
TIERS = ["closures", "generated"]


def compile_in(tier: str, source: str) -> Condition:
    """A fresh condition in the closure tier it starts in, or promoted to the generated code."""
    condition = Condition(source, parse(source), promote_after=None)
    return condition.optimize() if tier == "generated" else condition


def _bindings(case: dict[str, Any]) -> dict[str, Any]:
    env = case.get("env") or {}
    return {"customer": decode_env(env.get("customer")), "policy": decode_env(env.get("policy"))}


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "value", run()
    except StofRuntimeError as error:
        return type(error).__name__, (error.kind, str(error), error.line, error.column)


@pytest.mark.parametrize("tier", TIERS)
def test_matches_agrees_with_evaluate_on_every_corpus_case(tier: str) -> None:
    compared = 0
    for case in CASES:
        try:
            condition = compile_in(tier, case["src"])
        except StofSyntaxError:
            continue
        by_entry = _outcome(lambda c=condition, k=case: c.matches(_bindings(k)))
        by_value = _outcome(lambda c=condition, k=case: truthy(c.evaluate(_bindings(k))))
        by_customer = _outcome(lambda c=condition, k=case: c.matches_customer(*_bindings(k).values()))
        assert by_entry == by_value == by_customer, case["id"]
        compared += 1
    assert compared > 800


def test_the_entry_is_the_generated_function_itself() -> None:
    condition = compile('customer.plan == "growth"').optimize()  # promoted to the generated tier
    assert condition.matches.__name__ == "_matches"
    assert condition.matches({"customer": {"plan": "growth"}}) is True
    assert condition.matches({"customer": {"plan": "free"}}) is False
    assert condition.matches({}) is False


@pytest.mark.parametrize("tier", TIERS)
def test_data_defaults_to_the_customers_metadata_and_an_explicit_binding_wins(tier: str) -> None:
    condition = compile_in(tier, "data.pilot == true")
    customer = {"metadata": {"pilot": True}}
    assert condition.matches({"customer": customer}) is True
    assert condition.matches({"customer": customer, "data": {"pilot": False}}) is False
    assert condition.matches({"customer": customer, "data": None}) is False


@pytest.mark.parametrize("tier", TIERS)
def test_every_return_answers_with_its_truthiness_and_block_expressions_keep_their_values(tier: str) -> None:
    condition = compile_in(
        tier,
        "const bonus = { if (customer.plan == 'growth') { return 2; } return 0; };\n"
        "if (bonus > 1) { return 0.4; }\n"
        "data.score",
    )
    growth = {"plan": "growth", "metadata": {"score": 3}}
    assert condition.evaluate({"customer": growth}) == 0.4
    assert condition.matches({"customer": growth}) is False  # 0.4 rounds to 0: false
    assert condition.matches({"customer": {"plan": "free", "metadata": {"score": 3}}}) is True
    assert condition.matches({"customer": {"plan": "free", "metadata": {"score": ""}}}) is False


@pytest.mark.parametrize("tier", TIERS)
def test_runtime_errors_keep_their_stof_position(tier: str) -> None:
    condition = compile_in(tier, "const x = 1;\nx + customer.plan.len() / 0 > 1")
    with pytest.raises(StofRuntimeError) as raised:
        condition.matches({"customer": {"plan": "abc"}})
    assert (raised.value.line, raised.value.column) == (2, 5)


@pytest.mark.parametrize("tier", TIERS)
def test_the_budget_applies_and_follows_the_conditions_limits(tier: str) -> None:
    condition = compile_in(tier, "let n = 0; while (true) { n += 1; } n")
    with pytest.raises(StofBudgetExceeded):
        condition.matches({})
    counting = compile_in(tier, "let n = 0; for (const i in 1000) { n += 1; } n > 0")
    assert counting.matches({}) is True
    counting.max_steps = 100
    with pytest.raises(StofBudgetExceeded):
        counting.matches({})


@pytest.mark.parametrize("tier", TIERS)
def test_a_body_that_changes_its_values_works_on_a_copy(tier: str) -> None:
    condition = compile_in(tier, "data.tags.push_back('x'); data.tags.len() > 1")
    metadata = {"tags": ["a"]}
    assert condition.matches({"customer": {"metadata": metadata}}) is True
    assert metadata == {"tags": ["a"]}


@pytest.mark.parametrize("tier", TIERS)
def test_matches_customer_takes_the_customer_the_policy_and_optionally_data(tier: str) -> None:
    condition = compile_in(tier, 'customer.plan == "growth" && data.pilot == true')
    customer = {"plan": "growth", "metadata": {"pilot": True}}
    assert condition.matches_customer(customer) is True
    assert condition.matches_customer(customer, None, {"pilot": False}) is False
    assert condition.matches_customer({"plan": "growth"}, None, {"pilot": True}) is True
    assert condition.matches_customer(None) is False
    if tier == "generated":
        assert condition.matches_customer.__name__ == "_matches_customer"


def test_an_entry_kept_from_the_closure_tier_hands_calls_on_after_promotion() -> None:
    condition = compile_in("closures", 'customer.plan == "growth" && data.pilot == true')
    kept_customer, kept_bindings = condition.matches_customer, condition.matches
    customer = {"plan": "growth", "metadata": {"pilot": True}}
    condition.optimize()
    assert kept_customer(customer) is True  # no data given: the customer's metadata, in either tier
    assert kept_customer(customer, None, {"pilot": False}) is False
    assert kept_bindings({"customer": customer}) is True
