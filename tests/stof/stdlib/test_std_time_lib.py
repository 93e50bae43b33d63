"""The Std library (bare names) and the Time library on fixed timestamps, with the injectable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.ops import eq, sub
from segmentr.stof.stdlib import call_library, set_clock
from segmentr.stof.values import StofMap, StofSet, Units

TS = 1773585000000  # 2026-03-15T14:30:00Z, a Sunday


@pytest.fixture
def pinned_clock() -> Iterator[None]:
    set_clock(lambda: float(TS))
    yield
    set_clock(None)


def test_std_str_separator_rule() -> None:
    assert call_library("Std", "str", [1, "a", 2.0]) == "1a2"
    assert call_library("Std", "str", [1, 2]) == "1, 2"
    assert call_library("Std", "str", [True]) == "true"
    assert call_library("Std", "str", [Units(1.5, "hr")]) == "1.5hr"
    assert call_library("Std", "str", [0.1 + 0.2]) == "0.30000000000000004"


def test_std_constructors() -> None:
    assert call_library("Std", "map", []) == StofMap()
    assert call_library("Std", "map", [("b", 1), ("a", 2)]).keys() == ["a", "b"]
    assert call_library("Std", "list", [1, 2]) == [1, 2]
    assert call_library("Std", "set", [2, 1, 2]) == StofSet([1, 2])
    original = {"a": [1]}
    copied = call_library("Std", "copy", [original])
    assert copied == original and copied["a"] is not original["a"]
    with pytest.raises(StofRuntimeError):
        call_library("Std", "throw", ["boom"])
    with pytest.raises(StofRuntimeError):
        call_library("Std", "len", [[1]])  # there is no len() function


def test_time_now_is_ms_and_injectable(pinned_clock: None) -> None:
    now = call_library("Time", "now", [])
    assert now == Units(float(TS), "ms")
    week_ago = sub(now, Units(7, "days"))
    assert week_ago.unit == "days"
    assert call_library("Time", "diff", [TS - 5000]) == Units(5000.0, "ms")
    assert call_library("Time", "diff", [Units(TS / 1000 - 1, "s")]) == Units(1000.0, "ms")


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("day_of_month", [TS], 15), ("minute", [TS], 30), ("hour", [TS], 14), ("day_of_week", [TS], 6),
        ("year", [0], 1970), ("month", [TS], 3), ("days_in_month", [1738368000000], 28),
        ("from_rfc3339", ["2026-03-15T14:30:00+02:00"], Units(1773577800000.0, "ms")),
        ("add_days", [TS, 1], Units(1773671400000.0, "ms")), ("start_of_month", [TS], Units(1772323200000.0, "ms")),
        ("start_of_year", [TS], Units(1767225600000.0, "ms")), ("start_of_week", [TS], Units(1773014400000.0, "ms")),
        ("start_of_day", [Units(TS, "ms")], Units(1773532800000.0, "ms")), ("to_rfc2822", [TS], "Sun, 15 Mar 2026 14:30:00 +0000"),
        ("to_rfc3339", [TS], "2026-03-15T14:30:00+00:00"), ("add_months", [TS, 1], Units(1776263400000.0, "ms")),
        ("year", [Units(20527, "days")], 2026),
    ],
)  # fmt: skip
def test_time_functions(name: str, args: list[object], expected: object) -> None:
    assert call_library("Time", name, args) == expected


def test_time_errors() -> None:
    with pytest.raises(StofRuntimeError) as info:
        call_library("Time", "from_rfc3339", ["not a date"])
    assert info.value.kind == "TimeFromRFC3339"
    with pytest.raises(StofRuntimeError) as info:
        call_library("Time", "year", ["x"])
    assert info.value.kind == "Cast"
    with pytest.raises(StofRuntimeError):
        call_library("Time", "year", [1e300])
    assert eq(call_library("Time", "add_days", [TS, -1]), Units(1773498600000, "ms"))
