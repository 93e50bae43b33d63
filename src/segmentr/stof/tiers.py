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
    n.Path, n.Attr, n.Logical, n.Nullish, n.Ternary, n.TypeOf, n.TypeRef,
)  # fmt: skip
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})


def _is_fields_call(e: n.Expr | None) -> bool:
    return isinstance(e, n.Call) and e.name == "fields" and not e.args and e.receiver is not None


def _numeric(e: n.Expr, time_is_library: bool, names: frozenset[str] = frozenset()) -> bool:
    """``e`` is a number whatever the bindings: numeric literals, ``Time.*`` calls, constants holding one,
    and arithmetic on them."""
    if isinstance(e, n.UnitLiteral) or (isinstance(e, n.Literal) and type(e.value) in (int, float)):
        return True
    if isinstance(e, n.Path):
        return len(e.names) == 1 and e.names[0] in names
    if isinstance(e, n.Unary) and e.op == "-":
        return _numeric(e.operand, time_is_library, names)
    if isinstance(e, n.Binary) and e.op in _ARITHMETIC:
        return _numeric(e.left, time_is_library, names) and _numeric(e.right, time_is_library, names)
    return _is_time_call(e, time_is_library)


def _is_time_call(e: n.Expr, time_is_library: bool) -> bool:
    receiver = e.receiver if isinstance(e, n.Call) else None
    return time_is_library and isinstance(receiver, n.Path) and receiver.names == ["Time"]


def may_charge(body: n.Body) -> bool:
    """Whether evaluating ``body`` can reach an operation charged by size (``sandbox.charge``): then an
    evaluation without a loop budget starts by clearing the thread's active budget, so a charge starts one of
    its own instead of paying into a finished evaluation's. False only for bodies of field reads, comparisons
    with a scalar literal, ``len()``, ``x.fields().len()`` (both tiers read it as the field count), ``Time``
    calls and arithmetic on numbers — the seed's field and time conditions pay nothing."""
    nodes = list(body.walk())
    declarations: dict[str, int] = {}
    for x in nodes:
        if isinstance(x, n.Declare | n.ForIn):
            declarations[x.name] = declarations.get(x.name, 0) + 1
    time_is_library = "Time" not in declarations
    assigned = {x.target[0] for x in nodes if isinstance(x, n.Assign)}
    # a name declared once, as a constant whose value is a number, is a number wherever it is read
    numbers = frozenset(
        x.name
        for x in nodes
        if isinstance(x, n.Declare)
        and x.const
        and declarations[x.name] == 1
        and x.name not in assigned
        and x.value is not None
        and _numeric(x.value, time_is_library)
    )
    stack: list[n.Node] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Call):
            if node.name == "len" and not node.args and node.receiver is not None:
                # `x.fields().len()` never builds the list: its receiver is x
                stack.append(node.receiver.receiver if _is_fields_call(node.receiver) else node.receiver)  # type: ignore[union-attr]
                continue
            if _is_time_call(node, time_is_library):
                stack.extend(node.args)
                continue
            return True
        if isinstance(node, n.Binary):
            if node.op in ("<", ">") or (
                node.op in _COMPARISONS
                and any(
                    isinstance(x, n.Literal) or _numeric(x, time_is_library, numbers)
                    for x in (node.left, node.right)
                )
            ):
                pass  # `<`/`>` never walk a collection; nor does equality with a scalar or a number
            elif not _numeric(node, time_is_library, numbers):
                return True
        elif isinstance(node, n.Declare):
            typed_number = node.value is not None and _numeric(node.value, time_is_library, numbers)
            if node.type is not None and not typed_number:
                return True
        elif isinstance(node, n.Unary):
            if node.op != "!" and not _numeric(node, time_is_library, numbers):
                return True
        elif not isinstance(node, _FLAT_NODES):
            return True
        stack.extend(node.children())
    return False


__all__ = ["called_library", "chain_operands", "may_charge"]
