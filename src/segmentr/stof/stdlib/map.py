"""The Map library: methods on maps (ordered by key): ``get``, ``contains``, ``keys``, ``values``, ``at``, ..."""

from __future__ import annotations

from typing import Any

from segmentr.stof import limits
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.values import StofMap, StofSet


def _at(m: StofMap, i: int) -> Any:
    items = m.items()
    return items[i] if 0 <= i < len(items) else None


def _insert(m: StofMap, key: Any, value: Any) -> Any:
    limits.check_items(len(m) + 1)
    return m.insert(key, value)


def _append(m: StofMap, other: Any) -> None:
    if type(other) is StofMap:
        limits.check_items(len(m) + len(other))
        for k, v in other.items():
            m.insert(k, v)


def _pop(m: StofMap, index: int) -> Any:
    items = m.items()
    if not items:
        return None
    key, value = items[index]
    m.remove(key)
    return (key, value)


MAP: dict[str, LibFunction] = {
    "get": lib(lambda m, k: m.get(k), 1, 1),
    "len": lib(len),
    "contains": lib(lambda m, k: m.contains(k), 1, 1),
    "keys": lib(lambda m: StofSet(m.keys())),
    "values": lib(lambda m: m.values()),
    "at": lib(_at, 1, 1, "int"),
    "first": lib(lambda m: _at(m, 0)),
    "last": lib(lambda m: _at(m, len(m) - 1)),
    "insert": lib(_insert, 2, 2),
    "remove": lib(lambda m, k: m.remove(k), 1, 1),
    "any": lib(lambda m: len(m) > 0),
    "empty": lib(lambda m: len(m) == 0),
    "append": lib(_append, 1, 1),
    "clear": lib(lambda m: m.clear()),
    "pop_first": lib(lambda m: _pop(m, 0)),
    "pop_last": lib(lambda m: _pop(m, -1)),
}

__all__ = ["MAP"]
