"""Stof's operators with the reference runtime's exact semantics (stof.md §4): truthiness, equality, ordering,
arithmetic (null ignored, units, i64 wrapping), string and collection operators, bitwise operators.

Hot-path functions (truthy, eq, comparisons) test the commonest types first with ``type(v) is X``.
"""

from __future__ import annotations

import math
from typing import Any

from segmentr.stof import limits
from segmentr.stof.errors import StofBudgetExceeded, StofRuntimeError
from segmentr.stof.printing import to_str
from segmentr.stof.sandbox import charge_chars, charge_items, check_clock
from segmentr.stof.sizes import charge_walk
from segmentr.stof.units import RATIO_FACTORS, UNDEFINED, common_unit, convert, scan_number
from segmentr.stof.values import VOID, StofMap, StofSet, Units, Version, is_host, key_token

_I64_MIN = -(2**63)
_U64 = 2**64


def wrap_i64(n: int) -> int:
    """Two's-complement wrap to i64 (Rust release builds wrap on overflow)."""
    if _I64_MIN <= n < 2**63:
        return n
    return ((n - _I64_MIN) % _U64) + _I64_MIN


def _not_implemented(op: str, a: Any, b: Any) -> StofRuntimeError:
    from segmentr.stof.cast import typeof

    return StofRuntimeError(f"{typeof(a)} {op} {typeof(b)} is not supported", kind="NotImplemented")


# ---------------------------------------------------------------- truthiness


def truthy(v: Any) -> bool:
    """Stof truthiness: null/void/false/0/"" and floats whose round() is 0 are false; everything else true."""
    t = type(v)
    if t is bool:
        return v
    if t is str:
        return v != ""
    if t is int:
        return v != 0
    if v is None:
        return False
    if t is float:
        return not (-0.5 < v < 0.5)  # NaN compares false both ways: truthy, as Rust's NaN.round() != 0
    if t is Units:
        return not (-0.5 < v.value < 0.5)
    return v is not VOID


def not_(v: Any) -> bool:
    return not truthy(v)


# ---------------------------------------------------------------- equality


def _num_eq(a: Any, b: Any) -> bool:
    """Both numbers (int, float or Units; no bool)."""
    if type(a) is Units:
        if type(b) is Units:
            if a.unit == b.unit:
                return a.value == b.value
            base = common_unit(a.unit, b.unit)
            if base == UNDEFINED:
                return a.value == b.value
            return convert(a.value, a.unit, base) == convert(b.value, b.unit, base)
        return a.value == float(b)  # a plain number is read in the unit
    if type(b) is Units:
        return float(a) == b.value
    return float(a) == float(b)  # Rust compares `int as f64` with the float


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is float or t is Units


def eq(a: Any, b: Any, _walked: bool = False) -> bool:
    """Stof ``==``: different kinds never equal; numbers numerically (units converted); lists/tuples element-wise;
    maps and sets by content; objects by identity; a version equals a string that parses to it."""
    ta = type(a)
    tb = type(b)
    if ta is tb and (ta is str or ta is int or ta is float or ta is bool):
        return a == b
    if a is None:
        return b is None
    if ta is str:
        return tb is Version and _ver_eq_str(b, a)
    if ta is int or ta is float or ta is Units:
        if tb is int or tb is float or tb is Units:
            return _num_eq(a, b)
        return False
    if ta is bool:
        return tb is bool and a == b
    if a is VOID:
        return b is VOID
    if ta is dict:
        return a is b
    if ta is list or ta is tuple:
        if tb is not ta or len(a) != len(b):
            return False
        if not _walked:  # element-wise over the whole tree: paid for before it starts
            charge_walk(a)
        try:
            return all(eq(x, y, True) for x, y in zip(a, b))
        except RecursionError:
            raise StofBudgetExceeded("values nested too deeply to compare", budget="nesting") from None
    if ta is StofMap:
        if tb is not StofMap or len(a) != len(b):
            return False
        if not _walked:
            charge_walk(a)
        try:
            return all(
                eq(ka, kb, True) and eq(va, vb, True) for (ka, va), (kb, vb) in zip(a.items(), b.items())
            )
        except RecursionError:
            raise StofBudgetExceeded("values nested too deeply to compare", budget="nesting") from None
    if ta is StofSet:
        return tb is StofSet and a == b
    if ta is Version:
        if tb is Version:
            return str(a) == str(b)
        return tb is str and _ver_eq_str(a, b)
    if ta is bytes:
        return tb is bytes and a == b
    return a is b


