"""Stof's unit table (stof.md §1): suffix parsing, categories, conversion and the common unit of two units.

Also parses whole Stof number literals (``"30days"``, ``"0x1F"``, ``"1e3"``), which string-to-number casts and the
policy engine need. Conversions follow Stof 0.9.21: time goes through float milliseconds, the other ratio units
through their category's base unit (meter, gram, bit).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

UNDEFINED = "undefined"


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """One canonical unit: its category, sub-family (metric/imperial), factor to the base unit and rank."""

    name: str
    category: str
    family: str
    factor: float
    rank: int  # Stof's enum order: the common unit of two same-family units is the one with the smaller rank,
    # except memory where it is the larger (Stof compares the enum the other way round there).


_I64_MAX = 9_223_372_036_854_775_807
_I64_MIN = -9_223_372_036_854_775_808

# (canonical, category, family, factor to the base) in Stof's enum order.
_TABLE: list[tuple[str, str, str, float]] = [
    ("km", "length", "metric", 1000.0),
    ("hm", "length", "metric", 100.0),
    ("dcm", "length", "metric", 10.0),
    ("m", "length", "metric", 1.0),
    ("dm", "length", "metric", 0.1),
    ("cm", "length", "metric", 0.01),
    ("mm", "length", "metric", 0.001),
    ("um", "length", "metric", 0.000001),
    ("nm", "length", "metric", 0.000000001),
    ("mi", "length", "imperial", 1609.344),
    ("yd", "length", "imperial", 0.9144),
    ("ft", "length", "imperial", 0.3048),
    ("in", "length", "imperial", 0.0254),
    # time: factors to milliseconds (units.rs in 0.9.21 converts through ms)
    ("days", "time", "time", 86_400_000.0),
    ("hr", "time", "time", 3_600_000.0),
    ("min", "time", "time", 60_000.0),
    ("s", "time", "time", 1000.0),
    ("ms", "time", "time", 1.0),
    ("us", "time", "time", 0.001),
    ("ns", "time", "time", 0.000001),
    ("K", "temperature", "temperature", 1.0),
    ("C", "temperature", "temperature", 1.0),
    ("F", "temperature", "temperature", 1.0),
    ("Gt", "mass", "metric", 1e15),
    ("Mt", "mass", "metric", 1e12),
    ("t", "mass", "metric", 1e6),
    ("kg", "mass", "metric", 1000.0),
    ("g", "mass", "metric", 1.0),
    ("mg", "mass", "metric", 0.001),
    ("ug", "mass", "metric", 0.000001),
    ("ng", "mass", "metric", 0.000000001),
    ("pg", "mass", "metric", 0.000000000001),
    ("Ton", "mass", "imperial", 907184.74),
    ("lb", "mass", "imperial", 453.59237),
    ("oz", "mass", "imperial", 28.349523125),
    ("deg", "angle", "angle", 1.0),
    ("rad", "angle", "angle", 1.0),
    ("pdeg", "angle", "angle", 1.0),
    ("prad", "angle", "angle", 1.0),
    ("bits", "memory", "memory", 1.0),
    ("bytes", "memory", "memory", 8.0),
    ("KiB", "memory", "memory", 8.0 * 1024),
    ("KB", "memory", "memory", 8.0 * 1000),
    ("MiB", "memory", "memory", 8.0 * 1024**2),
    ("MB", "memory", "memory", 8.0 * 1000**2),
    ("GiB", "memory", "memory", 8.0 * 1024**3),
    ("GB", "memory", "memory", 8.0 * 1000**3),
    ("TiB", "memory", "memory", 8.0 * 1024**4),
    ("TB", "memory", "memory", 8.0 * 1000**4),
    ("PiB", "memory", "memory", 8.0 * 1024**5),
    ("PB", "memory", "memory", 8.0 * 1000**5),
    ("EiB", "memory", "memory", 8.0 * 1024**6),
    ("EB", "memory", "memory", 8.0 * 1000**6),
    ("ZiB", "memory", "memory", 8.0 * 1024**7),
    ("ZB", "memory", "memory", 8.0 * 1000**7),
    ("YiB", "memory", "memory", 8.0 * 1024**8),
    ("YB", "memory", "memory", 8.0 * 1000**8),
]

UNITS: dict[str, UnitInfo] = {
    name: UnitInfo(name, cat, fam, factor, rank) for rank, (name, cat, fam, factor) in enumerate(_TABLE)
}
UNITS[UNDEFINED] = UnitInfo(UNDEFINED, UNDEFINED, UNDEFINED, 1.0, -1)

# Literal suffixes in first-match order (a longer spelling precedes its own prefix: "days" before "day").
SUFFIXES: list[tuple[str, str]] = [
    ("days", "days"), ("day", "days"), ("hr", "hr"), ("hours", "hr"), ("minutes", "min"), ("min", "min"),
    ("ms", "ms"), ("milliseconds", "ms"), ("us", "us"), ("microseconds", "us"), ("ns", "ns"),
    ("nanoseconds", "ns"), ("seconds", "s"), ("s", "s"),
    ("bits", "bits"), ("bit", "bits"), ("bytes", "bytes"), ("byte", "bytes"),
    ("KiB", "KiB"), ("kibibytes", "KiB"), ("KB", "KB"), ("kilobytes", "KB"),
    ("MiB", "MiB"), ("mebibytes", "MiB"), ("MB", "MB"), ("megabytes", "MB"),
    ("GiB", "GiB"), ("gibibytes", "GiB"), ("GB", "GB"), ("gigabytes", "GB"),
    ("TiB", "TiB"), ("tebibytes", "TiB"), ("TB", "TB"), ("terabytes", "TB"),
    ("PiB", "PiB"), ("pebibytes", "PiB"), ("PB", "PB"), ("petabytes", "PB"),
    ("EiB", "EiB"), ("exbibytes", "EiB"), ("EB", "EB"), ("exabytes", "EB"),
    ("ZiB", "ZiB"), ("zebibytes", "ZiB"), ("ZB", "ZB"), ("zettabytes", "ZB"),
    ("YiB", "YiB"), ("yobibytes", "YiB"), ("YB", "YB"), ("yottabytes", "YB"),
    ("radians", "rad"), ("rad", "rad"), ("degrees", "deg"), ("deg", "deg"),
    ("pradians", "prad"), ("prad", "prad"), ("pdegrees", "pdeg"), ("pdeg", "pdeg"),
    ("km", "km"), ("kilometers", "km"), ("hm", "hm"), ("hectometers", "hm"), ("dcm", "dcm"),
    ("decameters", "dcm"), ("dm", "dm"), ("decimeters", "dm"), ("cm", "cm"), ("centimeters", "cm"),
    ("mm", "mm"), ("millimeters", "mm"), ("um", "um"), ("micrometers", "um"), ("nm", "nm"),
    ("nanometers", "nm"), ("yd", "yd"), ("yards", "yd"), ("ft", "ft"), ("feet", "ft"), ("inches", "in"),
    ("in", "in"),
    ("K", "K"), ("kelvin", "K"), ("C", "C"), ("celsius", "C"), ("F", "F"), ("fahrenheit", "F"),
    ("Gt", "Gt"), ("gigatonnes", "Gt"), ("Mt", "Mt"), ("megatonnes", "Mt"), ("kg", "kg"), ("kilograms", "kg"),
    ("mg", "mg"), ("milligrams", "mg"), ("ug", "ug"), ("micrograms", "ug"), ("ng", "ng"), ("nanograms", "ng"),
    ("pg", "pg"), ("picograms", "pg"), ("tons", "Ton"), ("Ton", "Ton"), ("lbs", "lb"), ("lb", "lb"),
    ("oz", "oz"), ("ounces", "oz"), ("grams", "g"), ("g", "g"), ("tonnes", "t"), ("t", "t"),
    ("miles", "mi"), ("mi", "mi"), ("meters", "m"), ("m", "m"),
]  # fmt: skip

# Type names usable after `as` / `:` (units.rs `From<&str>`): every suffix plus `second`, long names.
_TYPE_NAMES: dict[str, str] = {lit: canon for lit, canon in SUFFIXES}
_TYPE_NAMES.update({"second": "s", "ounces": "oz", "tons": "Ton", "exbibyte": "EiB"})
for _canonical in UNITS:
    if _canonical != UNDEFINED:
        _TYPE_NAMES.setdefault(_canonical, _canonical)


def parse_unit_suffix(text: str, pos: int) -> tuple[str, int] | None:
    """The unit suffix starting at ``text[pos]`` as (canonical name, length in characters), or None."""
    for literal, canonical in SUFFIXES:
        if text.startswith(literal, pos):
            return canonical, len(literal)
    return None


def unit_from_type_name(name: str) -> str | None:
    """The canonical unit a type name denotes (``second`` -> ``s``, ``days`` -> ``days``), or None."""
    return _TYPE_NAMES.get(name)


def category(unit: str) -> str:
    """The unit's category: time, memory, length, mass, temperature, angle or undefined."""
    info = UNITS.get(unit)
    return info.category if info else UNDEFINED


