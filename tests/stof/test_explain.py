"""``Condition.explain``: a trace of the top-level ``&&``/``||`` operands and ``if`` conditions."""

from __future__ import annotations

import segmentr.stof as stof

CUSTOMER = {"id": "c1", "plan": "growth", "type": "user", "metadata": {"tier": "pilot"}}


def test_each_top_level_operand_is_traced_with_position_text_and_value() -> None:
    condition = stof.compile('customer.plan == "growth" &&\ncustomer.type == "org"')
    explanation = condition.explain({"customer": CUSTOMER})
    assert explanation.matched is False and explanation.value is False and explanation.error is None
    assert [(s.line, s.column, s.source, s.value) for s in explanation.steps] == [
        (1, 1, 'customer.plan == "growth"', "true"),
        (2, 1, 'customer.type == "org"', "false"),
    ]


def test_short_circuit_skips_operands_in_the_trace() -> None:
    explanation = stof.compile('customer.plan == "free" && customer.type == "org"').explain(
        {"customer": CUSTOMER}
    )
    assert [s.source for s in explanation.steps] == ['customer.plan == "free"']


def test_if_conditions_are_traced() -> None:
    source = "if (data.tier == 'pilot') {\n  return true;\n}\nfalse"
    explanation = stof.compile(source).explain({"customer": CUSTOMER})
    assert explanation.matched
    assert [(s.source, s.value) for s in explanation.steps] == [("data.tier == 'pilot'", "true")]


def test_values_print_as_stof_prints_them_strings_quoted() -> None:
    explanation = stof.compile("customer.plan || false").explain({"customer": CUSTOMER})
    assert explanation.steps[0].value == '"growth"'


def test_errors_are_reported_not_raised() -> None:
    explanation = stof.compile("customer.plan == 'growth' && null.len() > 0").explain({"customer": CUSTOMER})
    assert explanation.matched is False
    assert explanation.error is not None and "FuncDne" in explanation.error
    assert len(explanation.steps) == 1


def test_explain_agrees_with_evaluate() -> None:
    condition = stof.compile("let n = 0;\nfor (const x in 3) { if (x > 0) n += 1; }\nn == 2 || false")
    assert condition.explain({}).value == condition.evaluate({}) is True
