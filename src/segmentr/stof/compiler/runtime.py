"""Names shared by the generator, the generated code and the closure tier: operator tables, the runtime
helpers generated code calls, and the runtime namespace."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..errors import StofBudgetExceeded, StofRuntimeError

PARAMETERS = ("customer", "data", "policy")
# "no `data` binding given" for the entries (`_matches_customer(customer, policy, data=ABSENT_BINDING)`): the
# customer's metadata then stands in; shared by both tiers so an entry can hand a call on to the other
ABSENT_BINDING: Any = object()
FUNCTION_NAME = "_condition"
IMPLICIT_LOOP_NAMES = ("index", "first", "last", "length", "iterable")

COMPARE_FUNCS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
COMPARE_PY = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
ARITH_FUNCS = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod",
    "&": "bit_and", "|": "bit_or", "^": "bit_xor", "<<": "shl", ">>": "shr",
}  # fmt: skip
ASSIGN_FUNCS = {op + "=": fn for op, fn in ARITH_FUNCS.items()}
# Exact for every int or float operand: a literal int up to 2**53 converts to f64 without loss.
EXACT_INT_LITERAL = 2**53
# Stof expression levels per generated statement (each level is at most ~4 Python bracket levels; Python's
# parser allows 200): deeper subexpressions move into helper functions.
HOIST_DEPTH = 24
GENERATOR_RECURSION_LIMIT = 20_000


class _LoopJump(Exception):
    """A labelled ``break ^l;``/``continue ^l;`` crossing inner loops: caught by the labelled loop."""

    __slots__ = ("token",)

    def __init__(self, token: int) -> None:
        self.token = token


def mangle(name: str) -> str:
    """A Stof identifier as a Python identifier: ``v_`` + the name, ``_`` doubled, anything else ``_<hex>_``."""
    out = ["v_"]
    for ch in name:
        if ch == "_":
            out.append("__")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append(f"_{ord(ch):x}_")
    return "".join(out)


def _runtime_error(kind: str, message: str) -> StofRuntimeError:
    return StofRuntimeError(message, kind=kind)


_NOT_THROWN = object()


def _error_value(error: StofRuntimeError) -> Any:
    """What a catch variable holds: the thrown value itself for ``throw(v)`` (Stof's ``Error::Thrown``), else
    the error's text."""
    thrown = getattr(error, "thrown", _NOT_THROWN)
    return str(error) if thrown is _NOT_THROWN else thrown


def _swap(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``fn`` taking its operands right first: Stof evaluates arithmetic operands right to left."""

    def swapped(right: Any, left: Any) -> Any:
        return fn(left, right)

    return swapped


def _assign_path(
    root: Any, names: tuple[str, ...], value: Any, combine: Callable[[Any, Any], Any] | None
) -> None:
    """``root.a.b = value`` (or ``op=``): walk object fields, creating missing child objects."""
    target = root
    for name in names[:-1]:
        if type(target) is not dict:
            raise StofRuntimeError(f"cannot assign into a non-object at {name!r}", kind="AssignRootNonObj")
        child = target.get(name)
        if child is None:
            child = target[name] = {}
        target = child
    if type(target) is not dict:
        raise StofRuntimeError("cannot assign a field of a non-object", kind="AssignRootNonObj")
    last = names[-1]
    target[last] = combine(target.get(last), value) if combine is not None else value


def _copy_host_result(result: Any, receiver: Any) -> Any:
    return copy.deepcopy(result) if hasattr(type(receiver), "stof_methods") else result


SUPPORT_NAMES: dict[str, Any] = {
    "_copy_host_result": _copy_host_result,
    "type": type,
    "range": range,
    "enumerate": enumerate,
    "len": len,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "Exception": Exception,
    "StofRuntimeError": StofRuntimeError,
    "StofBudgetExceeded": StofBudgetExceeded,
    "_LoopJump": _LoopJump,
    "_runtime_error": _runtime_error,
    "_error_value": _error_value,
    "_assign_path": _assign_path,
    "_DICT_ITEMS": type({}.items()),
}


def runtime_namespace() -> dict[str, Any]:
    """The runtime names generated code may call, taken from the runtime modules."""
    from .. import access, cast, ops, sandbox, stdlib, values

    ns: dict[str, Any] = {}
    for name in (*COMPARE_FUNCS.values(), *ARITH_FUNCS.values(), "truthy", "neg", "not_"):
        ns[name] = getattr(ops, name)
    ns["cast"] = cast.cast
    ns["typeof"] = cast.typeof
    ns["typename"] = cast.typename
    ns["member_type"] = cast.member_type
    ns["get_field"] = access.get_field
    ns["iter_len"] = access.iter_len
    ns["iter_at"] = access.iter_at
    ns["call_method"] = stdlib.call_method
    ns["call_library"] = stdlib.call_library
    ns["LIBRARIES"] = stdlib.LIBRARIES
    ns["TABLES"] = stdlib.TABLES
    ns["MUTATING_METHODS"] = stdlib.MUTATING_METHODS
    ns["_ACTIVE"] = sandbox.ACTIVE
    ns["_LAZY"] = sandbox.LAZY
    for name in ("VOID", "Units", "StofMap", "StofSet", "Version"):
        ns[name] = getattr(values, name)
    return ns
