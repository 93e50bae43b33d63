"""Runtime values: VOID, Units, StofMap (key order), StofSet, Version, host detection, size limits."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest

from segmentr.stof import limits
from segmentr.stof.errors import StofBudgetExceeded
from segmentr.stof.values import VOID, StofMap, StofSet, Units, Version, is_host


def test_void_is_a_falsy_singleton() -> None:
    assert not VOID
    assert copy.deepcopy(VOID) is VOID
    assert repr(VOID) == "VOID"


def test_units_are_immutable_values() -> None:
    u = Units(5, "ms")
    assert u.value == 5.0 and type(u.value) is float and u.unit == "ms"
    with pytest.raises(AttributeError):
        u.value = 3.0  # type: ignore[misc]
    assert u == Units(5.0, "ms") and hash(u) == hash(Units(5.0, "ms"))


def test_map_is_ordered_by_key() -> None:
    m = StofMap([("b", 2), ("a", 1), ("c", 0)])
    assert m.keys() == ["a", "b", "c"]
    assert StofMap([(10, "a"), (9, "b")]).keys() == [9, 10]
    assert m.get("a") == 1 and m.get("z") is None and m.contains("b")
    assert m.insert("a", 9) == 1 and m.get("a") == 9
    assert m.remove("a") == 9 and m.keys() == ["b", "c"]
    assert StofMap([(1, "x")]).get(1.0) == "x"  # 1 and 1.0 are the same key
    assert StofMap([(1, "x")]).get(True) is None  # true is not


def test_set_is_sorted_and_unique() -> None:
    s = StofSet(["b", "a", "b"])
    assert s.items() == ["a", "b"] and len(s) == 2
    assert s.insert("c") and not s.insert("c")
    assert StofSet([2, 1]) == StofSet([1, 2])


def test_version_parse_and_order() -> None:
    v = Version.parse("1.2.3-beta+7")
    assert v is not None and str(v) == "1.2.3-beta+7"
    assert Version.parse("1.2") is None
    assert Version(1, 0, 0, "rc").sort_key() < Version(1, 0, 0).sort_key()


def test_is_host() -> None:
    class Host:
        stof_methods: ClassVar[dict[str, tuple[int, int]]] = {"value": (1, 2)}

    assert is_host(Host()) and not is_host({}) and not is_host(None)


def test_limits() -> None:
    limits.check_items(limits.MAX_COLLECTION_ITEMS)
    with pytest.raises(StofBudgetExceeded):
        limits.check_items(limits.MAX_COLLECTION_ITEMS + 1)
    with pytest.raises(StofBudgetExceeded):
        limits.check_string("x" * (limits.MAX_STRING_BYTES + 1))
    with pytest.raises(StofBudgetExceeded):
        limits.check_nesting(limits.MAX_NESTING + 1)
