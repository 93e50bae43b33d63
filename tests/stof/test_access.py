"""Field paths (null-safe, objects only) and what for-in iterates (len/at over every kind)."""

from __future__ import annotations

from segmentr.stof.access import get_field, get_path, iter_at, iter_len, str_at, str_len
from segmentr.stof.values import StofMap, StofSet, Units

CUSTOMER = {"id": "c1", "meters": {"api": {"value": 120}, "seats": {"value": 4}}, "grants": None}


def test_paths_walk_objects_only_and_yield_null() -> None:
    assert get_field(CUSTOMER, "id") == "c1"
    assert get_field(CUSTOMER, "missing") is None
    assert get_path(CUSTOMER, ["meters", "api", "value"]) == 120
    assert get_path(CUSTOMER, ["missing", "deeper", "path"]) is None
    assert get_path(CUSTOMER, ["id", "missing"]) is None
    assert get_field(StofMap([("a", 1)]), "a") is None  # m.a on a map is null
    assert get_field(None, "x") is None and get_field([1], "x") is None


def test_iteration_over_every_kind() -> None:
    assert [iter_at([1, 2], i) for i in range(iter_len([1, 2]))] == [1, 2]
    assert [iter_at(CUSTOMER["meters"], i) for i in range(iter_len(CUSTOMER["meters"]))] == [
        ("api", {"value": 120}),
        ("seats", {"value": 4}),
    ]
    m = StofMap([("b", 2), ("a", 1)])
    assert [iter_at(m, i) for i in range(iter_len(m))] == [("a", 1), ("b", 2)]
    assert [iter_at(StofSet([3, 1]), i) for i in range(2)] == [1, 3]
    assert [iter_at("ab", i) for i in range(iter_len("ab"))] == ["a", "b"]
    assert [iter_at(3, i) for i in range(iter_len(3))] == [0, 1, 2]
    assert iter_len(None) == 0 and iter_len(True) == 0
    assert iter_len(Units(2.7, "s")) == 2
    assert iter_at([1], 5) is None and iter_at([1], -1) is None


def test_strings_count_utf8_bytes() -> None:
    assert str_len("hello") == 5 and str_len("é") == 2
    assert str_at("hello", 100) == "o" and str_at("", 0) is None
    assert str_at("aé", 2) == "é"
