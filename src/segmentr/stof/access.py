"""Field paths and iteration: ``a.b.c`` walks object fields only and yields null for anything missing; for-in
iterates ``?iterable.len() ?? 0`` items fetched with ``?iterable.at(i)``."""

from __future__ import annotations

from typing import Any

from segmentr.stof.sandbox import charge_chars, charge_items
from segmentr.stof.values import StofMap, StofSet, Units


def get_field(v: Any, name: str) -> Any:
    """Field ``name`` of object ``v``, or None (any non-object, including maps and host objects). Never raises."""
    if type(v) is dict:
        return v.get(name)
    return None


def get_path(v: Any, names: list[str] | tuple[str, ...]) -> Any:
    """Walk ``names`` through object fields from ``v``; None as soon as something is missing or not an object."""
    for name in names:
        if type(v) is not dict:
            return None
        v = v.get(name)
    return v


def str_len(s: str) -> int:
    """Stof string length: UTF-8 bytes."""
    return len(s) if s.isascii() else len(s.encode("utf-8"))


def str_at(s: str, i: int) -> Any:
    """``Str.at``: the character at byte ``i``, clamped to the last one; None for an empty string or i < 0."""
    if not s or i < 0:
        return None
    if s.isascii():
        return s[min(i, len(s) - 1)]
    data = s.encode("utf-8")
    i = min(i, len(data) - 1)
    while i > 0 and (data[i] & 0xC0) == 0x80:  # step back to the start of the character
        i -= 1
    end = i + 1
    while end < len(data) and (data[end] & 0xC0) == 0x80:
        end += 1
    return data[i:end].decode("utf-8")


def iter_len(v: Any) -> int:
    """What a for-in loop iterates over: ``?v.len() ?? 0``."""
    t = type(v)
    if t is list or t is tuple or t is dict:
        return len(v)
    if v is None:
        return 0
    if t is str:
        return str_len(v)
    if t is StofMap or t is StofSet:
        return len(v)
    if t is int:
        return v
    if t is float or t is Units:
        from segmentr.stof.units import saturate_i64

        return saturate_i64(v if t is float else v.value)
    from segmentr.stof.stdlib import call_method

    result = call_method(v, "len", [], null_safe=True)
    return result if type(result) is int else 0


def iter_at(v: Any, i: int) -> Any:
    """Item ``i`` of a for-in loop: ``?v.at(i)`` (maps and objects give (key, value) tuples)."""
    t = type(v)
    if t is list or t is tuple:
        return v[i] if 0 <= i < len(v) else None
    if t is dict:
        if 0 <= i < len(v):
            charge_items(i)  # an object has no index: reaching field i walks i fields
            key = next(k for n, k in enumerate(v) if n == i)
            return (key, v[key])
        return None
    if t is str:
        if not v.isascii():  # a byte index into non-ASCII text encodes it all
            charge_chars(len(v))
        return str_at(v, i)
    if t is StofMap:
        items = v.items()
        return items[i] if 0 <= i < len(items) else None
    if t is StofSet:
        members = v.items()
        return members[i] if 0 <= i < len(members) else None
    if t is int or t is float or t is Units:
        return i
    if v is None:
        return None
    from segmentr.stof.stdlib import call_method

    return call_method(v, "at", [i], null_safe=True)


__all__ = ["get_field", "get_path", "iter_at", "iter_len", "str_at", "str_len"]
