"""The Stof standard library subset conditions may call: Time, Obj, Map, List, Str, Num, Tup, Set, Std.

``call_method`` dispatches ``x.f(args)`` by the receiver's type (obj -> Obj, list -> List, ..., host objects
through their ``stof_methods``); ``call_library`` runs ``Lib.f(args)``. Both check arity (``FuncArgs``) and cast
each argument to its declared parameter type; an unresolvable call is ``FuncDne``, or null when ``null_safe``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from segmentr.stof.cast import cast, typeof
from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.sandbox import charge_chars, charge_items
from segmentr.stof.sizes import charge_walk
from segmentr.stof.stdlib.list import LIST
from segmentr.stof.stdlib.map import MAP
from segmentr.stof.stdlib.num import NUM
from segmentr.stof.stdlib.obj import OBJ
from segmentr.stof.stdlib.set import SET
from segmentr.stof.stdlib.std import STD
from segmentr.stof.stdlib.str_lib import STR
from segmentr.stof.stdlib.table import LibFunction
from segmentr.stof.stdlib.time_lib import TIME, set_clock
from segmentr.stof.stdlib.tup import TUP
from segmentr.stof.values import StofMap, StofSet, Units

TABLES: dict[str, dict[str, LibFunction]] = {
    "Time": TIME,
    "Obj": OBJ,
    "Map": MAP,
    "List": LIST,
    "Str": STR,
    "Num": NUM,
    "Tup": TUP,
    "Set": SET,
    "Std": STD,
}
LIBRARIES: frozenset[str] = frozenset(TABLES)

# Functions whose cost does not grow with their receiver (or that pay for their work themselves): every other
# function of a receiver library is charged by its receiver's size before it runs (sandbox.charge), so a loop
# cannot call an O(n) method for free. ``len`` and ``fields`` keep their identity (the compiler inlines them).
_FLAT_COST: dict[str, frozenset[str]] = {
    "Obj": frozenset({"len", "fields", "get", "contains", "any", "empty", "insert", "remove"}),
    "Map": frozenset({"len", "get", "any", "empty", "first", "last"}),
    "List": frozenset({"len", "at", "front", "back", "any", "empty", "pop_back", "replace", "sort", "join"}),
    "Str": frozenset({"len", "first", "last", "at"}),
    "Tup": frozenset({"len", "at"}),
    "Set": frozenset({"len", "any", "empty", "first", "last"}),
}
_SIZED_BY_ARGUMENTS = {"Std": None, "Num": frozenset({"max", "min"})}


def _charged_by_receiver(fn: Callable[..., Any]) -> Callable[..., Any]:
    def charged(receiver: Any, *args: Any) -> Any:
        if type(receiver) is str:
            charge_chars(len(receiver))
        else:
            charge_items(len(receiver))
        return fn(receiver, *args)

    charged.__name__ = getattr(fn, "__name__", "charged")
    return charged


def _charged_by_arguments(fn: Callable[..., Any]) -> Callable[..., Any]:
    def charged(*args: Any) -> Any:
        charge_walk(args)
        return fn(*args)

    charged.__name__ = getattr(fn, "__name__", "charged")
    return charged


for _lib, _flat in _FLAT_COST.items():
    _table = TABLES[_lib]
    for _name, _entry in _table.items():
        if _name not in _flat:
            _table[_name] = _entry._replace(fn=_charged_by_receiver(_entry.fn))
for _lib, _names in _SIZED_BY_ARGUMENTS.items():
    _table = TABLES[_lib]
    for _name, _entry in _table.items():
        if _names is None or _name in _names:
            _table[_name] = _entry._replace(fn=_charged_by_arguments(_entry.fn))

# Libraries whose functions take the receiver as their first argument, and the type it is cast to when the
# library is called directly (``Num.abs(x)``).
_RECEIVER_TYPES: dict[str, tuple[str, ...]] = {
    "Obj": ("obj",),
    "Map": ("map",),
    "List": ("list",),
    "Str": ("str",),
    "Num": ("int", "float"),
    "Tup": ("unknown",),
    "Set": ("set",),
}

# (The submodules `list`, `map` and `set` shadow the builtins in this module's namespace: hence `builtins.`.)
_LIB_BY_TYPE: dict[type, str] = {
    dict: "Obj",
    builtins.list: "List",
    str: "Str",
    int: "Num",
    float: "Num",
    Units: "Num",
    StofMap: "Map",
    tuple: "Tup",
    StofSet: "Set",
}

# Methods that change their receiver in place (the compiler deep-copies the bindings when a body calls one).
MUTATING_METHODS: frozenset[str] = frozenset(
    {
        "push_back",
        "push_front",
        "pop_back",
        "pop_front",
        "insert",
        "remove",
        "remove_first",
        "remove_last",
        "remove_all",
        "replace",
        "reverse",
        "sort",
        "clear",
        "append",
        "pop_first",
        "pop_last",
        "push",
    }
)


def _func_dne(where: str, name: str) -> StofRuntimeError:
    return StofRuntimeError(f"{where}.{name} does not exist", kind="FuncDne")


def _check_arity(where: str, name: str, entry: LibFunction, count: int) -> None:
    if count < entry.min_args or (entry.max_args is not None and count > entry.max_args):
        expected = (
            f"{entry.min_args}"
            if entry.max_args == entry.min_args
            else f"{entry.min_args}..{'' if entry.max_args is None else entry.max_args}"
        )
        raise StofRuntimeError(f"{where}.{name} takes {expected} arguments, got {count}", kind="FuncArgs")


def _cast_args(entry: LibFunction, args: list[Any] | tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    casts = entry.casts
    if not casts:
        return args
    out = [*args]
    for i, names in enumerate(casts[: len(out)]):
        if names is not None:
            out[i] = cast(out[i], names)
    return out


def _invoke(
    where: str, name: str, entry: LibFunction, receiver: Any, args: list[Any] | tuple[Any, ...]
) -> Any:
    fn, low, high, casts = entry
    count = len(args)
    if count < low or (high is not None and count > high):
        _check_arity(where, name, entry, count)
    if casts:
        args = _cast_args(entry, args)
    try:
        return fn(*args) if receiver is _NO_RECEIVER else fn(receiver, *args)
    except StofRuntimeError:
        raise
    except (RecursionError, MemoryError):
        raise StofRuntimeError(
            f"{where}.{name}: value too large or too deep", kind="BudgetExceeded"
        ) from None
    except (
        ValueError,
        OverflowError,
        ZeroDivisionError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
    ) as exc:
        raise StofRuntimeError(f"{where}.{name}: {exc}", kind="Runtime") from None


_NO_RECEIVER = object()
# Num functions declared without parameters in Stof (any arguments, none cast): `Num.max(null, 5)` is 5
_NO_RECEIVER_NUM = frozenset({"min", "max"})


def _call_host(receiver: Any, name: str, args: list[Any] | tuple[Any, ...], null_safe: bool) -> Any:
    methods = type(receiver).stof_methods
    bounds = methods.get(name)
    if bounds is None:
        if null_safe:
            return None
        raise _func_dne(type(receiver).__name__, name)
    low, high = bounds
    if not low <= len(args) <= high:
        raise StofRuntimeError(f"{name} takes {low}..{high} arguments, got {len(args)}", kind="FuncArgs")
    return getattr(receiver, name)(*args)


def call_method(receiver: Any, name: str, args: list[Any] | tuple[Any, ...], null_safe: bool = False) -> Any:
    """``receiver.name(args)``: the library of the receiver's type (or the host object's own method)."""
    lib_name = _LIB_BY_TYPE.get(type(receiver))
    if lib_name is None:
        if hasattr(type(receiver), "stof_methods"):
            return _call_host(receiver, name, args, null_safe)
        if null_safe:
            return None
        where = "Empty" if receiver is None else typeof(receiver).capitalize()
        raise _func_dne(where, name)
    entry = TABLES[lib_name].get(name)
    if entry is None:
        if null_safe:
            return None
        raise _func_dne(lib_name, name)
    return _invoke(lib_name, name, entry, receiver, args)


def call_library(lib: str, name: str, args: list[Any] | tuple[Any, ...], null_safe: bool = False) -> Any:
    """``Lib.name(args)`` (``Std`` for a bare ``name(args)``)."""
    table = TABLES.get(lib)
    entry = table.get(name) if table is not None else None
    if entry is None:
        if null_safe:
            return None
        raise _func_dne(lib, name)
    receiver_type = _RECEIVER_TYPES.get(lib)
    if receiver_type is None or (lib == "Num" and name in _NO_RECEIVER_NUM):
        return _invoke(lib, name, entry, _NO_RECEIVER, args)
    if not args:
        raise StofRuntimeError(f"{lib}.{name} needs a receiver argument", kind="FuncArgs")
    receiver = args[0]
    if not (
        lib == "Num" and type(receiver) in (builtins.list, tuple, StofSet)
    ):  # Num.max([1, 5], 3) flattens
        receiver = cast(receiver, receiver_type)
    if receiver is None:
        if null_safe:
            return None
        raise _func_dne("Empty", name)
    return _invoke(lib, name, entry, receiver, args[1:])


__all__ = ["LIBRARIES", "MUTATING_METHODS", "TABLES", "call_library", "call_method", "set_clock"]
