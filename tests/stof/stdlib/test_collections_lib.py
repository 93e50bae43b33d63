"""List, Map, Obj, Tup and Set libraries (stof.md §5)."""

from __future__ import annotations

from typing import Any

import pytest

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.stdlib import MUTATING_METHODS, call_library, call_method
from segmentr.stof.values import StofMap, StofSet

CUSTOMER: dict[str, Any] = {"plan": "enterprise", "grants": None, "meters": {"seats": 5, "api": 10}}


def test_list_reads() -> None:
    items = [1, 2, 3]
    assert call_method(items, "at", [0]) == 1 and call_method(items, "at", [5]) is None
    assert call_method(items, "at", [-1]) is None and call_method(items, "at", ["1"]) == 2
    assert call_method(items, "contains", [2.0]) and not call_method(items, "contains", ["2"])
    assert call_method(items, "index_of", [3]) == 2 and call_method(items, "index_of", [9]) == -1
    assert call_method(items, "back", []) == 3 and call_method(items, "front", []) == 1
    assert call_method([1, 2], "join", [", "]) == "1, 2" and call_method([1, 2], "join", [1]) == "112"
    assert call_method(items, "reversed", []) == [3, 2, 1] and items == [1, 2, 3]
    assert call_method([None], "contains", [None])
    assert call_method([], "empty", []) and call_method([1], "any", [])


def test_list_mutations() -> None:
    items: list[Any] = [3, 1, 2]
    call_method(items, "sort", [])
    assert items == [1, 2, 3]
    call_method(items, "push_back", [4])
    call_method(items, "push_front", [0])
    assert items == [0, 1, 2, 3, 4]
    assert call_method(items, "remove", [0]) == 0 and items == [1, 2, 3, 4]
    call_method(items, "reverse", [])
    assert items == [4, 3, 2, 1]
    mixed: list[Any] = ["b", "a", "C"]
    call_method(mixed, "sort", [])
    assert mixed == ["C", "a", "b"]
    numbers: list[Any] = [1.5, 1, 2]
    call_method(numbers, "sort", [])
    assert numbers == [1, 1.5, 2]
    assert {"push_back", "push_front", "insert", "remove", "sort", "reverse", "push"} <= MUTATING_METHODS
    assert "len" not in MUTATING_METHODS and "reversed" not in MUTATING_METHODS


def test_list_has_no_first_or_push() -> None:
    for name in ("first", "last", "push", "map", "filter"):
        with pytest.raises(StofRuntimeError) as info:
            call_method([1], name, [])
        assert info.value.kind == "FuncDne"


def test_map_methods() -> None:
    m = StofMap([("b", 2), ("a", 1)])
    assert call_method(m, "keys", []) == StofSet(["a", "b"])
    assert call_method(m, "values", []) == [1, 2]
    assert call_method(m, "at", [0]) == ("a", 1) and call_method(m, "first", []) == ("a", 1)
    assert call_method(m, "last", []) == ("b", 2) and call_method(m, "get", ["z"]) is None
    assert call_method(m, "len", []) == 2 and not call_method(m, "contains", ["z"])
    with pytest.raises(StofRuntimeError) as info:
        call_method(m, "at", ["a"])  # m['a'] casts the index to int
    assert info.value.kind == "Cast"
    call_method(m, "insert", ["a", 9])
    assert call_method(m, "get", ["a"]) == 9
    call_method(m, "remove", ["a"])
    assert m.items() == [("b", 2)]
    assert call_method(StofMap([(1, "x")]), "get", [1]) == "x"


def test_obj_methods() -> None:
    assert call_method(CUSTOMER, "get", ["plan"]) == "enterprise"
    assert call_method(CUSTOMER, "get", ["nope"]) is None
    assert call_method(CUSTOMER, "contains", ["grants"]) and not call_method(CUSTOMER, "contains", ["nope"])
    assert call_method(CUSTOMER["meters"], "len", []) == 2
    assert call_method(CUSTOMER["meters"], "fields", []) == [("seats", 5), ("api", 10)]
    assert call_method(CUSTOMER["meters"], "at", [0]) == ("seats", 5)
    assert not call_method(CUSTOMER["meters"], "empty", []) and call_method({}, "empty", [])
    assert call_method(CUSTOMER["meters"], "to_map", []).keys() == ["api", "seats"]
    for name in ("keys", "values"):
        with pytest.raises(StofRuntimeError):
            call_method(CUSTOMER, name, [])
        assert call_method(CUSTOMER, name, [], null_safe=True) is None


def test_tuple_and_set() -> None:
    t = ("a", ("b", 42))
    assert call_method(t, "len", []) == 2 and call_method(call_method(t, "at", [1]), "at", [1]) == 42
    s = StofSet([2, 1])
    assert call_method(s, "contains", [1]) and call_method(s, "len", []) == 2
    assert call_method(s, "union", [StofSet([3])]).items() == [1, 2, 3]


def test_null_receiver_is_func_dne_unless_null_safe() -> None:
    with pytest.raises(StofRuntimeError) as info:
        call_method(None, "len", [])
    assert info.value.kind == "FuncDne"
    assert call_method(None, "len", [], null_safe=True) is None
    with pytest.raises(StofRuntimeError):
        call_method(True, "len", [])


def test_null_safe_does_not_swallow_arity_or_cast_errors() -> None:
    with pytest.raises(StofRuntimeError) as info:
        call_method([1], "at", [], null_safe=True)
    assert info.value.kind == "FuncArgs"
    with pytest.raises(StofRuntimeError) as info:
        call_method([1], "at", ["x"], null_safe=True)
    assert info.value.kind == "Cast"


def test_unknown_library() -> None:
    with pytest.raises(StofRuntimeError):
        call_library("Bool", "x", [])
    assert call_library("Bool", "x", [], null_safe=True) is None


class Policy:
    """A host object as the policy engine exposes one."""

    stof_methods = {"value": (2, 4), "entitlement": (2, 2)}  # noqa: RUF012

    def value(self, customer_id: str, name: str, percent: Any = None, grants: Any = None) -> Any:
        return {"id": customer_id, "name": name, "percent": percent}

    def entitlement(self, customer_id: str, name: str) -> bool:
        return True

    def secret(self) -> str:
        return "never reachable"


def test_host_objects() -> None:
    policy = Policy()
    assert call_method(policy, "value", ["c1", "api"]) == {"id": "c1", "name": "api", "percent": None}
    assert call_method(policy, "entitlement", ["c1", "x"]) is True
    with pytest.raises(StofRuntimeError) as info:
        call_method(policy, "value", ["c1"])
    assert info.value.kind == "FuncArgs"
    with pytest.raises(StofRuntimeError) as info:
        call_method(policy, "secret", [])
    assert info.value.kind == "FuncDne"
    assert call_method(policy, "secret", [], null_safe=True) is None
