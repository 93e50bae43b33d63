"""Stof operators (stof.md §4, §6): truthiness, equality, ordering, arithmetic with null/units/strings/bools."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentr.stof import ops
from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.values import VOID, StofMap, StofSet, Units

U = Units


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False), (VOID, False), (False, False), (True, True), (0, False), (-1, True), (0.4, False),
        (-0.4, False), (0.5, True), (0.49999, False), (0.25, False), (math.nan, True), ("", False), (" ", True),
        ("0", True), ("null", True), ([], True), ((), True), ({}, True), (StofMap(), True), (StofSet(), True),
        (U(0.4, "days"), False), (U(1, "ms"), True),
    ],
)  # fmt: skip
def test_truthy(value: Any, expected: bool) -> None:
    assert ops.truthy(value) is expected
    assert ops.not_(value) is (not expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1", 1, False), (1, 1.0, True), (1, True, False), (None, None, True), (None, False, False),
        (None, 0, False), (U(7, "days"), U(604800000, "ms"), True), (U(1, "days"), U(24, "hr"), True),
        (U(10, "kg"), 10, True), (U(1, "days"), 86400000, False), (1000, U(1, "s"), False),
        ([1, 2], [1, 2.0], True), ([1, 2], (1, 2), False), ("abc", "abc", True), (VOID, None, False),
        (StofMap([("a", 1), ("b", 2)]), StofMap([("b", 2), ("a", 1)]), True),
        (9007199254740993, 9007199254740992.0, True),
    ],
)  # fmt: skip
def test_eq(a: Any, b: Any, expected: bool) -> None:
    assert ops.eq(a, b) is expected
    assert ops.ne(a, b) is (not expected)


def test_objects_compare_by_identity() -> None:
    meters = {"a": 1}
    assert ops.eq(meters, meters)
    assert not ops.eq(meters, {"a": 1})


@pytest.mark.parametrize(
    ("a", "b", "lt", "gt"),
    [
        (True, 0, False, True), (2, True, False, True), ("b", "a", False, True), ("B", "a", True, False),
        ("10", "9", True, False), ("5", 3, False, False), (3, "5", False, False), (None, 1, True, False),
        (None, -5, True, False), (None, None, True, False), (1, None, False, False), ([1], 0, True, False),
        (U(1, "days"), None, False, False), (U(5, "s"), U(4999, "ms"), False, True), (5000, U(1, "s"), False, True),
        (U(1, "days"), 1, False, False), (U(1, "hr"), 2, True, False), (U(100, "ms"), U(0.05, "s"), False, True),
        (U(1, "GB"), U(999, "MB"), False, True), (StofMap([(1, 1)]), StofMap(), False, True),
    ],
)  # fmt: skip
def test_ordering(a: Any, b: Any, lt: bool, gt: bool) -> None:
    assert ops.lt(a, b) is lt
    assert ops.gt(a, b) is gt
    assert ops.le(a, b) is (lt or ops.eq(a, b))
    assert ops.ge(a, b) is (gt or ops.eq(a, b))


def test_null_ordering_surprises() -> None:
    assert ops.le(None, 5) and ops.ge(None, None) and not ops.ge(None, 5)
    # 1KB < 1MB < 1GB: (true) < 1GB compares 1 with 1 (bool as int vs the unit magnitude)
    assert not ops.lt(ops.lt(U(1, "KB"), U(1, "MB")), U(1, "GB"))


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        (ops.div, 7, -2, -3), (ops.div, 7.0, 2, 3.5), (ops.div, 1, 3, 0), (ops.mod, 7, 3, 1), (ops.mod, -7, 3, -1),
        (ops.mod, 7, -3, 1), (ops.mod, 7.5, 2, 1.5), (ops.mod, -7.5, 2, -1.5), (ops.mod, 10, 2.5, 0.0),
        (ops.div, -1.0, 0, -math.inf), (ops.mul, 2, 3.0, 6.0), (ops.mul, 100, 1.1, 110.00000000000001),
        (ops.add, 9223372036854775807, 1, -9223372036854775808), (ops.sub, 0, 0.0, 0.0),
        (ops.add, None, 1, 1), (ops.sub, None, 1, 1), (ops.mul, None, 5, 5), (ops.div, None, 2, 2),
        (ops.mod, None, 3, 3), (ops.add, "a", None, "a"), (ops.add, None, None, None),
        (ops.add, True, False, False), (ops.add, True, True, True), (ops.add, True, 1, 2),
        (ops.sub, True, False, True), (ops.mul, False, True, True),
    ],
)  # fmt: skip
def test_arithmetic(op: Any, a: Any, b: Any, expected: Any) -> None:
    result = op(a, b)
    assert result == expected and type(result) is type(expected)


def test_nan_and_negative_zero() -> None:
    assert math.isnan(ops.div(0.0, 0))
    assert math.copysign(1.0, ops.neg(0.0)) == -1.0
    assert ops.neg(None) == -1


@pytest.mark.parametrize(
    ("a", "b"), [(1, 0), (5, "a"), (False, 3), ([1, "a"], "a"), ({"a": 1}, 1), (-(2**63), -1)]
)
def test_errors(a: Any, b: Any) -> None:
    op = ops.div if type(a) is int and type(b) is int else ops.sub if b == "a" else ops.mul
    with pytest.raises(StofRuntimeError):
        op(a, b)


def test_integer_division_by_zero_kind() -> None:
    with pytest.raises(StofRuntimeError) as info:
        ops.mod(1, 0)
    assert info.value.kind == "DivideByZero"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("a", 1, "a1"), ("a", 1.5, "a1.5"), ("a", 2.0, "a2"), ("a", True, "atrue"), (1, "2", 3), (1, "x", "1x"),
        ("1", 2, "12"), (1.5, "2", 3.5), ("x", [1, 2], "x[1, 2]"), ("x", StofMap([("a", 1)]), 'x{("a" -> 1)}'),
        ("v", U(3, "days"), "v3days"), ("'", "", "'"),
    ],
)  # fmt: skip
def test_string_concatenation(a: Any, b: Any, expected: Any) -> None:
    assert ops.add(a, b) == expected


def test_string_operators() -> None:
    assert ops.mul("ab", 3) == "ababab"
    assert ops.mul("5", 2) == "55"
    assert ops.sub("hello", "l") == "heo"
    assert ops.sub("a1b1", 1) == "ab"
    assert ops.div("a,b,c", ",") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        (ops.add, U(30, "s"), U(500, "ms"), U(30.5, "s")), (ops.add, U(1, "days"), 1, U(2, "days")),
        (ops.mul, U(2, "days"), 3, U(6, "days")), (ops.div, U(1, "days"), U(12, "hr"), U(2, "days")),
        (ops.add, U(12, "km"), U(34, "s"), 46.0), (ops.add, U(12, "hr"), U(1, "days"), U(1.5, "days")),
        (ops.mul, 2, U(2, "days"), U(4, "days")), (ops.div, U(1, "days"), 2, U(0.5, "days")),
        (ops.mod, U(1, "days"), U(5, "hr"), U(0.16666666666666663, "days")), (ops.mul, U(1, "hr"), U(1, "hr"), U(1, "hr")),
        (ops.sub, U(1773585000000, "ms"), U(7, "days"), U(20520.604166666668, "days")),
        (ops.add, None, U(2, "days"), U(2, "days")),
    ],
)  # fmt: skip
def test_unit_arithmetic(op: Any, a: Any, b: Any, expected: Any) -> None:
    assert op(a, b) == expected


def test_neg_units_and_bitwise() -> None:
    assert ops.neg(U(1, "days")) == U(-1, "days")
    assert ops.bit_or(ops.mul(2, 1), 2) == 2
    assert ops.bit_and(6, 3) == 2 and ops.bit_xor(6, 3) == 5
    assert ops.shl(1, 64) == 1  # the shift amount is masked, as in a Rust release build
    assert ops.shl(1, 63) == -(2**63)
    assert ops.shr(-8, 1) == -4
    with pytest.raises(StofRuntimeError):
        ops.bit_and("a", 1)


def test_size_limits_raise_budget_errors() -> None:
    with pytest.raises(StofRuntimeError) as info:
        ops.mul("abc", 10**12)
    assert info.value.kind == "BudgetExceeded"


# ---------------------------------------------------------------- properties

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.builds(
        Units, st.floats(allow_nan=True), st.sampled_from(["ms", "s", "days", "KB", "GB", "km", "kg", "C"])
    ),
)
_values = st.recursive(
    _leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, min_size=2, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
    ),
    max_leaves=6,
)
_BINARY = [ops.add, ops.sub, ops.mul, ops.div, ops.mod, ops.bit_and, ops.bit_or, ops.bit_xor, ops.shl, ops.shr,
           ops.eq, ops.ne, ops.lt, ops.le, ops.gt, ops.ge]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_values, _values, st.sampled_from(_BINARY))
def test_operators_only_raise_stof_errors(a: Any, b: Any, op: Any) -> None:
    with contextlib.suppress(StofRuntimeError):
        op(a, b)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_truthy_and_neg_never_raise_foreign_errors(v: Any) -> None:
    assert ops.truthy(v) in (True, False)
    with contextlib.suppress(StofRuntimeError):
        ops.neg(v)


_same_kind = st.one_of(
    st.tuples(st.integers(), st.integers()),
    st.tuples(st.floats(), st.integers(min_value=-(2**53), max_value=2**53)),
    st.tuples(st.text(max_size=4), st.text(max_size=4)),
    st.tuples(st.booleans(), st.booleans()),
    st.tuples(st.lists(st.integers(-3, 3), max_size=3), st.lists(st.integers(-3, 3), max_size=3)),
    st.tuples(
        st.builds(Units, st.floats(-1e6, 1e6), st.sampled_from(["ms", "s", "min"])),
        st.builds(Units, st.floats(-1e6, 1e6), st.sampled_from(["ms", "s", "min"])),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_same_kind)
def test_eq_is_symmetric_for_same_kind_values(pair: tuple[Any, Any]) -> None:
    a, b = pair
    assert ops.eq(a, b) == ops.eq(b, a)
