"""The Stof shape matchers simple mode and pushdown share: literals, ``?metadata.get("key")``, ``Time.now() - N``."""

from __future__ import annotations

import pytest

from segmentr.segments.simple import NOT_LITERAL, literal_value, metadata_get_key, now_minus_amount
from segmentr.stof import nodes, parse


def expr(source: str) -> nodes.Expr:
    statement = parse(source).body[0]
    assert isinstance(statement, nodes.ExprStmt)
    return statement.expr


@pytest.mark.parametrize(("source", "value"), [
    ("null", None), ("true", True), ('"x"', "x"), ("5", 5), ("-5", -5), ("--5", 5), ("-2.5", -2.5), ("0.0", 0.0),
])  # fmt: skip
def test_literal_values(source: str, value: object) -> None:
    result = literal_value(expr(source))
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("source", ['-"x"', "-true", "customer.plan", "1 + 2", "7days"])
def test_not_literals(source: str) -> None:
    assert literal_value(expr(source)) is NOT_LITERAL


def test_metadata_get_key_needs_the_null_safe_call_on_metadata() -> None:
    assert metadata_get_key(expr('?customer.metadata.get("a-b")')) == "a-b"
    assert metadata_get_key(expr('customer.metadata.get("a-b")')) is None  # null metadata: an error, not null
    assert metadata_get_key(expr("?customer.metadata.get(5)")) is None
    assert metadata_get_key(expr('?customer.get("a")')) is None
    assert metadata_get_key(expr('?customer.metadata.get("a", "b")')) is None
    assert metadata_get_key(expr('?data.get("k")')) is None
    assert metadata_get_key(expr('?data.get("k")'), data_alias=True) == "k"


def test_now_minus_amount() -> None:
    amount = now_minus_amount(expr("(Time.now() - 7days as ms)"))
    assert amount is not None and (amount.value, amount.unit) == (7.0, "days")
    assert now_minus_amount(expr("Time.now() - 7days")) is None  # no cast: the value stays in days
    declared = now_minus_amount(expr("Time.now() - 3hours"), ms_cast_optional=True)
    assert declared is not None and declared.unit == "hr"
    assert now_minus_amount(expr("(Time.now() - 7days as s)")) is None
    assert now_minus_amount(expr("(Time.now() - 7 as ms)")) is None
    assert now_minus_amount(expr("(Time.now() + 7days as ms)")) is None
    assert now_minus_amount(expr("(Time.today() - 7days as ms)")) is None
