"""Code generation for operators: unary, arithmetic, comparisons (inline fast paths), ``&&``/``||``."""

from __future__ import annotations

import math

from .. import nodes as n
from ..tiers import chain_operands
from .core import _BOOL, GeneratorCore
from .runtime import ARITH_FUNCS, COMPARE_FUNCS, COMPARE_PY, EXACT_INT_LITERAL


class OperatorsMixin(GeneratorCore):
    """Runtime operator calls, skipped by type-checked inline Python where it gives the same result."""

    def expr_Unary(self, e: n.Unary) -> str:
        operand = self.expr(e.operand)
        if e.op == "!":
            if self.kind(e.operand) == _BOOL:
                return f"(not {operand})"
            t = self.temp()
            return f"(not {t} if type({t} := {operand}) is bool else not_({t}))"
        return f"({self.mark(e)}neg({operand}))"

    def expr_Binary(self, e: n.Binary) -> str:
        if e.op in COMPARE_FUNCS:
            return self.comparison(e)
        fn = ARITH_FUNCS[e.op]
        left, right = self.expr(e.left), self.expr(e.right)
        literal = self.fold(e.right)
        if e.op in "+-*" and type(literal) is float and math.isfinite(literal):
            # int/float op a float literal: Python float arithmetic is IEEE f64, as Rust's
            t = self.temp()
            return (
                f"({t} {e.op} {right} if type({t} := {left}) is float or type({t}) is int"
                f" else ({self.mark(e)}{fn}({t}, {right})))"
            )
        if self.calls(e.left) and self.calls(e.right):
            # both sides can have effects: Stof evaluates the right operand first
            return f"({self.mark(e)}_swapped_{fn}({right}, {left}))"
        return f"({self.mark(e)}{fn}({left}, {right}))"

    def comparison(self, e: n.Binary) -> str:
        fn = COMPARE_FUNCS[e.op]
        py = COMPARE_PY[e.op]
        left = self.expr(e.left)
        right_value = self.fold(e.right)
        t = self.temp()
        if right_value is None and e.op in ("==", "!="):
            # ops.eq: null equals only null (void is a different kind)
            return f"({left} {'is' if e.op == '==' else 'is not'} None)"
        if type(right_value) is str:
            rc = self.constant(right_value)
            return f"({t} {py} {rc} if type({t} := {left}) is str else ({self.mark(e)}{fn}({t}, {rc})))"
        if type(right_value) is int and abs(right_value) < EXACT_INT_LITERAL:
            rc = self.constant(right_value)
            return (
                f"({t} {py} {rc} if type({t} := {left}) is int or type({t}) is float"
                f" else ({self.mark(e)}{fn}({t}, {rc})))"
            )
        if type(right_value) is float:
            rc = self.constant(right_value)
            return f"({t} {py} {rc} if type({t} := {left}) is float else ({self.mark(e)}{fn}({t}, {rc})))"
        var = self.lookup(e.right.names[0]) if isinstance(e.right, n.Path) and len(e.right.names) == 1 else None
        if var is not None and var.number is not None and e.op in ("<", "<=", ">", ">="):
            # a number against a const unit number: ops compares float(number) with the unit number's value
            f = var.number
            return (
                f"({t} {py} {f} if type({t} := {left}) is float else float({t}) {py} {f} if type({t}) is int"
                f" else ({self.mark(e)}{fn}({t}, Units({f}, {var.unit!r}))))"
            )
        right = self.expr(e.right)
        u = self.temp()
        return (
            f"({t} {py} {u} if type({t} := {left}) is type({u} := {right}) and type({t}) in _PLAIN_COMPARABLE"
            f" else ({self.mark(e)}{fn}({t}, {u})))"
        )

    def expr_Logical(self, e: n.Logical) -> str:
        return self.logical(e, traced=False)

    def logical(self, e: n.Logical, *, traced: bool) -> str:
        # a chain of one operator is one flat Python `and`/`or` (no nesting per operand)
        operands = chain_operands(e)

        def operand(x: n.Expr) -> str:
            if isinstance(x, n.Logical):
                return self.nested(lambda: self.logical(x, traced=traced))
            code = self.expr(x)
            if traced:
                code = self.traced(x, code)
            return self.truth(code, x)

        word = " and " if e.op == "&&" else " or "
        return "(" + word.join(operand(x) for x in operands) + ")"
