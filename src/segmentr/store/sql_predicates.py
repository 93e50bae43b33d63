"""Predicate IR (``segmentr.segments.pushdown.ir``) → SQLAlchemy boolean expressions, for SQLite and PostgreSQL.

A base generator states Stof's rules once (ir.py) in terms of a few JSON primitives; each dialect overrides only
those primitives (as sqlglot's dialect generators do): SQLite ``json_type``/``json_extract``, PostgreSQL
``jsonb_typeof``/``jsonb_extract_path`` with ``COLLATE "C"`` for byte-wise text ordering and containment ``@>`` for
equality so the GIN index on metadata is used. Every literal is a bound parameter, never SQL text. Every
generated leaf is two-valued (never SQL NULL), so ``NOT`` means Stof's ``!``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Double,
    Integer,
    Numeric,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from segmentr.segments.pushdown.ir import (
    INTEGER_COLUMNS,
    And,
    Column,
    Compare,
    Const,
    Field,
    IsNull,
    Not,
    NowMinus,
    Or,
    Predicate,
    PushdownUnsupported,
    StrMatch,
    Value,
    now_minus_ms,
)

# The value kinds a field can hold, as the generators name them.
NULL, BOOL, NUMBER, STRING, ARRAY, OBJECT = "null", "bool", "number", "string", "array", "object"
_STRICT = {"<": "<", "<=": "<", ">": ">", ">=": ">"}


class UnsupportedPredicate(PushdownUnsupported):
    """The dialect cannot state this predicate exactly: the caller evaluates the condition instead."""


def _cmp(left: ColumnElement, op: str, right: ColumnElement) -> ColumnElement[bool]:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


class PredicateSQL:
    """The dialect-independent rules. Subclasses supply the JSON primitives."""

    dialect_name = ""

    def __init__(
        self, table: Table, *, now_ms: float | None = None, metadata_column: str = "metadata"
    ) -> None:
        self.table = table
        self.metadata = table.c[metadata_column]
        self.now_ms = now_ms

    def column(self, name: str) -> ColumnElement:
        """The table column of an IR column (the store names the customer id ``customer_id``)."""
        if name == "id" and "id" not in self.table.c and "customer_id" in self.table.c:
            return self.table.c["customer_id"]
        return self.table.c[name]

    # ------------------------------------------------------------ entry

    def compile(self, predicate: Predicate) -> ColumnElement[bool]:
        if isinstance(predicate, And):
            return and_(*(self.compile(item) for item in predicate.items))
        if isinstance(predicate, Or):
            grouped = self._in_list(predicate)
            if grouped is not None:
                return grouped
            return or_(*(self.compile(item) for item in predicate.items))
        if isinstance(predicate, Not):
            return not_(self.compile(predicate.item))
        if isinstance(predicate, Const):
            return true() if predicate.value else false()
        if isinstance(predicate, IsNull):
            test = self.is_null(predicate.field)
            return not_(test) if predicate.negate else test
        if isinstance(predicate, Compare):
            return self.compare(predicate.field, predicate.op, self._resolve(predicate.value))
        if isinstance(predicate, StrMatch):
            return self.str_match(predicate.field, predicate.kind, predicate.value)
        raise UnsupportedPredicate(f"unknown predicate {predicate!r}")

    def _resolve(self, value: Value) -> Value:
        if isinstance(value, NowMinus):
            now = self.now_ms if self.now_ms is not None else _stof_now_ms()
            return now_minus_ms(value, now)
        return value

    def _in_list(self, predicate: Or) -> ColumnElement[bool] | None:
        """``plan == "a" || plan == "b"`` as ``plan IN (…)`` so the column's index is used."""
        names: set[str] = set()
        values: list[str] = []
        stack: list[Predicate] = list(predicate.items)
        while stack:
            item = stack.pop()
            if isinstance(item, Or):
                stack.extend(item.items)
                continue
            if not (
                isinstance(item, Compare)
                and item.op == "=="
                and isinstance(item.field, Column)
                and item.field.name not in INTEGER_COLUMNS
                and isinstance(item.value, str)
            ):
                return None
            names.add(item.field.name)
            values.append(item.value)
        if len(names) != 1:
            return None
        column = self.column(names.pop())
        return and_(column.is_not(None), column.in_(sorted(set(values))))

    # ------------------------------------------------------------ null tests

    def is_null(self, field: Field) -> ColumnElement[bool]:
        if isinstance(field, Column):
            return self.column(field.name).is_(None)
        return self.json_is_null(field.keys)

    # ------------------------------------------------------------ comparisons

    def compare(self, field: Field, op: str, value: Value) -> ColumnElement[bool]:
        if isinstance(field, Column):
            return self._column_compare(field, op, value)
        keys = field.keys
        if op in ("==", "!="):
            equal = self.json_equals(keys, value)
            return not_(equal) if op == "!=" else equal
        return self._json_order(keys, op, value)

    def _column_compare(self, field: Column, op: str, value: Value) -> ColumnElement[bool]:
        column = self.column(field.name)
        kind = NUMBER if field.name in INTEGER_COLUMNS else STRING
        same_kind = _kind_of(value) == kind
        if op in ("==", "!="):
            equal = and_(column.is_not(None), column == _param(value)) if same_kind else false()
            return not_(equal) if op == "!=" else equal
        null_branch = true() if op in ("<", "<=") else false()
        if kind == NUMBER and isinstance(value, bool):
            ordered = _cmp(column, _STRICT[op], _param(int(value)))
        elif same_kind:
            ordered = _cmp(self.order_text(column) if kind == STRING else column, op, _param(value))
        else:
            ordered = false()
        return or_(and_(column.is_(None), null_branch), and_(column.is_not(None), ordered))

    def _json_order(self, keys: tuple[str, ...], op: str, value: Value) -> ColumnElement[bool]:
        """Stof ordering of a JSON value against a literal, by the value's kind (ir.Compare)."""
        branches: list[tuple[ColumnElement[bool], ColumnElement[bool]]] = []
        if isinstance(value, bool):
            flag = int(value)
            branches.append(
                (
                    self.json_kind_is(keys, NUMBER),
                    _cmp(self.json_number_trunc(keys), _STRICT[op], _param(flag)),
                )
            )
            branches.append((self.json_kind_is(keys, BOOL), _cmp(self.json_bool_int(keys), op, _param(flag))))
        elif isinstance(value, int | float):
            branches.append(
                (self.json_kind_is(keys, NUMBER), _cmp(self.json_number(keys, value), op, _param(value)))
            )
            branches.append(
                (self.json_kind_is(keys, BOOL), _cmp(self.json_bool_int(keys), _STRICT[op], _param(value)))
            )
        elif isinstance(value, str):
            branches.append(
                (
                    self.json_kind_is(keys, STRING),
                    _cmp(self.order_text(self.json_text(keys)), op, _param(value)),
                )
            )
        if op in ("<", "<="):
            branches.append((self.json_kind_is(keys, NULL, ARRAY, missing=True), true()))
        return case(*branches, else_=false())

    # ------------------------------------------------------------ string methods

    def str_match(self, field: Field, kind: str, value: str) -> ColumnElement[bool]:
        if isinstance(field, Column):
            column = self.column(field.name)
            if field.name in INTEGER_COLUMNS:
                return false()
            return and_(column.is_not(None), self.text_method(column, kind, value))
        keys = field.keys
        branches = [(self.json_kind_is(keys, STRING), self.text_method(self.json_text(keys), kind, value))]
        if kind == "contains":
            branches.append((self.json_kind_is(keys, ARRAY), self.json_array_has_string(keys, value)))
            branches.append((self.json_kind_is(keys, OBJECT), self.json_object_has_key(keys, value)))
        return case(*branches, else_=false())

    def text_method(self, text: ColumnElement, kind: str, value: str) -> ColumnElement[bool]:
        if kind == "contains":
            return func.instr(text, _param(value)) > 0
        if not value:
            return true()
        size = _param(len(value))
        if kind == "starts_with":
            return func.substr(text, 1, size) == _param(value)
        return func.substr(text, -size) == _param(value)

    # ------------------------------------------------------------ dialect primitives

    def order_text(self, text: ColumnElement) -> ColumnElement:
        """Text ordered byte-wise (UTF-8), as Stof orders strings."""
        return text

    def json_is_null(self, keys: tuple[str, ...]) -> ColumnElement[bool]:
        raise NotImplementedError

    def json_kind_is(self, keys: tuple[str, ...], *kinds: str, missing: bool = False) -> ColumnElement[bool]:
        raise NotImplementedError

    def json_equals(self, keys: tuple[str, ...], value: Value) -> ColumnElement[bool]:
        raise NotImplementedError

    def json_number(self, keys: tuple[str, ...], against: int | float) -> ColumnElement:
        raise NotImplementedError

    def json_number_trunc(self, keys: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def json_bool_int(self, keys: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def json_text(self, keys: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def json_array_has_string(self, keys: tuple[str, ...], value: str) -> ColumnElement[bool]:
        raise NotImplementedError

    def json_object_has_key(self, keys: tuple[str, ...], key: str) -> ColumnElement[bool]:
        raise NotImplementedError


class SQLitePredicateSQL(PredicateSQL):
    """SQLite: metadata is JSON text; ``json_type`` names the kind, ``json_extract`` reads scalars (true → 1)."""

    dialect_name = "sqlite"
    _KINDS: ClassVar[dict[str, tuple[str, ...]]] = {NULL: ("null",), BOOL: ("true", "false"), NUMBER: ("integer", "real"), STRING: ("text",),
              ARRAY: ("array",), OBJECT: ("object",)}  # fmt: skip

    def _path(self, keys: Sequence[str]) -> ColumnElement:
        for key in keys:
            if '"' in key:
                # SQLite's JSON path has no escape for a quote inside a quoted label.
                raise UnsupportedPredicate(f"metadata key {key!r} cannot be addressed in a SQLite JSON path")
        return _param("$" + "".join(f'."{key}"' for key in keys))

    def _type(self, keys: Sequence[str]) -> ColumnElement:
        return func.json_type(self.metadata, self._path(keys))

    def _extract(self, keys: Sequence[str]) -> ColumnElement:
        return func.json_extract(self.metadata, self._path(keys))

    def json_is_null(self, keys: tuple[str, ...]) -> ColumnElement[bool]:
        return self._extract(keys).is_(None)  # missing and JSON null both extract as SQL NULL

    def json_kind_is(self, keys: tuple[str, ...], *kinds: str, missing: bool = False) -> ColumnElement[bool]:
        names = [name for kind in kinds for name in self._KINDS[kind]]
        test = self._type(keys).in_(names)
        return or_(self._type(keys).is_(None), test) if missing else test

    def json_equals(self, keys: tuple[str, ...], value: Value) -> ColumnElement[bool]:
        kind = _kind_of(value)
        if kind == BOOL:
            return func.coalesce(self._type(keys) == ("true" if value else "false"), false())
        # the cheap extract first: it rejects almost every row before the kind check runs
        matches = self._extract(keys) == _param(value)
        return func.coalesce(and_(matches, self.json_kind_is(keys, kind)), false())

    def json_number(self, keys: tuple[str, ...], against: int | float) -> ColumnElement:
        return self._extract(keys)

    def json_number_trunc(self, keys: tuple[str, ...]) -> ColumnElement:
        return cast(self._extract(keys), Integer)  # truncates toward zero and saturates, like Rust's `as i64`

    def json_bool_int(self, keys: tuple[str, ...]) -> ColumnElement:
        return self._extract(keys)

    def json_text(self, keys: tuple[str, ...]) -> ColumnElement:
        return self._extract(keys)

    def json_array_has_string(self, keys: tuple[str, ...], value: str) -> ColumnElement[bool]:
        each = func.json_each(self.metadata, self._path(keys)).table_valued("type", "value").alias("element")
        return (
            each.select()
            .with_only_columns(literal(1))
            .where(each.c.type == "text", each.c.value == _param(value))
            .exists()
        )

    def json_object_has_key(self, keys: tuple[str, ...], key: str) -> ColumnElement[bool]:
        # json_each over the object compares the key as data: no path quoting of `key` needed
        each = func.json_each(self.metadata, self._path(keys)).table_valued("key").alias("field")
        return each.select().with_only_columns(literal(1)).where(each.c.key == _param(key)).exists()


class PostgresPredicateSQL(PredicateSQL):
    """PostgreSQL: metadata is JSONB; ``jsonb_typeof`` names the kind; equality through containment (GIN)."""

    dialect_name = "postgresql"
    _KINDS: ClassVar[dict[str, str]] = {
        NULL: "null", BOOL: "boolean", NUMBER: "number", STRING: "string", ARRAY: "array", OBJECT: "object"
    }  # fmt: skip

    def __init__(self, table: Table, **options: object) -> None:
        super().__init__(table, **options)  # type: ignore[arg-type]
        self.document = type_coerce(self.metadata, JSONB)

    def _value(self, keys: Sequence[str]) -> ColumnElement:
        return func.jsonb_extract_path(self.document, *(_param(key) for key in keys))

    def _text(self, keys: Sequence[str]) -> ColumnElement:
        return func.jsonb_extract_path_text(self.document, *(_param(key) for key in keys))

    def _type(self, keys: Sequence[str]) -> ColumnElement:
        return func.jsonb_typeof(self._value(keys))

    def order_text(self, text: ColumnElement) -> ColumnElement:
        return type_coerce(text, Text).collate("C")

    def json_is_null(self, keys: tuple[str, ...]) -> ColumnElement[bool]:
        return func.coalesce(self._type(keys), "null") == "null"

    def json_kind_is(self, keys: tuple[str, ...], *kinds: str, missing: bool = False) -> ColumnElement[bool]:
        test = self._type(keys).in_([self._KINDS[kind] for kind in kinds])
        return or_(self._type(keys).is_(None), test) if missing else test

    def json_equals(self, keys: tuple[str, ...], value: Value) -> ColumnElement[bool]:
        document: object = value
        for key in reversed(keys):
            document = {key: document}
        contained = self.document.op("@>")(cast(_param(json.dumps(document)), JSONB))
        # containment finds the rows through the GIN index; the kind check makes it exact (no array/element match).
        # Kept bare (no coalesce) so the planner can use the index; still two-valued: NULL metadata is false
        # first, and when containment holds the key exists, so the kind test is never NULL.
        return and_(self.metadata.is_not(None), contained, self.json_kind_is(keys, _kind_of(value)))

    def json_number(self, keys: tuple[str, ...], against: int | float) -> ColumnElement:
        return cast(self._text(keys), Numeric if isinstance(against, int) else Double)

    def json_number_trunc(self, keys: tuple[str, ...]) -> ColumnElement:
        return func.trunc(cast(self._text(keys), Numeric))

    def json_bool_int(self, keys: tuple[str, ...]) -> ColumnElement:
        return case((self._text(keys) == "true", 1), else_=0)

    def json_text(self, keys: tuple[str, ...]) -> ColumnElement:
        return self._text(keys)

    def json_array_has_string(self, keys: tuple[str, ...], value: str) -> ColumnElement[bool]:
        return self._value(keys).op("@>")(func.jsonb_build_array(cast(_param(value), Text)))

    def json_object_has_key(self, keys: tuple[str, ...], key: str) -> ColumnElement[bool]:
        return func.jsonb_exists(self._value(keys), cast(_param(key), Text))

    def text_method(self, text: ColumnElement, kind: str, value: str) -> ColumnElement[bool]:
        text = type_coerce(text, Text)
        if kind == "contains":
            return func.strpos(text, cast(_param(value), Text)) > 0
        if not value:
            return true()
        size = bindparam(None, len(value), type_=Integer)  # left()/right() take an int4
        target = cast(_param(value), Text)
        return (func.left(text, size) if kind == "starts_with" else func.right(text, size)) == target


def _kind_of(value: Value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    return STRING


def _param(value: object) -> ColumnElement:
    if isinstance(value, bool):
        return bindparam(None, value, type_=Boolean)
    if isinstance(value, int):
        return bindparam(None, value, type_=BigInteger)
    return bindparam(None, value)


def _stof_now_ms() -> float:
    """The Stof clock (``Time.now()``), so a relative window means what the evaluator means by it."""
    from segmentr.stof.stdlib.time_lib import now_ms

    return now_ms()


GENERATORS: dict[str, Callable[..., PredicateSQL]] = {
    "sqlite": SQLitePredicateSQL,
    "postgresql": PostgresPredicateSQL,
}


def compile_predicate(
    predicate: Predicate,
    customers_table: Table,
    dialect_name: str,
    *,
    now_ms: float | None = None,
    metadata_column: str = "metadata",
) -> ColumnElement[bool]:
    """The WHERE clause (over ``customers_table``) selecting exactly the customers the predicate matches.

    Raises ``UnsupportedPredicate`` when the dialect cannot state it exactly (then evaluate instead).
    """
    generator = GENERATORS.get(dialect_name)
    if generator is None:
        raise UnsupportedPredicate(f"no SQL generator for dialect {dialect_name!r}")
    return generator(customers_table, now_ms=now_ms, metadata_column=metadata_column).compile(predicate)


__all__ = ["GENERATORS", "PostgresPredicateSQL", "PredicateSQL", "SQLitePredicateSQL", "UnsupportedPredicate",
           "compile_predicate"]  # fmt: skip
