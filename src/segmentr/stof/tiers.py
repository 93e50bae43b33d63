"""What both execution tiers (generated code, closures) read from the tree alike: a call's target library,
the operands of an and/or chain, and whether a body can reach an operation charged by size."""

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


# Nodes whose evaluation costs the same whatever the values (field reads, truthiness, and/or, ??, typeof).
_FLAT_NODES = (
    n.Body, n.ExprStmt, n.Return, n.Block, n.If, n.Empty, n.Literal, n.UnitLiteral, n.VersionLiteral,
    n.Path, n.Attr, n.Logical, n.Nullish, n.Ternary, n.TypeOf,
)  # fmt: skip
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def _flat_cost(node: n.Node) -> bool:
    if isinstance(node, _FLAT_NODES):
        return True
    if isinstance(node, n.Unary):
        return node.op == "!"
    if isinstance(node, n.Declare):
        return node.type is None
    if isinstance(node, n.Binary):
        # against a scalar literal a comparison never walks a collection
        return node.op in _COMPARISONS and (isinstance(node.left, n.Literal) or isinstance(node.right, n.Literal))
    return False


def may_charge(body: n.Body) -> bool:
    """Whether evaluating ``body`` can reach an operation charged by size (``sandbox.charge``): then an
    evaluation without a loop budget starts by clearing the thread's active budget, so a charge starts one of
    its own instead of paying into a finished evaluation's."""
    return not all(_flat_cost(node) for node in body.walk())


__all__ = ["called_library", "chain_operands", "may_charge"]
