"""Closures for expressions: literals, paths and fields, operators, logic, casts, typeof and block expressions."""

from __future__ import annotations

import operator
from typing import Any

from .. import nodes as n
from ..cast import member_type
from ..compiler import ARITH_FUNCS, COMPARE_FUNCS
from ..compiler.runtime import EXACT_INT_LITERAL
from ..tiers import chain_operands
from .builder import NOT_CONSTANT, Builder, ExpressionBuilder, Unsupported
from .calls import build_call
from .frame import NULL, RESULT, Closure, constant, fields, slot_reader
from .operators import (
    binary_call,
    constant_right_call,
    number_comparison,
    right_first_call,
    text_equality,
    unary_call,
)

_PYTHON_COMPARISONS = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def build_unit(b: Builder, e: n.UnitLiteral) -> Closure:
    return constant(b.rt["Units"](e.value, e.unit))


def build_version(b: Builder, e: n.VersionLiteral) -> Closure:
    try:
        value = b.rt["Version"].parse(e.text)
    except Exception as exc:
        raise Unsupported("a version literal that does not parse") from exc
    return constant(value)


def _items(b: Builder, items: list[n.Expr]) -> Closure:
    """The items' values, as a fresh list."""
    built = tuple(b.expr(x) for x in items)

    def item_values(frame: list[Any]) -> list[Any]:
        return [item(frame) for item in built]

    return item_values


def build_list(b: Builder, e: n.ListLiteral) -> Closure:
    return _items(b, e.items)


def build_tuple(b: Builder, e: n.TupleLiteral) -> Closure:
    items = tuple(b.expr(x) for x in e.items)

    def tuple_literal(frame: list[Any]) -> tuple[Any, ...]:
        return tuple([item(frame) for item in items])

    return tuple_literal


def build_set(b: Builder, e: n.SetLiteral) -> Closure:
    return unary_call(b.rt["StofSet"], _items(b, e.items), e)


def build_map(b: Builder, e: n.MapLiteral) -> Closure:
    entries = tuple((b.expr(k), b.expr(v)) for k, v in e.entries)

    def entry_pairs(frame: list[Any]) -> list[tuple[Any, Any]]:
        return [(key(frame), value(frame)) for key, value in entries]

    return unary_call(b.rt["StofMap"], entry_pairs, e)


def build_path(b: Builder, e: n.Path) -> Closure:
    slot = b.lookup(e.names[0])
    if slot is None:
        return NULL
    index = slot.index
    if len(e.names) == 2:  # `customer.plan`: the commonest read, one closure
        name = e.names[1]

        def slot_field(frame: list[Any]) -> Any:
            v = frame[index]
            return v.get(name) if type(v) is dict else None

        return slot_field
    return fields(slot_reader(index), e.names[1:])


def build_attr(b: Builder, e: n.Attr) -> Closure:
    return fields(b.expr(e.obj), [e.name])


def build_unary(b: Builder, e: n.Unary) -> Closure:
    operand = b.expr(e.operand)
    if e.op != "!":
        return unary_call(b.rt["neg"], operand, e)
    not_ = b.rt["not_"]

    def negate(frame: list[Any]) -> bool:
        v = operand(frame)
        return not v if type(v) is bool else not_(v)

    return negate


def build_binary(b: Builder, e: n.Binary) -> Closure:
    if e.op in COMPARE_FUNCS:
        return build_comparison(b, e)
    fn = b.rt[ARITH_FUNCS[e.op]]
    left, left_calls = b.counted(e.left)
    assert left is not None
    k = b.fold(e.right)
    if k is not NOT_CONSTANT:
        return constant_right_call(fn, left, k, e)
    right, right_calls = b.counted(e.right)
    assert right is not None
    if left_calls and right_calls:
        # both sides can have effects: Stof evaluates the right operand first
        return right_first_call(fn, left, right, e)
    return binary_call(fn, left, right, e)


