"""Stof AST → predicate IR, for exactly the conditions whose meaning the IR can state; None for all others.

Pushdown happens exactly when this translation succeeds (no separate allow-list, as in sqlglot). It reads the
simple-mode shapes however they are typed: any spacing, parentheses or quotes, ``data.K`` for
``customer.metadata.K``, ``||``/``&&``/``!`` nesting, the ``get("key")`` form, and relative times
(``Time.now() - 7days as ms``, or a ``const ts: ms = Time.now() - 7days;`` declaration as in the templates).
Each IR node means what the Stof expression means (see ``ir.py``); nothing is translated approximately.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from segmentr.segments.pushdown.ir import (
    COLUMNS,
    And,
    Column,
    Compare,
    Const,
    Field,
    IsNull,
    MetadataPath,
    Not,
    NowMinus,
    Or,
    Predicate,
    StrMatch,
    Value,
)
from segmentr.segments.simple import NotLiteral, literal_value, metadata_get_key, now_minus_amount
from segmentr.stof import nodes
from segmentr.stof.units import is_time

_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_STR_METHODS = frozenset({"contains", "starts_with", "ends_with"})
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class _Untranslatable(Exception):
    pass


def to_predicate(body: nodes.Body) -> Predicate | None:
    """The predicate equivalent to this condition for every customer, or None when there is none we can state."""
    if _holds_nul(body):
        # PostgreSQL text cannot hold NUL (a query parameter with one is an error): such a condition streams
        return None
    try:
        return _Translator().body(body)
    except _Untranslatable:
        return None


def _holds_nul(node: object) -> bool:
    """Whether any text in the tree (a string literal, a key) contains the NUL character."""
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, list | tuple):
        return any(_holds_nul(item) for item in node)
    if is_dataclass(node):
        return any(_holds_nul(getattr(node, field.name)) for field in fields(node))
    return False


def translate_source(source: str) -> Predicate | None:
    """``to_predicate`` of Stof source text (None when it does not parse)."""
    from segmentr.stof import parse
    from segmentr.stof.errors import StofSyntaxError

    try:
        return to_predicate(parse(source))
    except StofSyntaxError:
        return None


class _Translator:
    def __init__(self) -> None:
        # const names bound to a relative time (`const ts: ms = Time.now() - 7days;`)
        self.times: dict[str, NowMinus] = {}

    def body(self, body: nodes.Body) -> Predicate:
        for statement in body.body:
            if isinstance(statement, nodes.Declare):
                self._declare(statement)
                continue
            if isinstance(statement, nodes.ExprStmt) and statement.returns:
                return self.truth(statement.expr)
            if isinstance(statement, nodes.Return) and statement.value is not None:
                return self.truth(statement.value)
            raise _Untranslatable
        raise _Untranslatable  # no returned value: void, which never matches, but keep it on the evaluator

    def _declare(self, statement: nodes.Declare) -> None:
        if not statement.const or statement.value is None or statement.name in self.times:
            raise _Untranslatable
        if statement.name in ("customer", "data", "policy"):
            raise _Untranslatable
        if statement.type is None or statement.type.names != ["ms"] or statement.type.not_null:
            raise _Untranslatable
        bound = _now_minus(statement.value, declared_ms=True)
        if bound is None:
            raise _Untranslatable
        self.times[statement.name] = bound

    # ------------------------------------------------------------ truthiness of an expression

    def truth(self, expr: nodes.Expr) -> Predicate:
        if isinstance(expr, nodes.Logical):
            left, right = self.truth(expr.left), self.truth(expr.right)
            return And((left, right)) if expr.op == "&&" else Or((left, right))
        if isinstance(expr, nodes.Unary) and expr.op == "!":
            return Not(self.truth(expr.operand))
        if isinstance(expr, nodes.Literal) and isinstance(expr.value, bool):
            return Const(expr.value)
        if isinstance(expr, nodes.Binary) and expr.op in _COMPARE_OPS:
            return self._compare(expr)
        if isinstance(expr, nodes.Nullish):
            return self._str_match(expr)
        raise _Untranslatable

    def _compare(self, expr: nodes.Binary) -> Predicate:
        if isinstance(expr.left, nodes.Binary) and expr.left.op in _COMPARE_OPS:
            raise _Untranslatable  # chained comparison: compares a bool
        field = self._field(expr.left)
        op = expr.op
        value_node = expr.right
        if field is None:
            # a literal on the left: `"pro" == customer.plan` reads the same mirrored only for equality
            field = self._field(expr.right)
            if field is None or op not in ("==", "!="):
                raise _Untranslatable
            value_node = expr.left
            op = _MIRRORED[op]
        value = self._value(value_node)
        if value is None:
            if op in ("==", "!="):
                return IsNull(field, negate=op == "!=")
            raise _Untranslatable
        return Compare(field, op, value)  # type: ignore[arg-type]

    def _str_match(self, expr: nodes.Nullish) -> Predicate:
        # (?X.contains("s") ?? false): null (no such method, or X null) → false; else the bool result
        if not (isinstance(expr.right, nodes.Literal) and expr.right.value is False):
            raise _Untranslatable
        call = expr.left
        if not (isinstance(call, nodes.Call) and call.null_safe and call.name in _STR_METHODS):
            raise _Untranslatable
        if len(call.args) != 1 or not isinstance(call.args[0], nodes.Literal):
            raise _Untranslatable
        value = call.args[0].value
        if not isinstance(value, str):
            raise _Untranslatable  # non-string arguments are cast to str by the library; keep it simple
        receiver = call.receiver
        field = self._path_field(receiver) if isinstance(receiver, nodes.Path) else None
        if field is None and receiver is not None:
            field = self._get_field(receiver)
        if not isinstance(field, MetadataPath):
            # columns hold only text or null, but keep the IR's string rules to metadata
            if isinstance(field, Column) and field.name in ("plan", "type", "id", "label"):
                return StrMatch(field, call.name, value)  # type: ignore[arg-type]
            raise _Untranslatable
        return StrMatch(field, call.name, value)  # type: ignore[arg-type]

    # ------------------------------------------------------------ operands

    def _field(self, expr: nodes.Expr) -> Field | None:
        if isinstance(expr, nodes.Path):
            return self._path_field(expr)
        if (
            isinstance(expr, nodes.Nullish)
            and isinstance(expr.right, nodes.Literal)
            and expr.right.value is None
        ):
            return self._get_field(expr.left)
        return None

    def _path_field(self, path: nodes.Path) -> Field | None:
        names = path.names
        if names[0] in self.times:
            return None
        if names[0] == "data" and len(names) >= 2:
            return MetadataPath(tuple(names[1:]))
        if names[0] != "customer" or len(names) < 2:
            return None
        if names[1] == "metadata":
            return MetadataPath(tuple(names[2:])) if len(names) > 2 else None
        if len(names) == 2 and names[1] in COLUMNS:
            return Column(names[1])  # type: ignore[arg-type]
        return None

    @staticmethod
    def _get_field(expr: nodes.Expr) -> MetadataPath | None:
        """``?customer.metadata.get("key")`` (or ``?data.get("key")``)."""
        key = metadata_get_key(expr, data_alias=True)
        return None if key is None else MetadataPath((key,))

    def _value(self, expr: nodes.Expr) -> Value:
        literal = literal_value(expr)
        if not isinstance(literal, NotLiteral):
            return literal
        if isinstance(expr, nodes.Path) and len(expr.names) == 1 and expr.names[0] in self.times:
            return self.times[expr.names[0]]
        bound = _now_minus(expr)
        if bound is not None:
            return bound
        raise _Untranslatable


def _now_minus(expr: nodes.Expr, *, declared_ms: bool = False) -> NowMinus | None:
    """``(Time.now() - <n><time unit> as ms)``; with ``declared_ms`` (a ``: ms`` declaration casts) the ``as ms``
    may be left out."""
    amount = now_minus_amount(expr, ms_cast_optional=declared_ms)
    if amount is not None and is_time(amount.unit):
        return NowMinus(amount.value, amount.unit)
    return None


__all__ = ["to_predicate", "translate_source"]
