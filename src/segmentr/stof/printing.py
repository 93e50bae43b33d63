"""How Stof prints values (``str()``, string concatenation, ``join``): Rust's float format, quoted strings inside
containers, maps as ``{("a" -> 1)}``, objects as compact JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from segmentr.stof.errors import StofBudgetExceeded
from segmentr.stof.limits import MAX_NESTING, MAX_STRING_BYTES
from segmentr.stof.sandbox import charge_chars
from segmentr.stof.sizes import check_printed_size
from segmentr.stof.values import VOID, StofMap, StofSet, Units, Version, is_host


def format_float(x: float) -> str:
    """Rust's ``{}`` for f64: shortest round-trip digits, never an exponent, no trailing ``.0``."""
    if x != x:
        return "NaN"
    if x == float("inf"):
        return "inf"
    if x == float("-inf"):
        return "-inf"
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


_CONTAINERS = (list, tuple, dict, StofMap, StofSet)


def to_str(v: Any) -> str:
    """The top-level printed form of ``v`` (strings raw). A container's printed size is estimated (shared
    references expanded) and refused past the string limit before anything is built."""
    if type(v) in _CONTAINERS:
        charge_chars(check_printed_size(v, MAX_STRING_BYTES))
    try:
        return _to_str(v)
    except RecursionError:
        raise StofBudgetExceeded("value nested too deeply to print", budget="nesting") from None


def _to_str(v: Any) -> str:
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is float:
        return format_float(v)
    if t is Units:
        return format_float(v.value) + v.unit
    if v is VOID:
        return ""
    if t is list:
        return "[" + ", ".join([_inner(x) for x in v]) + "]"
    if t is tuple:
        return "(" + ", ".join([_inner(x) for x in v]) + ")"
    if t is dict:
        return json.dumps(to_json(v), separators=(",", ":"), ensure_ascii=False)
    if t is StofMap:
        return "{" + ", ".join([f"({_inner(k)} -> {_inner(x)})" for k, x in v.items()]) + "}"
    if t is StofSet:
        return "{" + ", ".join([_inner(x) for x in v.items()]) + "}"
    if t is Version:
        return str(v)
    if t is bytes:
        return "|" + ", ".join(str(b) for b in v) + "|"
    if is_host(v):
        return "obj"
    if callable(v):
        return "fn"
    return str(v)


def _inner(v: Any) -> str:
    """The in-container form: strings in double quotes (unescaped, as Stof does), everything else as at top."""
    if type(v) is str:
        return '"' + v + '"'
    return _to_str(v)


def to_inner_str(v: Any) -> str:
    """Public name of the in-container printed form."""
    if type(v) is str:
        return '"' + v + '"'
    return to_str(v)


def to_json(v: Any, depth: int = 0) -> Any:
    """``v`` as JSON-compatible Python data (how objects export: nested objects, lists, plain numbers)."""
    if depth > MAX_NESTING:
        raise StofBudgetExceeded("value nested too deeply to print", budget="nesting")
    t = type(v)
    if t is dict:
        return {str(k): to_json(x, depth + 1) for k, x in v.items()}
    if t is list or t is tuple:
        return [to_json(x, depth + 1) for x in v]
    if t is float:
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    if t is Units:
        return to_json(v.value)
    if v is None or t in (str, int, bool):
        return v
    if v is VOID:
        return None
    if t is StofMap:
        return {to_str(k): to_json(x, depth + 1) for k, x in v.items()}
    if t is StofSet:
        return [to_json(x, depth + 1) for x in v.items()]
    if t is bytes:
        return list(v)
    return to_str(v)


def shown_value(v: Any) -> Any:
    """A condition's result as JSON for a reader (an API answer): a unit value printed with its unit (``"5MB"``),
    anything else as it exports (``to_json``; host objects printed); None when nested past the printing limit."""
    try:
        return to_str(v) if type(v) is Units else to_json(v)
    except StofBudgetExceeded:
        return None


__all__ = ["format_float", "shown_value", "to_inner_str", "to_json", "to_str"]
