"""How Stof prints values: Rust float format, quoted strings in containers, maps, sets, objects as JSON."""

from __future__ import annotations

import math
from typing import Any

import pytest

from segmentr.stof.printing import format_float, to_str
from segmentr.stof.values import VOID, StofMap, StofSet, Units, Version


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"), (0.1 + 0.2, "0.30000000000000004"), (9223372036854775807 * 1.0, "9223372036854776000"),
        (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (-0.0, "-0"), (1.5, "1.5"), (math.inf, "inf"),
        (-math.inf, "-inf"), (math.nan, "NaN"), (110.00000000000001, "110.00000000000001"),
    ],
)  # fmt: skip
def test_format_float(value: float, text: str) -> None:
    assert format_float(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"), (True, "true"), (False, "false"), (7, "7"), ("raw", "raw"), (Units(7, "days"), "7days"),
        (Units(1.5, "hr"), "1.5hr"), ([1, "a"], '[1, "a"]'), (("x", 0), '("x", 0)'),
        (StofMap([("b", 2), ("a", 1)]), '{("a" -> 1), ("b" -> 2)}'), (StofSet([2, 1, 2]), "{1, 2}"),
        ({"api": {"credit": "request", "value": 120}}, '{"api":{"credit":"request","value":120}}'),
        ({"x": 1.5, "n": None, "l": [1, "é"]}, '{"x":1.5,"n":null,"l":[1,"é"]}'), (Version(1, 2, 3), "1.2.3"),
        (VOID, ""), ([[1, [2]], "s"], '[[1, [2]], "s"]'), ([None, True, 2.0], "[null, true, 2]"),
    ],
)  # fmt: skip
def test_to_str(value: Any, text: str) -> None:
    assert to_str(value) == text