def _ver_eq_str(ver: Version, text: str) -> bool:
    other = Version.parse(text)
    return other is not None and str(other) == str(ver)


def ne(a: Any, b: Any) -> bool:
    return not eq(a, b)


# ---------------------------------------------------------------- ordering


def _num_values(a: Any, b: Any) -> tuple[float, float]:
    """The two numbers as comparable magnitudes (units converted to their common unit)."""
    if type(a) is Units:
        if type(b) is Units:
            if a.unit != b.unit:
                base = common_unit(a.unit, b.unit)
                if base != UNDEFINED:
                    return convert(a.value, a.unit, base), convert(b.value, b.unit, base)
            return a.value, b.value
        return a.value, float(b)
    if type(b) is Units:
        return float(a), b.value
    return float(a), float(b)  # Rust compares `int as f64` with the float


def _num_int(v: Any) -> int:
    """Rust ``Num::int()``: truncation (saturating)."""
    if type(v) is int:
        return v
    from segmentr.stof.units import saturate_i64

    return saturate_i64(v.value if type(v) is Units else v)


def _is_descendant(parent: Any, child: Any) -> bool:
    """Is object ``child`` nested (strictly) inside object ``parent``?"""
    stack = [x for x in parent.values() if type(x) is dict]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node is child:
            return True
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(x for x in node.values() if type(x) is dict)
    return False


def gt(a: Any, b: Any) -> bool:
    """Stof ``>``."""
    ta = type(a)
    tb = type(b)
    if ta is tb and (ta is int or ta is float or ta is str):
        return a > b
    if a is None:
        return False
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) > float(b)  # Rust compares `int as f64` with the float
    if ta is bool:
        ta, a = int, int(a)
    if ta is int or ta is float or ta is Units:
        if tb is int or tb is float or tb is Units:
            x, y = _num_values(a, b)
            return x > y
        if tb is bool:
            return _num_int(a) > int(b)
        return False
    if ta is str:
        return tb is str and a > b
    if a is None or a is VOID or ta is list or ta is tuple:
        return False
    return _other_cmp(a, b, greater=True)


def lt(a: Any, b: Any) -> bool:
    """Stof ``<``: a null/void/list/tuple left operand is always less."""
    ta = type(a)
    tb = type(b)
    if ta is tb and (ta is int or ta is float or ta is str):
        return a < b
    if a is None:
        return True
    if (ta is int or ta is float) and (tb is int or tb is float):
        return float(a) < float(b)  # Rust compares `int as f64` with the float
    if ta is bool:
        ta, a = int, int(a)
    if ta is int or ta is float or ta is Units:
        if tb is int or tb is float or tb is Units:
            x, y = _num_values(a, b)
            return x < y
        if tb is bool:
            return _num_int(a) < int(b)
        return False
    if ta is str:
        return tb is str and a < b
    if a is None or a is VOID or ta is list or ta is tuple:
        return True
    return _other_cmp(a, b, greater=False)


def _other_cmp(a: Any, b: Any, greater: bool) -> bool:
    ta, tb = type(a), type(b)
    if ta is dict or is_host(a):
        if tb is not dict or ta is not dict:
            return False
        return _is_descendant(a, b) if greater else _is_descendant(b, a)
    if ta in (StofMap, StofSet, bytes):
        if tb is not ta:
            return False
        return len(a) > len(b) if greater else len(a) < len(b)
    if ta is Version:
        other = b if tb is Version else Version.parse(b) if tb is str else None
        if other is None:
            return False
        return a.sort_key() > other.sort_key() if greater else a.sort_key() < other.sort_key()
    return not greater  # functions: like null, `<` true and `>` false


def ge(a: Any, b: Any) -> bool:
    return gt(a, b) or eq(a, b)


def le(a: Any, b: Any) -> bool:
    return lt(a, b) or eq(a, b)


# ---------------------------------------------------------------- numeric core


def _fmod(x: float, y: float) -> float:
    try:
        return math.fmod(x, y)
    except ValueError:
        return math.nan