def is_time(unit: str | None) -> bool:
    info = UNITS.get(unit) if unit else None
    return info is not None and info.category == "time"


_COMMON_CACHE: dict[tuple[str, str], str] = {}


def common_unit(a: str | None, b: str | None) -> str | None:
    """The unit two unit numbers are combined in (Stof ``Units::common``); ``undefined`` across categories."""
    if a and b:
        cached = _COMMON_CACHE.get((a, b))
        if cached is None:
            cached = _common_unit(a, b) or UNDEFINED
            if a in UNITS and b in UNITS:
                _COMMON_CACHE[(a, b)] = cached
        return cached
    return a or b


def _common_unit(a: str | None, b: str | None) -> str | None:
    if not a:
        return b
    if not b:
        return a
    if a == UNDEFINED or b == UNDEFINED:
        return UNDEFINED
    if a == b:
        return a
    ia, ib = UNITS[a], UNITS[b]
    if ia.category != ib.category:
        return UNDEFINED
    if ia.category == "angle":
        if a in ("deg", "pdeg") and b in ("deg", "pdeg"):
            return "pdeg"
        return "prad" if "p" in (a[0], b[0]) else "rad"
    if ia.family != ib.family:  # metric with imperial: the SI base
        return "m" if ia.category == "length" else "kg"
    if ia.category == "memory":
        return a if ia.rank > ib.rank else b
    return a if ia.rank < ib.rank else b


