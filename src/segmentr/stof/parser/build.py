"""Stof parser, node building: fast positional node constructors and the span setters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import TypeVar

from segmentr.stof import nodes as n
from segmentr.stof.lexer import COL, END_COL, END_LINE, LINE, Row

_N = TypeVar("_N", bound=n.Node)


def _fast_constructor(cls: type[_N]) -> Callable[..., _N]:
    """``cls(...)`` without the dataclass ``__init__``'s keyword handling (a third of a parse's time went there):
    a function taking every field positionally, in declaration order, starting with the span (line, col,
    end_line, end_col). Built like dataclasses builds ``__init__``."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    assignments = "".join(f"    node.{name} = {name}\n" for name in names)
    namespace: dict[str, object] = {"new": object.__new__, "cls": cls}
    exec(f"def new_{cls.__name__}({', '.join(names)}):\n    node = new(cls)\n{assignments}    return node\n",
         namespace)
    return namespace[f"new_{cls.__name__}"]  # type: ignore[return-value]


_new_literal = _fast_constructor(n.Literal)
_new_unit_literal = _fast_constructor(n.UnitLiteral)
_new_path = _fast_constructor(n.Path)
_new_call = _fast_constructor(n.Call)
_new_unary = _fast_constructor(n.Unary)
_new_binary = _fast_constructor(n.Binary)
_new_logical = _fast_constructor(n.Logical)
_new_expr_stmt = _fast_constructor(n.ExprStmt)
_new_assign = _fast_constructor(n.Assign)
_new_declare = _fast_constructor(n.Declare)
_new_block = _fast_constructor(n.Block)
_new_if = _fast_constructor(n.If)


def _span(node: n.Node, first: Row, last: Row) -> None:
    """``node`` spans from token ``first`` to token ``last``."""
    node.line = first[LINE]
    node.col = first[COL]
    node.end_line = last[END_LINE]
    node.end_col = last[END_COL]


def _span_to_node(node: n.Node, first: Row, last: n.Node) -> None:
    node.line = first[LINE]
    node.col = first[COL]
    node.end_line = last.end_line
    node.end_col = last.end_col


def _span_from_node(node: n.Node, first: n.Node, last: Row) -> None:
    node.line = first.line
    node.col = first.col
    node.end_line = last[END_LINE]
    node.end_col = last[END_COL]


def _span_nodes(node: n.Node, first: n.Node, last: n.Node) -> None:
    node.line = first.line
    node.col = first.col
    node.end_line = last.end_line
    node.end_col = last.end_col
