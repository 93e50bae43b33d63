"""The Num library: methods on numbers (``(5.5).round()``, ``x.abs()``) and ``Num.min``/``Num.max``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.ops import gt, lt, wrap_i64
from segmentr.stof.printing import to_str
from segmentr.stof.stdlib.table import LibFunction, lib
from segmentr.stof.units import category, saturate_i64
from segmentr.stof.values import VOID, StofSet, Units


def _map_float(v: Any, f: Callable[[float], float]) -> Any:
    """Apply ``f`` to a float or a unit number's value (keeping the unit); ints go through float."""
    if type(v) is Units:
        return Units(_safe(f, v.value), v.unit)
    return _safe(f, float(v))


def _safe(f: Callable[[float], float], x: float) -> float:
    try:
        return f(x)
    except (ValueError, ZeroDivisionError):
        return math.nan
    except OverflowError:
        return math.inf


def round_half_away(x: float) -> float:
    """Rust ``f64::round``: half away from zero, keeps the sign of zero."""
    if not math.isfinite(x):
        return x
    r = float(math.trunc(x))
    if abs(x - r) >= 0.5:
        r += math.copysign(1.0, x)
    return math.copysign(r, x) if r == 0 else r


def _abs(v: Any) -> Any:
    if type(v) is int:
        return wrap_i64(abs(v))
    return _map_float(v, abs)


def _int_or(f: Callable[[float], Any]) -> Callable[[Any], Any]:
    """Ints unchanged; floats (and unit numbers) through ``f``, staying floats (math.floor returns an int)."""

    def as_float(x: float) -> float:
        return float(f(x)) if x == x and x not in (math.inf, -math.inf) else x

    def apply(v: Any) -> Any:
        return v if type(v) is int else _map_float(v, as_float)

    return apply


def _round(v: Any, places: Any = None) -> Any:
    if type(v) is int:
        return v
    p = 0 if places is None else places
    if p == 0:
        return _map_float(v, round_half_away)
    factor = 10.0**p if -308 < p < 308 else math.inf

    def at_places(x: float) -> float:
        return round_half_away(x * factor) / factor

    return _map_float(v, at_places)


def _signum(v: Any) -> Any:
    if type(v) is int:
        return (v > 0) - (v < 0)
    return _map_float(v, lambda x: x if x != x else math.copysign(1.0, x))


def _pow(v: Any, to: Any = None) -> Any:
    exponent = 2.0 if to is None else float(to.value if type(to) is Units else to)
    return _map_float(v, lambda x: math.pow(x, exponent))


def _log(v: Any, base: Any = None) -> Any:
    b = 10.0 if base is None else float(base.value if type(base) is Units else base)
    return _map_float(v, lambda x: _ln(x) / _ln(b))


def _ln(x: float) -> float:
    if x == 0:
        return -math.inf
    if x < 0 or x != x:
        return math.nan
    if x == math.inf:
        return math.inf
    return math.log(x)


def _fract(x: float) -> float:
    return x - math.trunc(x) if math.isfinite(x) else math.nan


def flatten(args: tuple[Any, ...] | list[Any]) -> list[Any]:
    """Values with lists, tuples and sets flattened (recursively)."""
    out: list[Any] = []
    for a in args:
        t = type(a)
        if t is list or t is tuple:
            out.extend(flatten(a))
        elif t is StofSet:
            out.extend(flatten(a.items()))
        else:
            out.append(a)
    return out


def _members(value: Any) -> list[Any] | tuple[Any, ...] | None:
    t = type(value)
    if t is list or t is tuple:
        return value  # type: ignore[no-any-return]
    if t is StofSet:
        return value.items()  # type: ignore[no-any-return]
    return None


def _greatest(value: Any) -> Any:
    """Stof's `maximum` of one argument: a collection's greatest member (nulls skipped, void when empty;
    members are not flattened further), any other value itself."""
    members = _members(value)
    if members is None:
        return value
    result: Any = VOID
    for v in members:
        if result is VOID or result is None or gt(v, result):
            result = v
    return result


def _least(value: Any) -> Any:
    """Stof's `minimum` of one argument: like `_greatest`, starting from null, so an empty collection gives
    null and a null member is kept only when it is the last one."""
    members = _members(value)
    if members is None:
        return value
    result: Any = None
    for v in members:
        if result is None or result is VOID or lt(v, result):
            result = v
    return result


def maximum(*args: Any) -> Any:
    """Stof's ``max(..)``: each argument's `_greatest`, combined from the last argument to the first, a value
    replacing the current one only when it is `>` it. So a null last argument wins (nothing is `>` null),
    a null elsewhere is skipped, and a tie keeps the later argument. No arguments: null."""
    if not args:
        return None
    result = _greatest(args[-1])
    for a in reversed(args[:-1]):
        v = _greatest(a)
        if gt(v, result):
            result = v
    return result