def _to_radians(value: float, unit: str) -> float:
    return value * math.pi / 180.0 if unit in ("deg", "pdeg") else value


def _from_radians(rad: float, unit: str) -> float:
    if unit in ("deg", "pdeg"):
        value, full = rad * 180.0 / math.pi, 360.0
    else:
        value, full = rad, math.pi * 2.0
    positive = unit in ("pdeg", "prad")
    if (value >= full) if positive else (value > full):
        value %= full
    if (value <= -full) if positive else (value < -full):
        value = -(abs(value) % full)
    if positive and value < 0:
        value = full + value
    if math.isfinite(value):
        value = round(value * 1e6) / 1e6
    return value


def _to_celsius(value: float, unit: str) -> float:
    if unit == "K":
        return value - 273.15
    if unit == "F":
        return (value - 32.0) * (5.0 / 9.0)
    return value


def _from_celsius(value: float, unit: str) -> float:
    if unit == "K":
        return value + 273.15
    if unit == "F":
        return value * (9.0 / 5.0) + 32.0
    return value


def convert(value: float, from_unit: str | None, to_unit: str | None) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``. No unit on either side (or to ``undefined``): unchanged.

    Raises ValueError across categories (or from ``undefined``).
    """
    if not from_unit or not to_unit or to_unit == UNDEFINED or from_unit == to_unit:
        return value
    factors = RATIO_FACTORS.get((from_unit, to_unit))
    if factors is not None:
        return value * factors[0] / factors[1]
    src, dst = UNITS.get(from_unit), UNITS.get(to_unit)
    if src is None or dst is None or src.category != dst.category or src.category == UNDEFINED:
        raise ValueError(f"cannot convert {from_unit} to {to_unit}")
    if src.category == "angle":
        return _from_radians(_to_radians(value, from_unit), to_unit)
    if src.category == "temperature":
        return _from_celsius(_to_celsius(value, from_unit), to_unit)
    return value * src.factor / dst.factor


# (from, to) -> (from factor, to factor) for every pair of ratio units of one category (the fast path of convert)
RATIO_FACTORS: dict[tuple[str, str], tuple[float, float]] = {
    (a.name, b.name): (a.factor, b.factor)
    for a in UNITS.values()
    for b in UNITS.values()
    if a.category == b.category and a.category in ("time", "memory", "length", "mass")
}

# A Stof decimal literal (number.rs in 0.9.21): digits with `_`, optional fraction, optional exponent.
_DECIMAL = re.compile(r"-?[0-9_]+(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?")
_RADIX = {"0x": (16, re.compile(r"[0-9a-fA-F_x-]+")), "0b": (2, re.compile(r"[01b_-]+")),
          "0o": (8, re.compile(r"[0-7o_-]+"))}  # fmt: skip


def saturate_i64(value: float) -> int:
    """Rust's ``f64 as i64``: truncates, saturates at the i64 bounds, NaN -> 0."""
    if value != value:
        return 0
    if value >= 9.223372036854775807e18:
        return _I64_MAX
    if value <= -9.223372036854775808e18:
        return _I64_MIN
    return int(value)