def build_comparison(b: Builder, e: n.Binary) -> Closure:
    fn = b.rt[COMPARE_FUNCS[e.op]]
    left = b.expr(e.left)
    k = b.fold(e.right)
    if k is None and e.op in ("==", "!="):
        # ops.eq: null equals only null
        if e.op == "==":

            def is_null(frame: list[Any]) -> bool:
                return left(frame) is None

            return is_null

        def is_not_null(frame: list[Any]) -> bool:
            return left(frame) is not None

        return is_not_null
    if type(k) is str and e.op in ("==", "!="):
        return text_equality(fn, left, k, e.op == "==", e)
    if (type(k) is int and abs(k) < EXACT_INT_LITERAL) or type(k) is float:
        return number_comparison(fn, _PYTHON_COMPARISONS[e.op], left, k, e)
    if k is not NOT_CONSTANT:
        return constant_right_call(fn, left, k, e)
    return binary_call(fn, left, b.expr(e.right), e)


def build_logical(b: Builder, e: n.Logical) -> Closure:
    tests = tuple(b.truth(x) for x in chain_operands(e))
    if len(tests) == 2:
        first, second = tests
        if e.op == "&&":

            def both(frame: list[Any]) -> bool:
                return first(frame) and second(frame)

            return both

        def either(frame: list[Any]) -> bool:
            return first(frame) or second(frame)

        return either
    if e.op == "&&":

        def all_of(frame: list[Any]) -> bool:
            for test in tests:  # noqa: SIM110 - a plain loop, no generator per evaluation
                if not test(frame):
                    return False
            return True

        return all_of

    def any_of(frame: list[Any]) -> bool:
        for test in tests:  # noqa: SIM110 - a plain loop, no generator per evaluation
            if test(frame):
                return True
        return False

    return any_of


def build_nullish(b: Builder, e: n.Nullish) -> Closure:
    left, right = b.expr(e.left), b.expr(e.right)
    void = b.rt["VOID"]

    def nullish(frame: list[Any]) -> Any:
        v = left(frame)
        return v if v is not None and v is not void else right(frame)

    return nullish


def build_ternary(b: Builder, e: n.Ternary) -> Closure:
    cond, then, otherwise = b.truth(e.cond), b.expr(e.then), b.expr(e.otherwise)

    def ternary(frame: list[Any]) -> Any:
        return then(frame) if cond(frame) else otherwise(frame)

    return ternary


def build_cast(b: Builder, e: n.Cast) -> Closure:
    return b.cast_closure(b.expr(e.expr), e.type, e)


def build_typeof(b: Builder, e: n.TypeOf) -> Closure:
    type_of = b.rt["typename" if e.specific else "typeof"]
    target = e.expr
    if isinstance(target, n.Path) and len(target.names) >= 2:  # `typeof policy.value` is 'fn'
        owner = b.expr(_owner_path(target))
        name = target.names[-1]
        member = b.rt.get("member_type") or member_type

        def typeof_member(frame: list[Any]) -> Any:
            return member(type_of, owner(frame), name)

        return typeof_member
    return unary_call(type_of, b.expr(target), e)


def _owner_path(path: n.Path) -> n.Path:
    """``a.b`` of ``a.b.c``, at the same place in the source."""
    return n.Path(names=path.names[:-1], line=path.line, col=path.col, end_line=path.end_line,
                  end_col=path.end_col)


def build_block(b: Builder, e: n.BlockExpr) -> Closure:
    # the generated tier makes the block a nested function: its own blocks count from zero, its calls are
    # not the enclosing statement's, and a jump cannot leave it
    saved = (b.loop_floor, b.block_weight, b.call_sites)
    b.loop_floor, b.block_weight = len(b.loops), 0
    body = b.in_scope(e.body)
    b.loop_floor, b.block_weight, b.call_sites = saved
    void = b.rt["VOID"]

    def block(frame: list[Any]) -> Any:
        return frame[RESULT] if body(frame) is not None else void

    return block


BUILDERS: dict[type, ExpressionBuilder] = {
    n.UnitLiteral: build_unit,
    n.VersionLiteral: build_version,
    n.ListLiteral: build_list,
    n.TupleLiteral: build_tuple,
    n.SetLiteral: build_set,
    n.MapLiteral: build_map,
    n.Path: build_path,
    n.Attr: build_attr,
    n.Call: build_call,
    n.Unary: build_unary,
    n.Binary: build_binary,
    n.Logical: build_logical,
    n.Nullish: build_nullish,
    n.Ternary: build_ternary,
    n.Cast: build_cast,
    n.TypeOf: build_typeof,
    n.BlockExpr: build_block,
}

__all__ = ["BUILDERS"]
