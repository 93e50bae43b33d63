"""Stof's ``as T`` / typed-declaration casts (stof.md §2) and the ``typeof`` / ``typename`` operators."""

from __future__ import annotations

from typing import Any

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.printing import to_str
from segmentr.stof.units import (
    RATIO_FACTORS,
    SUFFIXES,
    UNDEFINED,
    UNITS,
    common_unit,
    convert,
    parse_number_literal,
    saturate_i64,
)
from segmentr.stof.units import unit_from_type_name as _unit_of
from segmentr.stof.values import VOID, StofMap, StofSet, Units, Version, is_host

# ---------------------------------------------------------------- typeof / typename


def typeof(v: Any) -> str:
    """The general type name: ``int float str bool null void list map set blob fn ver obj`` or ``(int, str)``."""
    t = type(v)
    if t is str:
        return "str"
    if t is int:
        return "int"
    if v is None:
        return "null"
    if t is bool:
        return "bool"
    if t is float or t is Units:
        return "float"
    if t is dict:
        return "obj"
    if t is list:
        return "list"
    if t is tuple:
        return "(" + ", ".join(typeof(x) for x in v) + ")"
    if t is StofMap:
        return "map"
    if t is StofSet:
        return "set"
    if v is VOID:
        return "void"
    if t is Version:
        return "ver"
    if t is bytes:
        return "blob"
    if is_host(v):
        return "obj"
    if callable(v):
        return "fn"
    return "unknown"


def typename(v: Any) -> str:
    """The specific type name: a unit number's unit (``ms``, ``days``), tuples element-wise, else ``typeof``."""
    t = type(v)
    if t is Units:
        return v.unit
    if t is tuple:
        return "(" + ", ".join(typename(x) for x in v) + ")"
    return typeof(v)


def member_type(type_of: Any, owner: Any, name: str) -> str:
    """``typeof owner.name`` (``type_of`` is ``typeof`` or ``typename``): a host object's method is a function,
    'fn', as a method of a Stof object is; anything else is the type of the field (null when missing)."""
    methods = getattr(type(owner), "stof_methods", None)
    if methods is not None and name in methods:
        return "fn"
    return str(type_of(owner.get(name) if type(owner) is dict else None))


# ---------------------------------------------------------------- cast


def _cast_error(v: Any, target: str, kind: str = "Cast") -> StofRuntimeError:
    return StofRuntimeError(f"cannot cast {typeof(v)} to {target}", kind=kind)


def _parse_str_number(v: str, target: str) -> int | float | Units:
    parsed = parse_number_literal(v)
    if parsed is None:
        raise _cast_error(v, target)
    value, unit = parsed
    return Units(value, unit) if unit else value


def _to_unit(v: Any, unit: str) -> Any:
    t = type(v)
    if t is Units:
        if v.unit == unit:
            return v
        try:
            return Units(convert(v.value, v.unit, unit), unit)
        except ValueError:
            base = common_unit(v.unit, unit) or UNDEFINED
            return Units(v.value, base)  # incompatible: the unit becomes "undefined", value kept
    if t is int or t is float:
        return Units(float(v), unit)  # a plain number takes the unit without scaling
    if t is str:
        return _to_unit(_parse_str_number(v, unit), unit)
    if t is bool:
        return Units(1.0 if v else 0.0, unit)
    raise _cast_error(v, unit)


def _to_int(v: Any) -> Any:
    t = type(v)
    if t is int:
        return v
    if t is float:
        return saturate_i64(v)
    if t is Units:
        return saturate_i64(v.value)  # drops the unit, no conversion
    if t is bool:
        return 1 if v else 0
    if t is str:
        return _to_int(_parse_str_number(v, "int"))
    raise _cast_error(v, "int")


def _to_float(v: Any) -> Any:
    t = type(v)
    if t is float or t is Units:
        return v  # a unit number stays a unit number
    if t is int:
        return float(v)
    if t is bool:
        return 1.0 if v else 0.0
    if t is str:
        parsed = _parse_str_number(v, "float")
        return parsed if type(parsed) is Units else float(parsed)
    raise _cast_error(v, "float")


def _to_str(v: Any) -> Any:
    t = type(v)
    if t is str:
        return v
    if t in (int, float, Units, bool, Version):
        return to_str(v)
    if t is dict or is_host(v):
        raise _cast_error(v, "str")
    raise _cast_error(v, "str", kind="NotImplemented")


