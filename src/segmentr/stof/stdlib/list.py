"""The List library: methods on lists (``len``, ``at``, ``contains``, ``push_back``, ``join``, ``sort``, ...)."""

from __future__ import annotations

from typing import Any

from segmentr.stof import limits
from segmentr.stof.cast import typeof
from segmentr.stof.ops import eq
from segmentr.stof.printing import to_str
from segmentr.stof.sandbox import charge_chars, charge_items
from segmentr.stof.sizes import charge_walk, check_printed_size
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.values import VOID, order_key


def _at(items: list[Any], i: int) -> Any:
    return items[i] if 0 <= i < len(items) else None


def _index_of(items: list[Any], value: Any) -> int:
    for i, item in enumerate(items):
        if eq(item, value):
            return i
    return -1


# Stof's push_back, push_front, insert, reverse, sort and clear push no value (src/runtime/instructions/list.rs):
# the call gives void ("no value"), not null.


def _push_back(items: list[Any], *values: Any) -> Any:
    limits.check_items(len(items) + len(values))
    items.extend(values)
    return VOID


def _push_front(items: list[Any], *values: Any) -> Any:
    limits.check_items(len(items) + len(values))
    items[:0] = values
    return VOID


def _pop(items: list[Any], index: int) -> Any:
    return items.pop(index) if items else None


def _insert(items: list[Any], index: int, value: Any) -> Any:
    limits.check_items(len(items) + 1)
    items.insert(max(0, min(index, len(items))), value)
    return VOID


def _remove(items: list[Any], index: int) -> Any:
    return items.pop(index) if 0 <= index < len(items) else None


def _remove_first(items: list[Any], value: Any) -> Any:
    i = _index_of(items, value)
    return items.pop(i) if i >= 0 else None


def _remove_last(items: list[Any], value: Any) -> Any:
    for i in range(len(items) - 1, -1, -1):
        if eq(items[i], value):
            return items.pop(i)
    return None


def _remove_all(items: list[Any], value: Any) -> bool:
    kept = [x for x in items if not eq(x, value)]
    removed = len(kept) != len(items)
    items[:] = kept
    return removed


def _replace(items: list[Any], index: int, value: Any) -> Any:
    if 0 <= index < len(items):
        old = items[index]
        items[index] = value
        return old
    return None


def _join(items: list[Any], sep: str = " ") -> str:
    """Stof's `List.join(sep = ' ')`: a space by default (src/model/libraries/list/mod.rs)."""
    charge_chars(check_printed_size(items, limits.MAX_STRING_BYTES) + len(sep) * len(items))
    parts = [to_str(x) for x in items]
    limits.check_string_size(sum(len(p) for p in parts) + len(sep) * max(0, len(parts) - 1))
    return sep.join(parts)


def _reverse(items: list[Any]) -> Any:
    items.reverse()
    return VOID


def _sort(items: list[Any]) -> Any:
    # a key per item (nested items included), then ~n log2 n comparisons of keys: paid before sorting
    charge_walk(items)
    charge_items(len(items) * max(1, len(items).bit_length()))
    items.sort(key=order_key)
    return VOID


def _clear(items: list[Any]) -> Any:
    items.clear()
    return VOID


def _is_uniform(items: list[Any]) -> bool:
    return len({typeof(x) for x in items}) <= 1


LIST: dict[str, LibFunction] = {
    "len": lib(len),
    "at": lib(_at, 1, 1, "int"),
    "front": lib(lambda items: items[0] if items else None),
    "back": lib(lambda items: items[-1] if items else None),
    "contains": lib(lambda items, v: _index_of(items, v) >= 0, 1, 1),
    "index_of": lib(_index_of, 1, 1),
    "push_back": lib(_push_back, 0, None),
    "push_front": lib(_push_front, 0, None),
    "pop_back": lib(lambda items: _pop(items, -1)),
    "pop_front": lib(lambda items: _pop(items, 0)),
    "insert": lib(_insert, 2, 2, "int"),
    "remove": lib(_remove, 1, 1, "int"),
    "remove_first": lib(_remove_first, 1, 1),
    "remove_last": lib(_remove_last, 1, 1),
    "remove_all": lib(_remove_all, 1, 1),
    "replace": lib(_replace, 2, 2, "int"),
    "join": lib(_join, 0, 1, "str"),
    "reverse": lib(_reverse),
    "reversed": lib(lambda items: items[::-1]),
    "sort": lib(_sort),
    "any": lib(lambda items: len(items) > 0),
    "empty": lib(lambda items: len(items) == 0),
    "is_uniform": lib(_is_uniform),
    "clear": lib(_clear),
}

__all__ = ["LIST"]
