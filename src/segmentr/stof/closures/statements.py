"""Closures for the plain statements: expression statements, return, declarations, assignments and if chains."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from ..compiler import ASSIGN_FUNCS, _assign_path
from .builder import Builder, StatementBuilder
from .frame import (
    NULL,
    TICK,
    Closure,
    constant,
    failing,
    nothing,
    refill,
    returning,
    slot_reader,
    slot_writer,
)
from .operators import binary_call


def build_empty(b: Builder, stmt: n.Empty) -> None:
    return None


def build_block(b: Builder, stmt: n.Block) -> Closure:
    return b.in_scope(stmt.body)


def build_expression_statement(b: Builder, stmt: n.ExprStmt) -> Closure | None:
    if not stmt.returns and isinstance(stmt.expr, n.Literal | n.Path | n.UnitLiteral):
        return None
    value, steps = b.counted(stmt.expr)
    assert value is not None
    if stmt.returns:
        return b.ticked(returning(value), steps, stmt)

    def evaluate(frame: list[Any]) -> None:
        value(frame)

    return b.ticked(evaluate, steps, stmt)


def build_return(b: Builder, stmt: n.Return) -> Closure:
    value, steps = b.counted(stmt.value)
    return b.ticked(returning(value or constant(b.rt["VOID"])), steps, stmt)


def build_declare(b: Builder, stmt: n.Declare) -> Closure:
    value, steps = b.counted(stmt.value)
    if stmt.type is not None:
        value = b.cast_closure(value or NULL, stmt.type, stmt)
    if stmt.name in b.scopes[-1]:
        message = f"{stmt.name!r} is already declared in this scope"
        return b.ticked(failing(value, "DeclareExisting", message, stmt), steps, stmt)
    index = b.declare(stmt.name, const=stmt.const, type_=stmt.type).index
    return b.ticked(slot_writer(index, value), steps, stmt)


def build_assign(b: Builder, stmt: n.Assign) -> Closure:
    value, steps = b.counted(stmt.value)
    assert value is not None
    root = b.lookup(stmt.target[0])
    combine_name = ASSIGN_FUNCS.get(stmt.op)
    combine = b.rt[combine_name] if combine_name is not None else None
    if len(stmt.target) > 1:
        b.mutates = True
        names = tuple(stmt.target[1:])
        root_index = root.index if root is not None else None

        def read_root(frame: list[Any]) -> Any:
            return frame[root_index] if root_index is not None else None

        def assign_path(target: Any, v: Any) -> None:
            _assign_path(target, names, v, combine)

        return b.ticked(binary_call(assign_path, read_root, value, stmt), steps, stmt)
    if root is None:
        message = f"{stmt.target[0]!r} is not declared"
        return b.ticked(failing(value, "AssignRootNonObj", message, stmt), steps, stmt)
    if root.const:
        message = f"{stmt.target[0]!r} is a constant"
        return b.ticked(failing(value, "AssignConst", message, stmt), steps, stmt)
    index = root.index
    if combine is not None:
        value = binary_call(combine, slot_reader(index), value, stmt)
    if root.type is not None:
        value = b.cast_closure(value, root.type, stmt)
    return b.ticked(slot_writer(index, value), steps, stmt)


def build_if(b: Builder, stmt: n.If) -> Closure:
    cond, steps = b.counted_truth(stmt.cond)
    then = b.scoped(stmt.then)
    branches: list[tuple[Closure, int, Closure]] = []
    other = stmt.otherwise
    while isinstance(other, n.If):
        branch_cond, branch_steps = b.counted_truth(other.cond)
        # the generated `elif` counts its condition's calls inside the branch, when it is taken
        if not b.loop_depth:
            branch_steps = 0
        if branch_steps:
            b.uses_budget = True
        branches.append((branch_cond, branch_steps, b.scoped(other.then)))
        other = other.otherwise
    otherwise = b.scoped(other) if other is not None else nothing
    if not branches:

        def if_else(frame: list[Any]) -> Any:
            if cond(frame):
                return then(frame)
            return otherwise(frame)

        return b.ticked(if_else, steps, stmt)
    line, col = stmt.line, stmt.col

    def if_chain(frame: list[Any]) -> Any:
        if cond(frame):
            return then(frame)
        for branch_cond, branch_steps, body in branches:
            if branch_cond(frame):
                if branch_steps:
                    countdown = frame[TICK] - branch_steps
                    frame[TICK] = countdown if countdown > 0 else refill(frame, countdown, line, col)
                return body(frame)
        return otherwise(frame)

    return b.ticked(if_chain, steps, stmt)


BUILDERS: dict[type, StatementBuilder] = {
    n.Empty: build_empty,
    n.Block: build_block,
    n.ExprStmt: build_expression_statement,
    n.Return: build_return,
    n.Declare: build_declare,
    n.Assign: build_assign,
    n.If: build_if,
}

__all__ = ["BUILDERS"]
