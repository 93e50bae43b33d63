"""The Std library (bare function names): ``str(..)``, ``list(..)``, ``map(..)``, ``set(..)``, ``max``, ``min``,
``copy``, ``throw``, ``assert*``, ``pln``."""

from __future__ import annotations

import copy as _copy
from typing import Any

from segmentr.stof import limits
from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.ops import eq, truthy
from segmentr.stof.printing import to_str
from segmentr.stof.sizes import check_printed_size
from segmentr.stof.stdlib.num import maximum, minimum
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.values import StofMap, StofSet


def std_str(*args: Any) -> str:
    """Printed arguments joined by "" when any is a string, else by ", "."""
    sep = "" if any(type(a) is str for a in args) else ", "
    check_printed_size(args, limits.MAX_STRING_BYTES)  # every part together, before any is printed
    parts = [to_str(a) for a in args]
    limits.check_string_size(sum(len(p) for p in parts) + len(sep) * len(parts))
    return sep.join(parts)


def std_map(*pairs: Any) -> StofMap:
    result = StofMap()
    for pair in pairs:
        if type(pair) is tuple and len(pair) == 2:
            result.insert(pair[0], pair[1])
        elif type(pair) is StofMap:
            for k, v in pair.items():
                result.insert(k, v)
        else:
            raise StofRuntimeError("map() takes (key, value) tuples", kind="FuncArgs")
    limits.check_items(len(result))
    return result


def _throw(message: Any = None) -> None:
    error = StofRuntimeError(to_str(message) if message is not None else "thrown", kind="Thrown")
    error.thrown = message  # type: ignore[attr-defined]  # what a catch variable holds (Stof's Error::Thrown)
    raise error


def _assert(value: Any = False) -> None:
    if not truthy(value):
        raise StofRuntimeError(f"assertion failed: {to_str(value)}", kind="AssertFailed")


def _assert_not(value: Any = True) -> None:
    if truthy(value):
        raise StofRuntimeError(f"assertion failed: not {to_str(value)}", kind="AssertNotFailed")


def _assert_eq(a: Any, b: Any) -> None:
    if not eq(a, b):
        raise StofRuntimeError(f"{to_str(a)} != {to_str(b)}", kind="AssertEqFailed")


def _assert_neq(a: Any, b: Any) -> None:
    if eq(a, b):
        raise StofRuntimeError(f"{to_str(a)} == {to_str(b)}", kind="AssertNotEqFailed")


def _stringify(fmt: str = "json", context: Any = None) -> str:
    """Only the json format exists here; a non-object context exports nothing."""
    if fmt != "json":
        raise StofRuntimeError(f"format {fmt!r} is not available", kind="FormatDne")
    if type(context) is not dict:
        return "{}"
    return to_str(context)


def _copy_value(v: Any) -> Any:
    try:
        return _copy.deepcopy(v)
    except RecursionError:
        raise StofRuntimeError("value nested too deeply to copy", kind="BudgetExceeded") from None


def _list(*items: Any) -> list[Any]:
    limits.check_items(len(items))
    return list(items)


STD: dict[str, LibFunction] = {
    "str": lib(std_str, 0, None),
    "list": lib(_list, 0, None),
    "map": lib(std_map, 0, None),
    "set": lib(lambda *items: StofSet(items), 0, None),
    "max": lib(maximum, 0, None),
    "min": lib(minimum, 0, None),
    "copy": lib(_copy_value, 1, 1),
    "throw": lib(_throw, 0, 1),
    "assert": lib(_assert, 0, 1),
    "assert_not": lib(_assert_not, 0, 1),
    "stringify": lib(_stringify, 0, 2, "str"),
    "sleep": lib(lambda duration: None, 1, 1, "ms"),  # never actually sleeps inside a condition
    "log_debug": lib(lambda *args: None, 0, None),
    "log_info": lib(lambda *args: None, 0, None),
    "log_warn": lib(lambda *args: None, 0, None),
    "log_error": lib(lambda *args: None, 0, None),
    "log_trace": lib(lambda *args: None, 0, None),
    "assert_eq": lib(_assert_eq, 2, 2),
    "assert_neq": lib(_assert_neq, 2, 2),
    "pln": lib(lambda *args: None, 0, None),  # output is not a condition's business: printing is a no-op
    "dbg": lib(lambda *args: None, 0, None),
    "err": lib(lambda *args: None, 0, None),
}

__all__ = ["STD", "std_map", "std_str"]