def minimum(*args: Any) -> Any:
    """Stof's ``min(..)``: like `maximum` with `<`. Null is `<` everything, so any null argument wins."""
    if not args:
        return None
    result = _least(args[-1])
    for a in reversed(args[:-1]):
        v = _least(a)
        if lt(v, result):
            result = v
    return result


def _radix(fmt: str) -> Callable[[Any], str]:
    def render(v: Any) -> str:
        n = v if type(v) is int else saturate_i64(v.value if type(v) is Units else v)
        return format(n & 0xFFFFFFFFFFFFFFFF if n < 0 else n, fmt)

    return render


def _to_units(v: Any, unit: Any) -> Any:
    """Cast to a unit given by name (``'hr'``) or by another unit number (``1hr``)."""
    from segmentr.stof.cast import cast

    name = unit.unit if type(unit) is Units else unit
    if type(name) is not str:
        raise StofRuntimeError("to_units takes a unit name or a unit number", kind="FuncArgs")
    return cast(v, (name,))


def _is(cat: str) -> Callable[[Any], bool]:
    return lambda v: type(v) is Units and category(v.unit) == cat


def _num_len(v: Any) -> int:
    return v if type(v) is int else saturate_i64(v.value if type(v) is Units else v)


def _trig(f: Callable[[float], float]) -> Callable[[Any], Any]:
    def apply(v: Any) -> Any:
        if type(v) is Units and v.unit in ("deg", "pdeg"):
            return _safe(f, math.radians(v.value))
        return _safe(f, float(v.value if type(v) is Units else v))

    return apply


def _radians(f: Callable[[float], float]) -> Callable[[Any], Any]:
    """Inverse trigonometric functions return radians."""
    plain = _trig(f)
    return lambda v: Units(plain(v), "rad")


def _atan2(v: Any, other: Any) -> Units:
    x = float(other.value if type(other) is Units else other)
    return Units(math.atan2(float(v.value if type(v) is Units else v), x), "rad")


def _num_at(v: Any, i: int) -> int:
    """``(10).at(5)`` is 5, ``(10).at(20)`` is 10 (iteration over a single-value range)."""
    n = _num_len(v)
    return i if i < n else n


def _checked(v: Any) -> Any:
    if type(v) not in (int, float, Units):
        raise StofRuntimeError("not a number", kind="Cast")
    return v


NUM: dict[str, LibFunction] = {
    "abs": lib(_abs),
    "floor": lib(_int_or(math.floor)),
    "ceil": lib(_int_or(math.ceil)),
    "trunc": lib(_int_or(math.trunc)),
    "round": lib(_round, 0, 1, "int"),
    "fract": lib(lambda v: 0 if type(v) is int else _map_float(v, _fract)),
    "signum": lib(_signum),
    "sqrt": lib(lambda v: _map_float(v, lambda x: math.sqrt(x) if x >= 0 else math.nan)),
    "cbrt": lib(lambda v: _map_float(v, lambda x: math.copysign(abs(x) ** (1 / 3), x))),
    "pow": lib(_pow, 0, 1, "float"),
    "log": lib(_log, 0, 1, "float"),
    "ln": lib(lambda v: _map_float(v, _ln)),
    "exp": lib(lambda v: _map_float(v, math.exp)),
    "sin": lib(_trig(math.sin)),
    "cos": lib(_trig(math.cos)),
    "tan": lib(_trig(math.tan)),
    "asin": lib(_radians(math.asin)),
    "acos": lib(_radians(math.acos)),
    "atan": lib(_radians(math.atan)),
    "atan2": lib(_atan2, 1, 1),
    "asinh": lib(_trig(math.asinh)),
    "acosh": lib(_trig(math.acosh)),
    "atanh": lib(_trig(math.atanh)),
    "exp2": lib(lambda v: _map_float(v, lambda x: math.pow(2.0, x))),
    "sinh": lib(_trig(math.sinh)),
    "cosh": lib(_trig(math.cosh)),
    "tanh": lib(_trig(math.tanh)),
    "min": lib(minimum, 0, None),
    "max": lib(maximum, 0, None),
    "to_string": lib(to_str),
    "hex": lib(_radix("X")),
    "oct": lib(_radix("o")),
    "bin": lib(_radix("b")),
    "has_units": lib(lambda v: type(v) is Units),
    "remove_units": lib(lambda v: v.value if type(v) is Units else v),
    "to_units": lib(_to_units, 1, 1),
    "is_time": lib(_is("time")),
    "is_memory": lib(_is("memory")),
    "is_length": lib(_is("length")),
    "is_mass": lib(_is("mass")),
    "is_temp": lib(_is("temperature")),
    "is_angle": lib(_is("angle")),
    "nan": lib(
        lambda v: (
            type(v) is not int
            and (v.value if type(v) is Units else v) != (v.value if type(v) is Units else v)
        )
    ),
    "inf": lib(lambda v: type(v) is not int and math.isinf(v.value if type(v) is Units else v)),
    "len": lib(_num_len),
    "at": lib(_num_at, 1, 1, "int"),
}

__all__ = ["NUM", "flatten", "maximum", "minimum", "round_half_away"]
