"""Closures that call a runtime operator and give its errors the position of the node that called it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import nodes as n
from ..errors import StofRuntimeError
from .frame import Closure, at


def unary_call(fn: Callable[[Any], Any], operand: Closure, node: n.Node) -> Closure:
    """``fn(operand)``: negation, typeof, a collection built from its evaluated items."""
    line, col = node.line, node.col

    def call_unary(frame: list[Any]) -> Any:
        v = operand(frame)
        try:
            return fn(v)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return call_unary


def binary_call(fn: Callable[[Any, Any], Any], left: Closure, right: Closure, node: n.Node) -> Closure:
    """``fn(left, right)``, the left operand evaluated first."""
    line, col = node.line, node.col

    def call_binary(frame: list[Any]) -> Any:
        a = left(frame)
        b = right(frame)
        try:
            return fn(a, b)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return call_binary


def right_first_call(fn: Callable[[Any, Any], Any], left: Closure, right: Closure, node: n.Node) -> Closure:
    """``fn(left, right)`` with the right operand evaluated first (Stof's order when both sides have effects)."""

    def swapped(b: Any, a: Any) -> Any:
        return fn(a, b)

    return binary_call(swapped, right, left, node)


def constant_right_call(fn: Callable[[Any, Any], Any], left: Closure, right: Any, node: n.Node) -> Closure:
    """``fn(left, right)`` with a right operand known when building (``x > 3``, ``plan == "pro"``)."""
    line, col = node.line, node.col

    def call_with_constant(frame: list[Any]) -> Any:
        v = left(frame)
        try:
            return fn(v, right)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return call_with_constant


def text_equality(
    fn: Callable[[Any, Any], Any], left: Closure, text: str, equal: bool, node: n.Node
) -> Closure:
    """``left == text`` (``equal``) or ``left != text``: Python's comparison when both are strings (what
    ops.eq does for them), the runtime's ``fn`` for anything else."""
    line, col = node.line, node.col

    def compare_text(frame: list[Any]) -> bool:
        v = left(frame)
        if type(v) is str:
            return (v == text) is equal
        try:
            return fn(v, text)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return compare_text


def number_comparison(
    fn: Callable[[Any, Any], Any], python: Callable[[Any, Any], bool], left: Closure, k: float, node: n.Node
) -> Closure:
    """``left <op> k`` for a number literal ``k``: Python's comparison for the operands the generated code
    compares inline (an int or a float against an int literal of at most 2**53, a float against a float
    literal), the runtime's ``fn`` for anything else."""
    line, col = node.line, node.col
    exact_int = type(k) is int

    def compare_number(frame: list[Any]) -> Any:
        v = left(frame)
        t = type(v)
        if t is float or (exact_int and t is int):
            return python(v, k)
        try:
            return fn(v, k)
        except StofRuntimeError as error:
            at(error, line, col)
            raise

    return compare_number