def _fdiv(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    except OverflowError:
        return math.inf


def _float(v: int | float) -> float:
    return float(v)


def _int_arith(op: str, a: int, b: int) -> int:
    if op == "+":
        return wrap_i64(a + b)
    if op == "-":
        return wrap_i64(a - b)
    if op == "*":
        return wrap_i64(a * b)
    if b == 0:
        raise StofRuntimeError(
            "attempt to divide by zero"
            if op == "/"
            else "attempt to calculate the remainder with a divisor of zero",
            kind="DivideByZero",
        )
    if a == _I64_MIN and b == -1:
        raise StofRuntimeError("attempt to divide with overflow", kind="Overflow")
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    if op == "/":
        return q
    return a - b * q


def _float_arith(op: str, x: float, y: float) -> float:
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        return _fdiv(x, y)
    return _fmod(x, y)


_SAME = (1.0, 1.0)  # x * 1.0 / 1.0 == x exactly


def num_arith(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for two numbers (int, float, Units), as Stof's Num does it."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _int_arith(op, a, b)
    if ta is Units:
        if tb is Units:
            au, bu = a.unit, b.unit
            if au == bu:
                return Units(_float_arith(op, a.value, b.value), au)
            base = common_unit(au, bu)
            fa = RATIO_FACTORS.get((au, base)) if au != base else _SAME
            fb = RATIO_FACTORS.get((bu, base)) if bu != base else _SAME
            if fa is not None and fb is not None:  # time, memory, length, mass: plain ratios
                return Units(
                    _float_arith(op, a.value * fa[0] / fa[1], b.value * fb[0] / fb[1]),
                    base,  # type: ignore[arg-type]
                )
            if base == UNDEFINED or base is None:
                return _float_arith(op, a.value, b.value)
            x = convert(a.value, a.unit, base)
            y = convert(b.value, b.unit, base)
            return Units(_float_arith(op, x, y), base)
        return Units(_float_arith(op, a.value, _float(b)), a.unit)
    if tb is Units:
        return Units(_float_arith(op, _float(a), b.value), b.unit)
    return _float_arith(op, _float(a), _float(b))


def _parse_leading_number(text: str) -> Any:
    """Stof's ``number()`` parser on a string operand: the number at its start (spaces and ``+`` skipped), or None."""
    start = len(text) - len(text.lstrip())
    while text.startswith("+", start):
        start += 1
    scanned = scan_number(text, start)
    if scanned is None:
        return None
    value, unit, _ = scanned
    return Units(value, unit) if unit else value


# ---------------------------------------------------------------- arithmetic operators


def _empty(v: Any) -> bool:
    return v is None or v is VOID


def add(a: Any, b: Any) -> Any:
    """Stof ``+``."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        s = a + b
        return s if -9223372036854775808 <= s <= 9223372036854775807 else wrap_i64(s)
    if b is None or b is VOID:
        return a
    if ta is str:
        if tb is str:
            limits.check_string_size(len(a) + len(b))
            charge_chars(len(a) + len(b))
            return a + b
        text = to_str(b)
        limits.check_string_size(len(a) + len(text))
        charge_chars(len(a) + len(text))
        return a + text
    if a is None or a is VOID:
        return b
    if ta is int or ta is float or ta is Units:
        if tb is int or tb is float or tb is Units:
            return num_arith("+", a, b)
        if tb is str:
            parsed = _parse_leading_number(b)
            if parsed is None:
                limits.check_string_size(len(b) + 24)
                charge_chars(len(b))
                return to_str(a) + b
            return add(a, parsed)
        if tb is bool:
            return num_arith("+", a, 1) if b else a
        raise _not_implemented("+", a, b)
    if ta is bool:
        if tb is bool:
            return a and b
        if tb is int or tb is float or tb is Units:
            return num_arith("+", b, 1) if a else b
        if tb is str:
            limits.check_string_size(len(b) + 5)
            return ("true" if a else "false") + b
        raise _not_implemented("+", a, b)
    if ta is list:
        if tb is list or tb is tuple:
            limits.check_items(len(a) + len(b))
            charge_items(len(a) + len(b))
            return a + list(b)
        if tb is StofSet:
            limits.check_items(len(a) + len(b))
            charge_items(len(a) + len(b))
            return a + b.items()
        limits.check_items(len(a) + 1)
        charge_items(len(a))
        return [*a, b]
    if ta is StofMap:
        if tb is StofMap:
            limits.check_items(len(a) + len(b))
            charge_items(len(a) + len(b))
            merged = a.copy()
            for k, v in b.items():
                merged.insert(k, v)
            limits.check_items(len(merged))
            return merged
        raise _not_implemented("+", a, b)
    if ta is StofSet:
        charge_walk(a)
        charge_walk(b)
        merged_set = a.copy()
        for item in (b.items() if tb is StofSet else b) if tb in (StofSet, list) else [b]:
            merged_set.insert(item)
        limits.check_items(len(merged_set))
        return merged_set
    if ta is bytes:
        if tb is bytes:
            limits.check_items(len(a) + len(b))
            return a + b
        if tb is str:
            text = to_str(a)
            limits.check_string_size(len(text) + len(b))
            return text + b
    raise _not_implemented("+", a, b)


def sub(a: Any, b: Any) -> Any:
    """Stof ``-``."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        s = a - b
        return s if -9223372036854775808 <= s <= 9223372036854775807 else wrap_i64(s)
    if b is None or b is VOID:
        return a
    if a is None or a is VOID:
        return b
    if ta is int or ta is float or ta is Units:
        if tb is int or tb is float or tb is Units:
            return num_arith("-", a, b)
        if tb is str:
            parsed = _parse_leading_number(b)
            if parsed is None:
                raise _not_implemented("-", a, b)
            return sub(a, parsed)
        if tb is bool:
            return num_arith("-", a, 1) if b else a
        raise _not_implemented("-", a, b)
    if ta is str:
        needle = b if tb is str else to_str(b)
        charge_chars(len(a))
        return a.replace(needle, "") if needle else a
    if ta is bool:
        if tb is bool:
            return a != b
        if tb is int or tb is float or tb is Units:
            return num_arith("-", 1, b) if a else num_arith("*", b, -1)
        raise _not_implemented("-", a, b)
    if ta is StofMap:
        if tb is StofMap:
            charge_items(len(a) + len(b))
            result = a.copy()
            for k in b:
                result.remove(k)
            return result
        raise _not_implemented("-", a, b)
    if ta is StofSet:
        charge_walk(a)
        charge_walk(b)
        result_set = a.copy()
        for item in (b.items() if tb is StofSet else b) if tb in (StofSet, list) else [b]:
            result_set.remove(item)
        return result_set
    raise _not_implemented("-", a, b)


def _repeat(text: str, count: Any) -> str:
    n = _num_int(count)
    if n <= 0 or not text:
        return ""
    limits.check_string_size(len(text) * n)
    charge_chars(len(text) * n)
    return text * n


def _set_op(op: str, a: Any, b: Any) -> StofSet:
    left = a.items() if type(a) is StofSet else a
    right = b.items() if type(b) is StofSet else b
    charge_walk(left)  # a token per member, nested members included: paid before any is built
    charge_walk(right)
    if op == "/":
        limits.check_items(len(left) + len(right))
        return StofSet([*left, *right])
    left_keyed = _keyed(left)
    right_keyed = _keyed(right)
    right_tokens = {token for token, _ in right_keyed}
    if op == "*":
        return StofSet.from_keyed(pair for pair in left_keyed if pair[0] in right_tokens)
    left_tokens = {token for token, _ in left_keyed}
    return StofSet.from_keyed(
        [pair for pair in left_keyed if pair[0] not in right_tokens]
        + [pair for pair in right_keyed if pair[0] not in left_tokens]
    )


_KEYED_CHUNK = 4096


def _keyed(items: Any) -> list[tuple[Any, Any]]:
    """(key_token, item) for each item, the clock looked at between chunks (a big set operation is long)."""
    if len(items) <= _KEYED_CHUNK:
        return [(key_token(x), x) for x in items]
    keyed: list[tuple[Any, Any]] = []
    for start in range(0, len(items), _KEYED_CHUNK):
        check_clock()
        keyed.extend([(key_token(x), x) for x in items[start : start + _KEYED_CHUNK]])
    return keyed


def _map_op(op: str, a: StofMap, b: StofMap) -> StofMap:
    charge_items(len(a) + len(b))
    if op == "*":
        return StofMap((k, v) for k, v in a.items() if b.contains(k))
    if op == "/":
        merged = a.copy()
        for k, v in b.items():
            if not merged.contains(k):
                merged.insert(k, v)
        return merged
    return StofMap(
        [(k, v) for k, v in a.items() if not b.contains(k)]
        + [(k, v) for k, v in b.items() if not a.contains(k)]
    )


def _arith_other(op: str, a: Any, b: Any) -> Any:
    """``*``, ``/``, ``%`` once the int-int fast path and null operands are handled."""
    ta, tb = type(a), type(b)
    if ta is int or ta is float or ta is Units:
        if tb is int or tb is float or tb is Units:
            return num_arith(op, a, b)
        if tb is str:
            parsed = _parse_leading_number(b)
            if parsed is None:
                raise _not_implemented(op, a, b)
            return _binary(op, a, parsed)
        if tb is bool and op == "*":
            return num_arith("*", a, 1 if b else 0)
        raise _not_implemented(op, a, b)
    if ta is str:
        if op == "*":
            if tb is str:
                limits.check_string_size(len(a) + len(b))
                charge_chars(len(a) + len(b))
                return a + b
            if tb is int or tb is float or tb is Units:
                return _repeat(a, b)
        elif tb is str:
            limits.check_items(a.count(b) + 1 if b else len(a) + 2)
            charge_chars(len(a))
            return a.split(b) if b else _split_empty(a)
        text = to_str(b)
        limits.check_string_size(len(a) + len(text))
        charge_chars(len(a) + len(text))
        return a + text
    if ta is bool:
        if tb is bool:
            return (a or b) if op == "*" else (a and b)
        raise _not_implemented(op, a, b)
    if ta is list or ta is StofSet:
        if tb is list or tb is StofSet:
            return _set_op(op, a, b)
        raise _not_implemented(op, a, b)
    if ta is StofMap and tb is StofMap:
        return _map_op(op, a, b)
    raise _not_implemented(op, a, b)


def _split_empty(text: str) -> list[str]:
    # Rust's str::split("") yields "", each char, "".
    return ["", *list(text), ""]


def _binary(op: str, a: Any, b: Any) -> Any:
    if op == "*":
        return mul(a, b)
    if op == "/":
        return div(a, b)
    return mod(a, b)


def mul(a: Any, b: Any) -> Any:
    """Stof ``*``."""
    if type(a) is int and type(b) is int:
        p = a * b
        return p if -9223372036854775808 <= p <= 9223372036854775807 else wrap_i64(p)
    if b is None or b is VOID:
        return a
    if a is None or a is VOID:
        return b
    return _arith_other("*", a, b)


def div(a: Any, b: Any) -> Any:
    """Stof ``/`` (integer division truncates; integer division by zero is an error)."""
    if type(a) is int and type(b) is int:
        return _int_arith("/", a, b)
    if b is None or b is VOID:
        return a
    if a is None or a is VOID:
        return b
    return _arith_other("/", a, b)


def mod(a: Any, b: Any) -> Any:
    """Stof ``%`` (Rust remainder: the sign of the dividend)."""
    if type(a) is int and type(b) is int:
        return _int_arith("%", a, b)
    if b is None or b is VOID:
        return a
    if a is None or a is VOID:
        return b
    return _arith_other("%", a, b)


def neg(v: Any) -> Any:
    """Prefix ``-x`` is ``-1 * x`` (so ``-null`` is -1)."""
    if type(v) is int:
        return wrap_i64(-v)
    if type(v) is float:
        return -v
    return mul(-1, v)


# ---------------------------------------------------------------- bitwise


def _bit_operand(v: Any) -> int:
    t = type(v)
    if t is int:
        return v
    return _num_int(v)


def _bitwise(op: str, a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta not in (int, float, Units) or tb not in (int, float, Units):
        raise _not_implemented(op, a, b)
    x, y = _bit_operand(a), _bit_operand(b)
    if op == "&":
        r = x & y
    elif op == "|":
        r = x | y
    elif op == "^":
        r = x ^ y
    elif op == "<<":
        r = wrap_i64(x << (y & 63))  # release builds mask the shift amount
    else:
        r = x >> (y & 63)
    if ta is Units:
        return Units(float(r), a.unit)
    return r


def bit_and(a: Any, b: Any) -> Any:
    return _bitwise("&", a, b)


def bit_or(a: Any, b: Any) -> Any:
    return _bitwise("|", a, b)


def bit_xor(a: Any, b: Any) -> Any:
    return _bitwise("^", a, b)


def shl(a: Any, b: Any) -> Any:
    return _bitwise("<<", a, b)


def shr(a: Any, b: Any) -> Any:
    return _bitwise(">>", a, b)


__all__ = [
    "add",
    "bit_and",
    "bit_or",
    "bit_xor",
    "div",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "mod",
    "mul",
    "ne",
    "neg",
    "not_",
    "num_arith",
    "shl",
    "shr",
    "sub",
    "truthy",
    "wrap_i64",
]