def _split_tuple_type(name: str) -> list[str] | None:
    """``(int, (str, float))`` -> ["int", "(str, float)"]; None if ``name`` is not a tuple type."""
    if not (name.startswith("(") and name.endswith(")")):
        return None
    parts: list[str] = []
    depth, current = 0, []
    for ch in name[1:-1]:
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += ch == "("
        depth -= ch == ")"
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _matches(v: Any, name: str) -> bool:
    """Does ``v`` already have type ``name`` (so a union cast keeps it as-is)?"""
    if name in ("unknown", "data"):
        return True
    if name == "float":
        return type(v) is float or type(v) is Units
    unit = _unit_of(name)
    if unit is not None:
        return type(v) is Units and v.unit == unit
    return typeof(v) == name.replace(" ", "") or typeof(v) == name


# Type names that denote a unit (``ms``, ``second``, ``days``...) -> the canonical unit.
_UNIT_TARGETS: dict[str, str] = {
    name: unit
    for name in (*(literal for literal, _ in SUFFIXES), "second", *UNITS)
    if (unit := _unit_of(name)) is not None
}


def _cast_one(v: Any, name: str) -> Any:
    unit = _UNIT_TARGETS.get(name)
    if unit is not None:
        if type(v) is Units and v.unit == unit:
            return v
        return _to_unit(v, unit)
    if name == "int":
        return _to_int(v)
    if name == "float":
        return _to_float(v)
    if name == "str":
        return _to_str(v)
    if name == "bool":
        if type(v) is bool:
            return v
        if type(v) in (int, float, Units, str):
            from segmentr.stof.ops import truthy

            return truthy(v)
        raise _cast_error(v, "bool")
    if name in ("unknown", "data"):
        return v
    t = type(v)
    if name == "list":
        if t is list:
            return v
        if t is StofSet:
            return list(v.items())
        raise _cast_error(v, "list", kind="NotImplemented")
    if name == "set":
        if t is StofSet:
            return v
        if t is list:
            return StofSet(v)
        raise _cast_error(v, "set", kind="NotImplemented")
    if name == "map":
        if t is StofMap:
            return v
        if t is dict:
            return StofMap(v.items())
        raise _cast_error(v, "map", kind="NotImplemented")
    if name == "obj":
        if t is dict or is_host(v):
            return v
        raise _cast_error(v, "obj")
    if name == "ver":
        if t is Version:
            return v
        if t is str:
            parsed = Version.parse(v)
            if parsed is not None:
                return parsed
        raise _cast_error(v, "ver")
    if name == "blob":
        if t is bytes:
            return v
        if t is str:
            return v.encode()
        raise _cast_error(v, "blob", kind="NotImplemented")
    if name == "void":
        if v is VOID:
            return v
        raise _cast_error(v, "void")
    if name == "null":
        raise _cast_error(v, "null")
    if name == "fn":
        if callable(v) and not is_host(v) and t not in (dict, list, tuple):
            return v
        raise _cast_error(v, "fn")
    element_types = _split_tuple_type(name)
    if element_types is not None:
        if t is tuple and len(v) == len(element_types):
            return tuple(cast(x, (et,)) for x, et in zip(v, element_types))
        raise _cast_error(v, name, kind="NotImplemented" if t is not tuple else "Cast")
    # an object prototype name: objects pass, anything else cannot become one
    if t is dict or is_host(v):
        return v
    raise _cast_error(v, name)


def unit_target(name: str) -> str | None:
    """The canonical unit a type name casts to (``ms``, ``days`` for ``day``), or None when it is no unit."""
    return _UNIT_TARGETS.get(name)


def cast(v: Any, names: tuple[str, ...] | list[str], not_null: bool = False) -> Any:
    """Cast ``v`` to the union ``names`` (``as T``, ``let x: T``). Null stays null (unless ``T!``); a value that
    already has one of the types is kept; otherwise the first alternative that accepts it wins."""
    if v is None:
        if not_null:
            raise StofRuntimeError("null value for a not-null type", kind="Cast")
        return None
    if len(names) == 1:
        name = names[0]
        if type(v) is Units:  # the hot `const ts: ms = Time.now() - 7days;`
            unit = _UNIT_TARGETS.get(name)
            if unit is not None:
                if v.unit == unit:
                    return v
                factors = RATIO_FACTORS.get((v.unit, unit))
                if factors is not None:
                    return Units(v.value * factors[0] / factors[1], unit)
        return _cast_one(v, name)
    for name in names:
        if _matches(v, name):
            return v
    error: StofRuntimeError | None = None
    for name in names:
        if name == "null":
            continue
        try:
            return _cast_one(v, name)
        except StofRuntimeError as exc:
            error = error or exc
    raise error or _cast_error(v, " | ".join(names))


__all__ = ["cast", "typename", "typeof", "unit_target"]
