"""Code generation for operators: unary, arithmetic, comparisons (inline fast paths), ``&&``/``||``."""

from __future__ import annotations

import math

from .. import nodes as n
from ..tiers import chain_operands
from .core import _BOOL, GeneratorCore
from .runtime import ARITH_FUNCS, COMPARE_FUNCS, COMPARE_PY, EXACT_INT_LITERAL, HOIST_DEPTH
from .tree import _children, _walk


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
        # a local (a variable, a kept read) is read as often as needed; anything else once, into `t`
        bound = f"{t} := {left}"
        if left.isidentifier():
            t = bound = left
        if right_value is None and e.op in ("==", "!="):
            # ops.eq: null equals only null (void is a different kind)
            return f"({left} {'is' if e.op == '==' else 'is not'} None)"
        if type(right_value) is str:
            rc = self.constant(right_value)
            return f"({t} {py} {rc} if type({bound}) is str else ({self.mark(e)}{fn}({t}, {rc})))"
        if type(right_value) is int and abs(right_value) < EXACT_INT_LITERAL:
            rc = self.constant(right_value)
            return (
                f"({t} {py} {rc} if type({bound}) is int or type({t}) is float"
                f" else ({self.mark(e)}{fn}({t}, {rc})))"
            )
        if type(right_value) is float:
            rc = self.constant(right_value)
            return f"({t} {py} {rc} if type({bound}) is float else ({self.mark(e)}{fn}({t}, {rc})))"
        var = self.lookup(e.right.names[0]) if isinstance(e.right, n.Path) and len(e.right.names) == 1 else None
        if var is not None and var.number is not None and e.op in ("<", "<=", ">", ">="):
            # a number against a const unit number: ops compares float(number) with the unit number's value
            f = var.number
            return (
                f"({t} {py} {f} if type({bound}) is float else float({t}) {py} {f} if type({t}) is int"
                f" else ({self.mark(e)}{fn}({t}, Units({f}, {var.unit!r}))))"
            )
        right = self.expr(e.right)
        u = self.temp()
        bound_right = f"{u} := {right}"
        if right.isidentifier():
            u = bound_right = right
        return (
            f"({t} {py} {u} if type({bound}) is type({bound_right}) and type({t}) in _PLAIN_COMPARABLE"
            f" else ({self.mark(e)}{fn}({t}, {u})))"
        )

    def expr_Logical(self, e: n.Logical) -> str:
        return self.logical(e, traced=False)

    def logical(self, e: n.Logical, *, traced: bool) -> str:
        # a chain of one operator is one flat Python `and`/`or` (no nesting per operand)
        operands = chain_operands(e)
        shared = self.shared_reads(e, operands)
        outer_define, outer_ready = self.cse_define, dict(self.cse_ready)

        def operand(i: int, x: n.Expr) -> str:
            # the enclosing chain's reads to keep lie in this chain's first operand (where it always runs)
            self.cse_define = {**shared.get(i, {}), **outer_define} if i == 0 else shared.get(i, {})
            if isinstance(x, n.Logical):
                code = self.nested(lambda: self.logical(x, traced=traced))
            else:
                code = self.expr(x)
                if traced:
                    code = self.traced(x, code)
                code = self.truth(code, x)
            # this operand ran whenever a later one runs: what it kept is there to read
            self.cse_ready.update(self.cse_define.values())
            return code

        word = " and " if e.op == "&&" else " or "
        try:
            return "(" + word.join(operand(i, x) for i, x in enumerate(operands)) + ")"
        finally:  # after the chain, only what was set before it is certainly set
            self.cse_define, self.cse_ready = outer_define, outer_ready

    def shared_reads(self, e: n.Logical, operands: list[n.Expr]) -> dict[int, dict[int, tuple[tuple[str, ...], str]]]:
        """Field reads (``a.b``, or a prefix of ``a.b.c``) an operand makes wherever it runs and a later operand
        makes again: per operand, the Path nodes that keep the value in a temporary (``(_t := ...)``), which
        the later operands read instead. Only in a body that changes nothing (a read gives the same value
        twice), in a chain without block expressions (no assignment in between) and shallow enough that no
        part of it moves into a helper function (the temporary stays in the function that reads it)."""
        level = self._depth % HOIST_DEPTH  # a multiple of HOIST_DEPTH is where a helper function begins
        if self.mutates or level == 0:
            return {}
        nodes = _small_tree(e, CSE_MAX_NODES)
        if nodes is None or any(isinstance(x, n.BlockExpr) for x in nodes) or level + _depth(e) >= HOIST_DEPTH - 1:
            return {}
        read_later: list[set[tuple[str, ...]]] = []
        later: set[tuple[str, ...]] = set()
        for x in reversed(operands):
            read_later.append(set(later))
            for path in (p for p in _walk(x) if isinstance(p, n.Path)):
                later.update(tuple(path.names[:k]) for k in range(2, len(path.names) + 1))
        read_later.reverse()
        plan: dict[int, dict[int, tuple[tuple[str, ...], str]]] = {}
        kept = set(self.cse_ready) | {key for key, _ in self.cse_define.values()}  # the enclosing chain's
        for i, x in enumerate(operands[:-1]):
            for path in _always_read(x):
                for k in range(len(path.names), 1, -1):  # the longest prefix a later operand reads too
                    key = tuple(path.names[:k])
                    if key in read_later[i] and key not in kept:
                        kept.add(key)
                        plan.setdefault(i, {})[id(path)] = (key, self.temp())
                        break
        return plan


# Chains larger than this are left as they are (the analysis walks each chain; nested chains would walk again).
CSE_MAX_NODES = 200


def _small_tree(node: n.Node, limit: int) -> list[n.Node] | None:
    """The nodes of ``node``'s tree, or None when there are more than ``limit``."""
    nodes: list[n.Node] = []
    for x in _walk(node):
        nodes.append(x)
        if len(nodes) > limit:
            return None
    return nodes


def _always_read(x: n.Expr) -> list[n.Path]:
    """The field reads evaluating ``x`` always makes (none behind a short circuit, a branch or a call)."""
    found: list[n.Path] = []
    stack = [x]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Path):
            if len(node.names) > 1:
                found.append(node)
        elif isinstance(node, n.Binary):
            stack += [node.left, node.right]
        elif isinstance(node, n.Unary):
            stack.append(node.operand)
        elif isinstance(node, n.Logical):
            stack.append(chain_operands(node)[0])
        elif isinstance(node, n.Nullish):
            stack.append(node.left)
        elif isinstance(node, n.Ternary):
            stack.append(node.cond)
    return found


def _depth(node: n.Node) -> int:
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in _children(current))
    return deepest
