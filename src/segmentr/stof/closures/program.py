"""A whole condition body built into one first-tier function: ``build_closures`` and ``ClosureProgram``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import nodes as n
from ..compiler import ARITH_FUNCS, COMPARE_FUNCS, PARAMETERS, body_mutates, runtime_namespace
from ..errors import StofRuntimeError
from ..tiers import may_charge
from . import control, expressions, statements
from .builder import Builder, ExpressionBuilder, StatementBuilder, Unsupported
from .frame import FIRST_PARAMETER, RESULT, TICK, Closure, constant, located, sequence

_STATEMENT_BUILDERS: dict[type, StatementBuilder] = {**statements.BUILDERS, **control.BUILDERS}
_EXPRESSION_BUILDERS: dict[type, ExpressionBuilder] = expressions.BUILDERS

# The runtime names the closures call; a custom runtime without all of them is left to the generated tier.
_REQUIRED = (
    *COMPARE_FUNCS.values(),
    *ARITH_FUNCS.values(),
    "truthy",
    "neg",
    "not_",
    "cast",
    "typeof",
    "typename",
    "iter_len",
    "iter_at",
    "call_method",
    "call_library",
    "VOID",
    "Units",
    "StofMap",
    "StofSet",
    "Version",
)
_default_runtime: dict[str, Any] | None = None


@dataclass(slots=True, frozen=True)
class ClosureProgram:
    """A built first-tier condition: ``function(customer, data, policy, budget)`` and what the caller needs."""

    function: Callable[[Any, Any, Any, Any], Any]
    uses_budget: bool
    mutates: bool


def build_closures(body: n.Body, *, runtime: Mapping[str, Any] | None = None,
                   extras: tuple[str, ...] = ()) -> ClosureProgram | None:
    """The first tier of ``body``, or None when it holds a construct left to the generated tier."""
    global _default_runtime
    if runtime is None:
        if _default_runtime is None:
            _default_runtime = runtime_namespace()
        runtime = _default_runtime
    if any(name not in runtime for name in _REQUIRED):
        return None
    try:
        return _program(Builder(runtime, _STATEMENT_BUILDERS, _EXPRESSION_BUILDERS), body, extras)
    except (Unsupported, RecursionError):  # RecursionError: folding a very long chain of literals
        return None


def _program(b: Builder, body: n.Body, extras: tuple[str, ...] = ()) -> ClosureProgram:
    b.scopes.append({})
    for name in (*PARAMETERS, *extras):  # extras: binding-set variables beyond PARAMETERS, after `budget`
        b.declare(name)
    b.scopes.append({})
    stmts = body.body
    last: Closure | None = None
    if stmts and (
        (isinstance(stmts[-1], n.ExprStmt) and stmts[-1].returns) or isinstance(stmts[-1], n.Return)
    ):
        prefix = b.statement_list(stmts[:-1])
        final = stmts[-1]
        value = final.expr if isinstance(final, n.ExprStmt) else final.value
        last = constant(b.rt["VOID"]) if value is None else b.expr(value)
    else:
        prefix = b.statement_list(stmts)
    mutates = b.mutates or (
        bool(body.dropped) and body_mutates(n.Body(body=body.dropped), b.mutating_methods)
    )
    b.copy_host_results[0] = mutates
    locals_count = b.slots - FIRST_PARAMETER - len(PARAMETERS) - len(extras)
    clears_budget = not b.uses_budget and may_charge(body)
    function = _entry(prefix, last, locals_count, b.uses_budget, clears_budget, b.rt, bool(extras))
    return ClosureProgram(function=function, uses_budget=b.uses_budget, mutates=mutates)


def _entry(
    prefix: list[Closure],
    last: Closure | None,
    locals_count: int,
    uses_budget: bool,
    clears_budget: bool,
    rt: Mapping[str, Any],
    with_extras: bool = False,
) -> Callable[..., Any]:
    """The condition function: a fresh frame, the statements, then the final value (or void). Like the
    generated code, it makes its loop budget the thread's active one, or clears that when ``clears_budget``.
    ``with_extras``: the binding set's variables beyond ``PARAMETERS`` come after ``budget``."""
    padding = (None,) * locals_count
    body = sequence(prefix)
    final = last if last is not None else constant(rt["VOID"])
    active, lazy = rt.get("_ACTIVE"), rt.get("_LAZY")
    clears_budget = clears_budget and active is not None
    restores = active is not None and (uses_budget or clears_budget)

    if with_extras:

        def _condition_with_extras(customer: Any, data: Any, policy: Any, budget: Any, *extras: Any) -> Any:
            frame = [0, budget, None, customer, data, policy, *extras, *padding]
            outer = active.budget if restores else None
            try:
                if uses_budget:
                    frame[TICK] = budget.start()
                elif clears_budget:
                    active.budget = lazy
                if body(frame) is not None:
                    return frame[RESULT]
                return final(frame)
            except StofRuntimeError as error:
                raise located(error) from None
            finally:
                if restores:
                    active.budget = outer

        return _condition_with_extras

    if not prefix and not padding and not uses_budget:
        if not clears_budget:

            def _condition_expression(customer: Any, data: Any, policy: Any, budget: Any) -> Any:
                try:
                    return final([0, budget, None, customer, data, policy])
                except StofRuntimeError as error:
                    raise located(error) from None

            return _condition_expression

        def _charged_expression(customer: Any, data: Any, policy: Any, budget: Any) -> Any:
            outer = active.budget
            active.budget = lazy
            try:
                return final([0, budget, None, customer, data, policy])
            except StofRuntimeError as error:
                raise located(error) from None
            finally:
                active.budget = outer

        return _charged_expression

    def _condition(customer: Any, data: Any, policy: Any, budget: Any) -> Any:
        frame = [0, budget, None, customer, data, policy, *padding]
        outer = active.budget if restores else None
        try:
            if uses_budget:
                frame[TICK] = budget.start()
            elif clears_budget:
                active.budget = lazy
            # at the top level only a `return` leaves a statement early
            if body(frame) is not None:
                return frame[RESULT]
            return final(frame)
        except StofRuntimeError as error:
            raise located(error) from None
        finally:
            if restores:
                active.budget = outer

    return _condition


__all__ = ["ClosureProgram", "build_closures"]
