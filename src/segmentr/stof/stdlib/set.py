"""The Set library: methods on sets (sorted, unique values)."""

from __future__ import annotations

from typing import Any

from segmentr.stof import limits
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.values import StofSet


def _members(other: Any) -> list[Any]:
    if type(other) is StofSet:
        return other.items()
    if type(other) in (list, tuple):
        return list(other)
    return [other]


def _insert(s: StofSet, value: Any) -> bool:
    limits.check_items(len(s) + 1)
    return s.insert(value)


def _union(s: StofSet, other: Any) -> StofSet:
    members = _members(other)
    limits.check_items(len(s) + len(members))
    return StofSet([*s.items(), *members])


def _at(s: StofSet, i: int) -> Any:
    items = s.items()
    return items[i] if 0 <= i < len(items) else None


SET: dict[str, LibFunction] = {
    "len": lib(len),
    "contains": lib(lambda s, v: s.contains(v), 1, 1),
    "insert": lib(_insert, 1, 1),
    "remove": lib(lambda s, v: s.remove(v), 1, 1),
    "union": lib(_union, 1, 1),
    "intersection": lib(lambda s, o: StofSet(x for x in _members(o) if s.contains(x)), 1, 1),
    "difference": lib(
        lambda s, o: StofSet(x for x in s.items() if not StofSet(_members(o)).contains(x)), 1, 1
    ),
    "is_subset": lib(lambda s, o: all(StofSet(_members(o)).contains(x) for x in s.items()), 1, 1),
    "first": lib(lambda s: _at(s, 0)),
    "last": lib(lambda s: _at(s, len(s) - 1)),
    "at": lib(_at, 1, 1, "int"),
    "any": lib(lambda s: len(s) > 0),
    "empty": lib(lambda s: len(s) == 0),
    "clear": lib(lambda s: s.clear()),
}

__all__ = ["SET"]
