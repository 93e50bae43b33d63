"""The Num library (stof.md §5): rounding half away from zero, ints kept, units kept, min/max flattening."""

from __future__ import annotations

import math
from typing import Any

import pytest

from segmentr.stof.stdlib import call_library, call_method
from segmentr.stof.values import Units

U = Units


@pytest.mark.parametrize(
    ("receiver", "name", "args", "expected"),
    [
        (5.5, "round", [], 6.0), (2.5, "round", [], 3.0), (-2.5, "round", [], -3.0), (1.234, "round", [2], 1.23),
        (5, "round", [], 5), (5.1, "floor", [], 5.0), (-5.1, "floor", [], -6.0), (5.1, "ceil", [], 6.0),
        (-5.1, "ceil", [], -5.0), (2, "pow", [], 4.0), (-3.7, "trunc", [], -3.0), (8, "log", [2], 3.0),
        (0.5, "round", [], 1.0), (1.005, "round", [2], 1.0), (7, "floor", [], 7), (255, "hex", [], "FF"),
        (5, "bin", [], "101"), (8, "oct", [], "10"), (-7, "abs", [], 7), (U(-2, "s"), "abs", [], U(2, "s")),
        (U(1, "days"), "has_units", [], True), (3, "has_units", [], False), (U(90, "min"), "to_units", ["hr"], U(1.5, "hr")),
        (U(7, "days"), "remove_units", [], 7.0), (U(1, "days"), "is_time", [], True), (10, "len", [], 10),
        (10, "at", [3], 3), (10, "at", [20], 10), (U(10, "kg"), "to_units", [U(1, "g")], U(10000, "g")),
        (1, "asin", [], U(math.pi / 2, "rad")), (14, "nan", [], False), (2, "exp2", [], 4.0), (-4, "signum", [], -1), (2.5, "fract", [], 0.5), (4, "sqrt", [], 2.0),
        (1.5, "to_string", [], "1.5"), (3.7, "max", [9, 1], 9),
    ],
)  # fmt: skip
def test_num_methods(receiver: Any, name: str, args: list[Any], expected: Any) -> None:
    result = call_method(receiver, name, args)
    assert result == expected and type(result) is type(expected)


def test_round_keeps_negative_zero() -> None:
    assert math.copysign(1.0, call_method(-0.4, "round", [])) == -1.0


def test_min_max() -> None:
    assert call_library("Num", "min", [3, 1, 2]) == 1
    assert call_library("Num", "max", [[1, 5], 3]) == 5
    assert call_library("Std", "min", [1, 2.5]) == 1
    assert call_library("Std", "max", []) is None
    assert call_library("Std", "max", ["a", "b"]) == "b"
    assert call_library("Std", "min", [[]]) is None
    assert call_library("Std", "max", [U(1, "hr"), U(30, "min"), U(2, "days")]) == U(2, "days")
    assert call_library("Std", "min", [U(1, "hr"), U(30, "min")]) == U(30, "min")
    assert call_library("Num", "abs", [-3]) == 3


def test_huge_values_do_not_escape_as_python_errors() -> None:
    assert call_method(10.0, "pow", [10**6]) == math.inf
    assert math.isnan(call_method(-1.0, "sqrt", []))
    assert call_method(0, "ln", []) == -math.inf
    assert call_method(1e308, "exp", []) == math.inf
