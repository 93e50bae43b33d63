"""What both execution tiers (generated code, closures) read from the tree alike: a call's target library and
the operands of an and/or chain."""

from __future__ import annotations

from collections.abc import Callable, Collection

from . import nodes as n


def called_library(e: n.Call, is_local: Callable[[str], bool], libraries: Collection[str]) -> str | None:
    """The library ``e`` calls: ``Std`` without a receiver, ``Lib`` for ``Lib.name(...)`` when no local is
    named ``Lib``; None for a method call on the receiver's value."""
    receiver = e.receiver
    if receiver is None:
        return "Std"
    if (
        isinstance(receiver, n.Path)
        and len(receiver.names) == 1
        and not is_local(receiver.names[0])
        and receiver.names[0] in libraries
    ):
        return receiver.names[0]
    return None


def chain_operands(e: n.Logical) -> list[n.Expr]:
    """The operands of a chain of one operator (``a && b && c``), left to right: one flat and/or, not one
    nesting per operand."""
    operands: list[n.Expr] = [e.right]
    left = e.left
    while isinstance(left, n.Logical) and left.op == e.op:
        operands.append(left.right)
        left = left.left
    operands.append(left)
    operands.reverse()
    return operands


__all__ = ["called_library", "chain_operands"]