def scan_number(text: str, pos: int = 0) -> tuple[int | float, str | None, int] | None:
    """Scan one Stof number literal at ``text[pos]``: (value, canonical unit or None, end position), or None.

    The value is an int when the literal has no ``.`` and is integral (as Stof decides), else a float; with a
    unit it is always a float. Signs: one leading ``-``; hex/binary/octal need the ``0x``/``0b``/``0o`` prefix.
    """
    negative = text.startswith("-", pos)
    body = pos + 1 if negative else pos
    prefix = text[body : body + 2]
    value: int | float
    if prefix in _RADIX:
        base, pattern = _RADIX[prefix]
        match = pattern.match(text, body)
        if match is None:
            return None
        digits = match.group().replace(prefix, "", 1).replace("_", "")
        try:
            value = int(digits, base)
        except ValueError:
            return None
        if negative:
            value = -value
        if not _I64_MIN <= value <= _I64_MAX:
            return None
        end = match.end()
    else:
        match = _DECIMAL.match(text, pos)
        if match is None:
            return None
        literal = match.group()
        cleaned = literal.replace("_", "")
        try:
            number = float(cleaned)
        except ValueError:
            return None
        end = match.end()
        # Stof: an int iff the literal has no '.' and its value is integral (fract < 1e-10)
        if "." not in literal and math.isfinite(number) and abs(math.fmod(number, 1.0)) < 1e-10:
            value = saturate_i64(number)
        else:
            value = number
    suffix = parse_unit_suffix(text, end)
    if suffix is not None:
        return float(value), suffix[0], end + suffix[1]
    return value, None, end


def parse_number_literal(text: str) -> tuple[int | float, str | None] | None:
    """The whole of ``text`` as a Stof number literal (leading spaces and ``+`` allowed), or None."""
    start = len(text) - len(text.lstrip())
    while text.startswith("+", start):
        start += 1
    scanned = scan_number(text, start)
    if scanned is None or scanned[2] != len(text):
        return None
    return scanned[0], scanned[1]


def parse_quantity(text: str) -> tuple[float, str | None] | None:
    """``"30days"`` -> (30.0, "days"), ``"1GB"`` -> (1.0, "GB"), ``"12"`` -> (12.0, None); None if not a number."""
    parsed = parse_number_literal(text)
    if parsed is None:
        return None
    return float(parsed[0]), parsed[1]


__all__ = [
    "RATIO_FACTORS",
    "SUFFIXES",
    "UNDEFINED",
    "UNITS",
    "UnitInfo",
    "category",
    "common_unit",
    "convert",
    "is_time",
    "parse_number_literal",
    "parse_quantity",
    "parse_unit_suffix",
    "saturate_i64",
    "scan_number",
    "unit_from_type_name",
]
