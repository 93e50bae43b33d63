"""A small predicate IR over customer columns and metadata JSON paths, with Stof's semantics (stof.md §4).

Each node means exactly what the Stof expression it was translated from means, for every customer; the SQL
generators (``segmentr.store.sql_predicates``) must reproduce these rules, and the parity test checks it.

Values seen through a field: a column holds text (``plan``, ``type``, ``id``, ``label``) or an integer
(``cloud_created``, ``cloud_updated``) or is NULL; a metadata path holds any JSON value, or is missing. Missing and
JSON null are both Stof null. A path walks JSON objects only: a step into anything else (array, scalar, null) is
null, as Stof's field paths are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

ColumnName = Literal["plan", "type", "cloud_created", "cloud_updated", "id", "label"]
COLUMNS: frozenset[str] = frozenset({"plan", "type", "cloud_created", "cloud_updated", "id", "label"})
TEXT_COLUMNS: frozenset[str] = frozenset({"plan", "type", "id", "label"})
INTEGER_COLUMNS: frozenset[str] = frozenset({"cloud_created", "cloud_updated"})

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
StrMatchKind = Literal["contains", "starts_with", "ends_with"]


class PushdownUnsupported(Exception):
    """A SQL generator cannot state a predicate exactly (raised by the store): evaluate the condition instead."""


@dataclass(frozen=True, slots=True)
class Column:
    """A customer column: text for plan/type/id/label, integer epoch ms for cloud_created/cloud_updated."""

    name: ColumnName


@dataclass(frozen=True, slots=True)
class MetadataPath:
    """``customer.metadata.k1.k2…`` (also ``data.k1…`` and ``?customer.metadata.get("k1") ?? null``)."""

    keys: tuple[str, ...]


Field = Column | MetadataPath


@dataclass(frozen=True, slots=True)
class NowMinus:
    """``(Time.now() - <amount><unit> as ms)``: a float of epoch ms computed at query time, exactly as Stof
    computes it (now in ms converted to ``unit``, minus ``amount``, converted back to ms)."""

    amount: float
    unit: str


Value = Union[None, bool, int, float, str, NowMinus]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value`` with Stof's comparison rules; ``value`` is never None (null tests are ``IsNull``).

    Equality (``==``; ``!=`` is its negation): values of different kinds are never equal — a string ``"5"``
    never equals ``5``, ``true`` never equals ``1``; numbers compare numerically across int and float
    (``5 == 5.0``); a ``NowMinus`` bound is a number of ms. Null (missing) equals nothing here, so ``!=`` matches
    a missing field.

    Ordering (``< <= > >=``), by the kind of the field's value:
    - null/missing or a JSON array: ``<`` and ``<=`` are always true, ``>`` and ``>=`` always false (Stof's
      rule for a null/list left operand; ``>=``/``<=`` fall back to equality, which fails);
    - a JSON object: decided by the runtime's rule for objects (see ``object_order``);
    - a number: numeric against a number, against a bool as 0/1; false against a string;
    - a bool: as 0/1 against a number or a bool; false against a string;
    - a string: byte-wise (UTF-8) against a string; false against anything else.
    """

    field: Field
    op: CompareOp
    value: Value


@dataclass(frozen=True, slots=True)
class StrMatch:
    """``(?field.<kind>(value) ?? false)``: the library method chosen by the value's kind, no match when there is
    none. A string: substring / prefix / suffix (``""`` matches every string). A JSON array: ``contains`` is true
    when an element is the string ``value`` (``List.contains`` uses ``==``). A JSON object: ``contains`` is true
    when it has a field named ``value`` (``Obj.contains``). Anything else (null, number, bool, or an array/object
    with ``starts_with``/``ends_with``): false."""

    field: Field
    kind: StrMatchKind
    value: str


@dataclass(frozen=True, slots=True)
class IsNull:
    """``field == null`` (missing or JSON null), or with ``negate`` ``field != null``."""

    field: Field
    negate: bool = False


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Predicate


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


Predicate = Union[Compare, StrMatch, IsNull, And, Or, Not, Const]  # noqa: UP007 (a runtime alias)

__all__ = [
    "COLUMNS",
    "INTEGER_COLUMNS",
    "TEXT_COLUMNS",
    "And",
    "Column",
    "Compare",
    "CompareOp",
    "Const",
    "Field",
    "IsNull",
    "MetadataPath",
    "Not",
    "NowMinus",
    "Or",
    "Predicate",
    "PushdownUnsupported",
    "StrMatch",
    "StrMatchKind",
    "Value",
]


def now_minus_ms(bound: NowMinus, now_ms: float) -> float:
    """The epoch-ms value of ``(Time.now() - <amount><unit> as ms)`` at ``now_ms``, computed as Stof does: both
    sides in their common unit (the larger one), subtracted, then converted back to ms by the cast."""
    from segmentr.stof.ops import sub
    from segmentr.stof.units import convert
    from segmentr.stof.values import Units

    difference = sub(Units(now_ms, "ms"), Units(bound.amount, bound.unit))
    return convert(difference.value, difference.unit, "ms")
