"""What a value expands to: how many items a walk over it touches and how long its printed form is, shared
references counted as often as they occur (``[l, l, l]`` prints ``l`` three times).

Both walks are iterative and charged to the evaluation's budget as they go (``sandbox.charge``), and the
printed size stops at its limit, so estimating a value that would expand to gigabytes costs no more than the
limit: operations that build from a value (``str()``, concatenation, ``join``) or compare it element by element
call these first and refuse before they build anything.
"""

from __future__ import annotations

from typing import Any

from .errors import StofBudgetExceeded
from .sandbox import CHECK_EVERY, charge
from .values import StofMap, StofSet, Units

_WALK_DEPTH = 400  # deeper than this the printer itself reports the nesting; the walk leaves it to it
_CONTAINERS = (list, tuple, dict, StofMap, StofSet)
_CONTAINER_SET = frozenset(_CONTAINERS)


def _members(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return v.values()
    if t is StofMap:
        return [x for pair in v.items() for x in pair]
    if t is StofSet:
        return v.items()
    return v


def charge_walk(v: Any) -> int:
    """Charge touching every item of ``v`` (nested, shared references expanded); returns the count."""
    if type(v) not in _CONTAINERS:
        return 1
    total = 0
    unpaid = 0
    stack: list[tuple[Any, int]] = [(v, 0)]
    while stack:
        node, depth = stack.pop()
        members = _members(node)
        size = len(members)
        total += size
        unpaid += size
        if unpaid >= CHECK_EVERY:
            charge(unpaid)
            unpaid = 0
        # the member types in one C-level pass: a flat collection (the common case) pushes nothing
        if depth < _WALK_DEPTH and not _CONTAINER_SET.isdisjoint(set(map(type, members))):
            stack.extend((x, depth + 1) for x in members if type(x) in _CONTAINER_SET)
    if total >= 32:
        charge(unpaid)
    return total


def _scalar_size(x: Any) -> int:
    t = type(x)
    if t is str:
        return len(x) + 2  # quoted inside a container
    if t is int:
        return len(str(x))
    if t is bool or x is None:
        return 5
    if t is float or t is Units:
        value = x.value if t is Units else x
        extra = len(x.unit) if t is Units else 0
        if value == 0 or 1e-5 <= abs(value) < 1e16 or value != value:
            return len(repr(value)) + extra
        from .printing import format_float  # printing imports this module

        return len(format_float(value)) + extra
    if t is bytes:
        return 5 * len(x)
    return 8


def check_printed_size(v: Any, limit: int) -> int:
    """An estimate of ``len(to_str(v))`` for a container ``v`` (never far below it); raises
    StofBudgetExceeded as soon as it passes ``limit``, before anything is built."""
    total = 2
    unpaid = 0
    stack: list[tuple[Any, int]] = [(v, 0)]
    while stack:
        node, depth = stack.pop()
        members = _members(node)
        size = len(members)
        total += 2 * size + 2  # separators and brackets
        unpaid += size
        for x in members:
            if type(x) in _CONTAINERS:
                if depth < _WALK_DEPTH:
                    stack.append((x, depth + 1))
            else:
                total += _scalar_size(x)
        if type(node) is dict:
            total += sum(len(k) + 3 if type(k) is str else 24 for k in node)
        if total > limit:
            raise StofBudgetExceeded(f"string longer than {limit} bytes", budget="size")
        if unpaid >= CHECK_EVERY:
            charge(unpaid)
            unpaid = 0
    if unpaid >= 32:
        charge(unpaid)
    return total


__all__ = ["charge_walk", "check_printed_size"]
