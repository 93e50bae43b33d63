"""The closure builder's core: scopes and frame slots, loop bookkeeping, budget ticks, folding and dispatch.

The statement and expression builders (statements.py, control.py, expressions.py, calls.py) are functions of a
``Builder`` and a node; ``program.py`` hands their tables to the builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import nodes as n
from ..compiler import ARITH_FUNCS, COMPARE_FUNCS
from .frame import FIRST_PARAMETER, NULL, TICK, Closure, constant, refill, sequence
from .operators import unary_call

# Beyond these the condition compiles eagerly: the closures recurse one Python frame per level (the generated
# code hoists deep expressions into helpers), and CPython rejects more than 20 nested loop/try blocks in one
# function, which the generated tier must report at construction as it always did.
MAX_EXPRESSION_DEPTH = 64
MAX_STATEMENT_DEPTH = 32
MAX_BLOCK_WEIGHT = 19
LOOP_WEIGHT = 3  # the loop and at most two try blocks for labelled jumps
TRY_WEIGHT = 2  # the handler body sits in two blocks

NOT_CONSTANT: Any = object()
_UNSEEN: Any = object()

StatementBuilder = Callable[["Builder", Any], Closure | None]
ExpressionBuilder = Callable[["Builder", Any], Closure]


class Unsupported(Exception):
    """This condition is left to the generated tier (raised while building, never at evaluation)."""


class Slot:
    """A name's place in the frame, and what the builders need to know about it."""

    __slots__ = ("const", "index", "type", "used")

    def __init__(self, index: int, const: bool = False, type_: n.TypeRef | None = None) -> None:
        self.index = index
        self.const = const
        self.type = type_
        self.used = False


class Loop:
    """A loop being built: its label, the tokens its body's jumps return, and whether a continue targets it."""

    __slots__ = ("break_token", "continue_token", "continued", "label")

    def __init__(self, label: str | None) -> None:
        self.label = label
        self.break_token = object()
        self.continue_token = object()
        self.continued = False


