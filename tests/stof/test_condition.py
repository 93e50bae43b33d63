"""``Condition``: bindings, membership, error positions, mutation safety, the compile cache."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import pytest

import segmentr.stof as stof
from segmentr.stof import VOID, StofRuntimeError, StofSyntaxError


class Policy:
    """A host object with the Limitr arities, answering from a dict."""

    stof_methods: ClassVar[dict[str, tuple[int, int]]] = {"value": (2, 4), "entitlement": (2, 2)}

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.calls = 0

    def value(self, customer_id: str, name: str, percent: bool = False, grants: Any = None) -> Any:
        self.calls += 1
        return self.values.get(name)

    def entitlement(self, customer_id: str, name: str) -> Any:
        return {"limit": {"mode": "soft"}, "items": [1, 2]}


CUSTOMER = {"id": "cus_1", "plan": "growth", "type": "org", "metadata": {"tier": "pilot"}, "meters": {}}


def test_evaluate_returns_the_stof_value_and_matches_its_truthiness() -> None:
    condition = stof.compile('customer.plan == "growth" && data.tier == "pilot"')
    assert condition.evaluate({"customer": CUSTOMER}) is True
    assert condition.matches({"customer": CUSTOMER})
    assert not condition.matches({"customer": {**CUSTOMER, "plan": "free"}})


def test_void_and_null_never_match() -> None:
    assert stof.compile("let x = 1;").evaluate({}) is VOID
    assert not stof.compile("let x = 1;").matches({})
    assert not stof.compile("customer.missing").matches({"customer": CUSTOMER})


def test_missing_bindings_are_null_and_data_can_be_given() -> None:
    assert stof.compile("customer == null && policy == null").evaluate({}) is True
    assert stof.compile("data.x").evaluate({"customer": CUSTOMER, "data": {"x": 5}}) == 5


def test_policy_host_object_calls() -> None:
    policy = Policy({"seats": 25})
    condition = stof.compile('(?policy.value(customer.id, "seats") ?? 0) > 20')
    assert condition.matches({"customer": CUSTOMER, "policy": policy})
    assert stof.compile("?policy.nope(1)").evaluate({"policy": policy}) is None
    with pytest.raises(StofRuntimeError) as info:
        stof.compile("policy.value(1)").evaluate({"policy": policy})
    assert info.value.kind == "FuncArgs"


def test_runtime_errors_carry_the_failing_line() -> None:
    condition = stof.compile("const a = 1;\nconst b = 2;\nnull.len()")
    with pytest.raises(StofRuntimeError) as info:
        condition.evaluate({})
    assert info.value.kind == "FuncDne"
    assert info.value.line == 3
    assert "at 3:" in str(info.value)


def test_overage_template_fails_on_missing_meters_as_the_reference_does() -> None:
    overage = stof.compile("for (const field in customer.meters.fields()) { return true; }\nfalse")
    with pytest.raises(StofRuntimeError):
        overage.evaluate({"customer": {"id": "x"}})
    assert overage.evaluate({"customer": CUSTOMER}) is False


def test_parse_errors_raise_syntax_error() -> None:
    with pytest.raises(StofSyntaxError):
        stof.compile("customer.plan ==")


def test_mutating_body_never_changes_the_callers_data() -> None:
    customer = copy.deepcopy(CUSTOMER)
    customer["tags"] = ["a"]
    condition = stof.compile("customer.tags.push_back('b');\ndata.tier = 'x';\ncustomer.tags.len()")
    assert condition.mutates
    assert condition.evaluate({"customer": customer}) == 2
    assert customer == {**CUSTOMER, "tags": ["a"]}


def test_mutating_a_host_result_does_not_reach_the_host() -> None:
    policy = Policy({})
    condition = stof.compile(
        "const e = policy.entitlement('c', 'api');\ne.items.push_back(3);\ne.items.len()"
    )
    assert condition.evaluate({"policy": policy}) == 3
    assert condition.evaluate({"policy": policy}) == 3


def test_read_only_conditions_do_not_copy() -> None:
    assert not stof.compile('customer.plan == "growth"').mutates


def test_compile_is_cached_by_source() -> None:
    assert stof.compile("1 + 1") is stof.compile("1 + 1")


def test_python_source_is_one_function_without_user_code() -> None:
    condition = stof.compile("customer.plan == \"__import__('os')\"")
    source = condition.python_source
    assert source.startswith("def _condition(")
    assert "'__import__(\\'os\\')'" in source or "\"__import__('os')\"" in source