class Builder:
    """One pass over a body, building closures (the structure mirrors compiler.CodeGenerator)."""

    def __init__(
        self,
        runtime: Mapping[str, Any],
        statement_builders: Mapping[type, StatementBuilder],
        expression_builders: Mapping[type, ExpressionBuilder],
    ) -> None:
        self.rt = runtime
        self.statement_builders = statement_builders
        self.expression_builders = expression_builders
        self.libraries: frozenset[str] = frozenset(runtime.get("LIBRARIES", ()))
        self.mutating_methods: frozenset[str] = frozenset(runtime.get("MUTATING_METHODS", ()))
        self.scopes: list[dict[str, Slot]] = []
        self.slots = FIRST_PARAMETER
        self.loops: list[Loop] = []
        self.loop_floor = 0  # loops below this index are outside the block expression being built
        self.loop_depth = 0
        self.block_weight = 0
        self.expression_depth = 0
        self.statement_depth = 0
        self.uses_budget = False
        self.mutates = False
        self.call_sites = 0  # Call nodes built so far (outside block expressions): the compiler's `calls`
        self.copy_host_results = [False]  # set once the whole body is seen; read by method-call closures
        self.folded: dict[int, Any] = {}

    # ------------------------------------------------------------ scopes

    def lookup(self, name: str) -> Slot | None:
        for scope in reversed(self.scopes):
            slot = scope.get(name)
            if slot is not None:
                slot.used = True
                return slot
        return None

    def declare(self, name: str, *, const: bool = False, type_: n.TypeRef | None = None) -> Slot:
        slot = Slot(self.slots, const, type_)
        self.slots += 1
        self.scopes[-1][name] = slot
        return slot

    def in_scope(self, stmts: list[n.Stmt]) -> Closure:
        """Statements in a scope of their own (a block, a branch, a loop body)."""
        self.scopes.append({})
        built = self.statements(stmts)
        self.scopes.pop()
        return built

    def scoped(self, stmt: n.Stmt) -> Closure:
        """A branch or loop body: a block opens a scope, so does a lone statement."""
        return self.in_scope(stmt.body if isinstance(stmt, n.Block) else [stmt])

    # ------------------------------------------------------------ blocks the generated function nests

    def open_block(self, weight: int, what: str) -> None:
        self.block_weight += weight
        if self.block_weight > MAX_BLOCK_WEIGHT:
            raise Unsupported(f"{what} nested too deeply for one generated function")

    def open_loop(self, label: str | None) -> Loop:
        self.open_block(LOOP_WEIGHT, "loops")
        loop = Loop(label)
        self.loops.append(loop)
        self.loop_depth += 1
        self.uses_budget = True  # every loop counts a step per iteration
        return loop

    def close_loop(self) -> None:
        self.loops.pop()
        self.loop_depth -= 1
        self.block_weight -= LOOP_WEIGHT

    # ------------------------------------------------------------ statements

    def statement(self, stmt: n.Stmt) -> Closure | None:
        self.statement_depth += 1
        if self.statement_depth > MAX_STATEMENT_DEPTH:
            raise Unsupported("statements nested too deeply")
        build = self.statement_builders.get(type(stmt))
        if build is None:
            raise Unsupported(f"statement {type(stmt).__name__}")
        built = build(self, stmt)
        self.statement_depth -= 1
        return built

    def statement_list(self, stmts: list[n.Stmt]) -> list[Closure]:
        return [c for c in (self.statement(s) for s in stmts) if c is not None]

    def statements(self, stmts: list[n.Stmt]) -> Closure:
        return sequence(self.statement_list(stmts))

    def ticked(self, inner: Closure, steps: int, node: n.Node) -> Closure:
        """Count ``steps`` before ``inner`` runs (inside loops only: a loop-free body is bounded by its size)."""
        if self.loop_depth == 0 or steps <= 0:
            return inner
        self.uses_budget = True
        line, col = node.line, node.col

        def ticked(frame: list[Any]) -> Any:
            countdown = frame[TICK] - steps
            frame[TICK] = countdown if countdown > 0 else refill(frame, countdown, line, col)
            return inner(frame)

        return ticked

    def counted(self, e: n.Expr | None) -> tuple[Closure | None, int]:
        """``e`` built, with the number of call sites in it (the steps a statement counts in a loop)."""
        if e is None:
            return None, 0
        before = self.call_sites
        built = self.expr(e)
        return built, self.call_sites - before

    def counted_truth(self, e: n.Expr) -> tuple[Closure, int]:
        """``e``'s truth built, with the number of call sites in it."""
        before = self.call_sites
        built = self.truth(e)
        return built, self.call_sites - before

    # ------------------------------------------------------------ expressions

    def expr(self, e: n.Expr) -> Closure:
        self.expression_depth += 1
        if self.expression_depth > MAX_EXPRESSION_DEPTH:
            raise Unsupported("expression nested too deeply")
        kind = type(e)
        if kind is n.Literal:
            built = NULL if e.value is None else constant(e.value)
        else:
            value = (
                self.fold(e) if kind is n.Unary or kind is n.Binary or kind is n.UnitLiteral else NOT_CONSTANT
            )
            if value is not NOT_CONSTANT:
                built = constant(value)
            else:
                build = self.expression_builders.get(kind)
                if build is None:
                    raise Unsupported(f"expression {kind.__name__}")
                built = build(self, e)
        self.expression_depth -= 1
        return built

    def fold(self, e: n.Expr) -> Any:
        """The value of a literal-only expression, computed now with the runtime's own operators (as the
        generated tier folds it); ``NOT_CONSTANT`` otherwise, or when computing it fails (that error happens at
        evaluation, with its position)."""
        kind = type(e)
        if kind is n.Literal:
            return e.value
        if kind is n.UnitLiteral:
            return self.rt["Units"](e.value, e.unit)
        if kind is not n.Unary and kind is not n.Binary:
            return NOT_CONSTANT
        key = id(e)
        value = self.folded.get(key, _UNSEEN)
        if value is not _UNSEEN:
            return value
        value = self._fold(e)
        self.folded[key] = value
        return value

    def _fold(self, e: n.Expr) -> Any:
        if isinstance(e, n.Unary):
            operands = [self.fold(e.operand)]
            fn = self.rt["neg" if e.op == "-" else "not_"]
        else:
            assert isinstance(e, n.Binary)
            operands = [self.fold(e.left), self.fold(e.right)]
            fn = self.rt[COMPARE_FUNCS.get(e.op) or ARITH_FUNCS[e.op]]
        if any(v is NOT_CONSTANT for v in operands):
            return NOT_CONSTANT
        try:
            value = fn(*operands)
        except Exception:
            return NOT_CONSTANT
        immutable = value is None or type(value) in (bool, int, float, str) or type(value) is self.rt["Units"]
        if type(value) is str and len(value) > 1024:
            return NOT_CONSTANT
        return value if immutable else NOT_CONSTANT

    def truth(self, e: n.Expr) -> Closure:
        """``e``'s Stof truthiness as a Python bool."""
        built = self.expr(e)
        if (
            isinstance(e, n.Logical)
            or (isinstance(e, n.Binary) and e.op in COMPARE_FUNCS)
            or (isinstance(e, n.Unary) and e.op == "!")
            or (isinstance(e, n.Literal) and type(e.value) is bool)
        ):
            return built
        truthy = self.rt["truthy"]

        def truth(frame: list[Any]) -> bool:
            v = built(frame)
            return v if type(v) is bool else truthy(v)

        return truth

    def cast_closure(self, value: Closure, type_: n.TypeRef, node: n.Node) -> Closure:
        """``value`` cast to ``type_`` (``as T``, a typed declaration or assignment)."""
        cast = self.rt["cast"]
        names, not_null = tuple(type_.names), type_.not_null

        def cast_to_type(v: Any) -> Any:
            return cast(v, names, not_null)

        return unary_call(cast_to_type, value, node)
