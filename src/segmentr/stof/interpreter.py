"""The closure tier: a Stof AST turned into nested Python closures in one cheap pass (a condition's first tier).

``build_closures(body)`` gives a function with the contract of the generated ``_condition`` (compiler.py): the
body's value or ``VOID``, or a ``StofRuntimeError`` carrying the failing node's position. It calls the runtime's
generic operators where the generated code calls them, in the same order and with the same budget ticks; block
scopes become slots of one frame list. Statements return None, or a signal: ``_RETURN`` (value in the frame) or
a loop's break/continue token. Rare constructs make it return None: the condition then compiles eagerly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import nodes as n
from .compiler import (
    ARITH_FUNCS,
    ASSIGN_FUNCS,
    COMPARE_FUNCS,
    PARAMETERS,
    _assign_path,
    _copy_host_result,
    _error_value,
    body_mutates,
    runtime_namespace,
)
from .errors import StofBudgetExceeded, StofRuntimeError

Closure = Callable[[list[Any]], Any]

# Frame layout: the budget countdown, the Budget, a returned value, then the parameters and the locals.
TICK, BUDGET, RESULT = 0, 1, 2
FIRST_PARAMETER = 3

# Beyond these the condition compiles eagerly: the closures recurse one Python frame per level (the generated
# code hoists deep expressions into helpers), and CPython rejects more than 20 nested loop/try blocks in one
# function, which the generated tier must report at construction as it always did.
MAX_EXPRESSION_DEPTH = 64
MAX_STATEMENT_DEPTH = 32
MAX_BLOCK_WEIGHT = 19
LOOP_WEIGHT = 3  # the loop and at most two try blocks for labelled jumps
TRY_WEIGHT = 2  # the handler body sits in two blocks

_RETURN: Any = object()
_NOT_CONSTANT: Any = object()
_UNSEEN: Any = object()
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


class _Unsupported(Exception):
    """This condition is left to the generated tier (raised while building, never at evaluation)."""


@dataclass(slots=True, frozen=True)
class ClosureProgram:
    """A built first-tier condition: ``function(customer, data, policy, budget)`` and what the caller needs."""

    function: Callable[[Any, Any, Any, Any], Any]
    uses_budget: bool
    mutates: bool


def build_closures(body: n.Body, *, runtime: Mapping[str, Any] | None = None) -> ClosureProgram | None:
    """The first tier of ``body``, or None when it holds a construct left to the generated tier."""
    global _default_runtime
    if runtime is None:
        if _default_runtime is None:
            _default_runtime = runtime_namespace()
        runtime = _default_runtime
    try:
        return _Builder(runtime).program(body)
    except (_Unsupported, RecursionError):  # RecursionError: folding a very long chain of literals
        return None


def _at(error: StofRuntimeError, line: int, column: int) -> None:
    """Give ``error`` the position of the node being evaluated, unless an inner node already did.

    Only the attributes change here: a Stof ``catch`` turns the error into its text, which carries no position
    (as in the generated tier, whose errors get theirs when they leave the function)."""
    if not error.line:
        error.line = line
        error.column = column


def _located(error: StofRuntimeError) -> StofRuntimeError:
    """The message of an error leaving the condition names its position (as ``Condition`` does for tier 2)."""
    if error.line:
        where = f" at {error.line}:{error.column}"
        message = error.args[0] if error.args else ""
        if not str(message).endswith(where):
            error.args = (f"{message}{where}" if error.args else where.lstrip(),)
    return error


def _constant(value: Any) -> Closure:
    def constant(frame: list[Any]) -> Any:
        return value

    return constant


def _nothing(frame: list[Any]) -> None:
    return None


_NULL = _constant(None)


class _Slot:
    __slots__ = ("const", "index", "type", "used")

    def __init__(self, index: int, const: bool = False, type_: n.TypeRef | None = None) -> None:
        self.index = index
        self.const = const
        self.type = type_
        self.used = False


class _Loop:
    """A loop being built: its label, the tokens its body's jumps return, and whether a continue targets it."""

    __slots__ = ("break_token", "continue_token", "continued", "label")

    def __init__(self, label: str | None) -> None:
        self.label = label
        self.break_token = object()
        self.continue_token = object()
        self.continued = False


class _Builder:
    """One pass over a body, building closures (the structure mirrors compiler.CodeGenerator)."""

    def __init__(self, runtime: Mapping[str, Any]) -> None:
        if any(name not in runtime for name in _REQUIRED):
            raise _Unsupported("custom runtime without every runtime name")
        self.rt = runtime
        self.libraries: frozenset[str] = frozenset(runtime.get("LIBRARIES", ()))
        self.mutating_methods: frozenset[str] = frozenset(runtime.get("MUTATING_METHODS", ()))
        self.scopes: list[dict[str, _Slot]] = []
        self.slots = FIRST_PARAMETER
        self.loops: list[_Loop] = []
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

    # ------------------------------------------------------------ entry point

    def program(self, body: n.Body) -> ClosureProgram:
        self.scopes.append({name: _Slot(FIRST_PARAMETER + i) for i, name in enumerate(PARAMETERS)})
        self.slots = FIRST_PARAMETER + len(PARAMETERS)
        self.scopes.append({})
        stmts = body.body
        last: Closure | None = None
        if stmts and (
            (isinstance(stmts[-1], n.ExprStmt) and stmts[-1].returns) or isinstance(stmts[-1], n.Return)
        ):
            prefix = [c for c in (self.statement(s) for s in stmts[:-1]) if c is not None]
            final = stmts[-1]
            value = final.expr if isinstance(final, n.ExprStmt) else final.value
            last = _constant(self.rt["VOID"]) if value is None else self.expr(value)
        else:
            prefix = [c for c in (self.statement(s) for s in stmts) if c is not None]
        mutates = self.mutates or (
            bool(body.dropped) and body_mutates(n.Body(body=body.dropped), self.mutating_methods)
        )
        self.copy_host_results[0] = mutates
        function = _entry(
            prefix, last, self.slots - FIRST_PARAMETER - len(PARAMETERS), self.uses_budget, self.rt["VOID"]
        )
        return ClosureProgram(function=function, uses_budget=self.uses_budget, mutates=mutates)

    # ------------------------------------------------------------ scopes

    def lookup(self, name: str) -> _Slot | None:
        for scope in reversed(self.scopes):
            slot = scope.get(name)
            if slot is not None:
                slot.used = True
                return slot
        return None

    def declare(self, name: str, *, const: bool = False, type_: n.TypeRef | None = None) -> _Slot:
        slot = _Slot(self.slots, const, type_)
        self.slots += 1
        self.scopes[-1][name] = slot
        return slot

    # ------------------------------------------------------------ statements

    def statement(self, stmt: n.Stmt) -> Closure | None:
        self.statement_depth += 1
        if self.statement_depth > MAX_STATEMENT_DEPTH:
            raise _Unsupported("statements nested too deeply")
        build = _STATEMENTS.get(type(stmt))
        if build is None:
            raise _Unsupported(f"statement {type(stmt).__name__}")
        built = build(self, stmt)
        self.statement_depth -= 1
        return built

    def statements(self, stmts: list[n.Stmt]) -> Closure:
        built = [c for c in (self.statement(s) for s in stmts) if c is not None]
        return _sequence(built)

    def scoped(self, stmt: n.Stmt) -> Closure:
        """A branch or loop body: a block opens a scope, so does a lone statement."""
        self.scopes.append({})
        built = self.statements(stmt.body if isinstance(stmt, n.Block) else [stmt])
        self.scopes.pop()
        return built

    def ticked(self, inner: Closure, steps: int, node: n.Node) -> Closure:
        """Count ``steps`` before ``inner`` runs (inside loops only: a loop-free body is bounded by its size)."""
        if self.loop_depth == 0 or steps <= 0:
            return inner
        self.uses_budget = True
        line, col = node.line, node.col

        def ticked(frame: list[Any]) -> Any:
            countdown = frame[TICK] - steps
            if countdown <= 0:
                try:
                    countdown = frame[BUDGET].refill(countdown)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise
            frame[TICK] = countdown
            return inner(frame)

        return ticked

    def counted(self, e: n.Expr | None) -> tuple[Closure | None, int]:
        """``e`` built, with the number of call sites in it (the steps a statement counts in a loop)."""
        if e is None:
            return None, 0
        before = self.call_sites
        built = self.expr(e)
        return built, self.call_sites - before

    def stmt_empty(self, stmt: n.Empty) -> None:
        return None

    def stmt_block(self, stmt: n.Block) -> Closure:
        self.scopes.append({})
        built = self.statements(stmt.body)
        self.scopes.pop()
        return built

    def stmt_expr(self, stmt: n.ExprStmt) -> Closure | None:
        if not stmt.returns and isinstance(stmt.expr, n.Literal | n.Path | n.UnitLiteral):
            return None
        value, steps = self.counted(stmt.expr)
        assert value is not None
        if stmt.returns:
            return self.ticked(_returning(value), steps, stmt)

        def evaluate(frame: list[Any]) -> None:
            value(frame)

        return self.ticked(evaluate, steps, stmt)

    def stmt_return(self, stmt: n.Return) -> Closure:
        value, steps = self.counted(stmt.value)
        return self.ticked(_returning(value or _constant(self.rt["VOID"])), steps, stmt)

    def cast_closure(self, value: Closure, type_: n.TypeRef, node: n.Node) -> Closure:
        cast = self.rt["cast"]
        names, not_null = tuple(type_.names), type_.not_null
        line, col = node.line, node.col

        def cast_value(frame: list[Any]) -> Any:
            v = value(frame)
            try:
                return cast(v, names, not_null)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return cast_value

    def stmt_declare(self, stmt: n.Declare) -> Closure:
        value, steps = self.counted(stmt.value)
        if stmt.type is not None:
            value = self.cast_closure(value or _NULL, stmt.type, stmt)
        if stmt.name in self.scopes[-1]:
            message = f"{stmt.name!r} is already declared in this scope"
            return self.ticked(_failing(value, "DeclareExisting", message, stmt), steps, stmt)
        index = self.declare(stmt.name, const=stmt.const, type_=stmt.type).index
        if value is None:

            def declare_null(frame: list[Any]) -> None:
                frame[index] = None

            return self.ticked(declare_null, steps, stmt)
        assigned = value

        def declare(frame: list[Any]) -> None:
            frame[index] = assigned(frame)

        return self.ticked(declare, steps, stmt)

    def stmt_assign(self, stmt: n.Assign) -> Closure:
        value, steps = self.counted(stmt.value)
        assert value is not None
        root = self.lookup(stmt.target[0])
        combine_name = ASSIGN_FUNCS.get(stmt.op)
        combine = self.rt[combine_name] if combine_name is not None else None
        line, col = stmt.line, stmt.col
        if len(stmt.target) > 1:
            self.mutates = True
            names = tuple(stmt.target[1:])
            root_index = root.index if root is not None else None

            def assign_path(frame: list[Any]) -> None:
                target = frame[root_index] if root_index is not None else None
                v = value(frame)
                try:
                    _assign_path(target, names, v, combine)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise

            return self.ticked(assign_path, steps, stmt)
        if root is None:
            message = f"{stmt.target[0]!r} is not declared"
            return self.ticked(_failing(value, "AssignRootNonObj", message, stmt), steps, stmt)
        if root.const:
            message = f"{stmt.target[0]!r} is a constant"
            return self.ticked(_failing(value, "AssignConst", message, stmt), steps, stmt)
        index = root.index
        if combine is not None:
            operand = value

            def combined(frame: list[Any]) -> Any:
                current = frame[index]
                v = operand(frame)
                try:
                    return combine(current, v)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise

            value = combined
        if root.type is not None:
            value = self.cast_closure(value, root.type, stmt)
        assigned = value

        def assign(frame: list[Any]) -> None:
            frame[index] = assigned(frame)

        return self.ticked(assign, steps, stmt)

    def stmt_if(self, stmt: n.If) -> Closure:
        before = self.call_sites
        cond = self.truth(stmt.cond)
        steps = self.call_sites - before
        then = self.scoped(stmt.then)
        branches: list[tuple[Closure, int, Closure]] = []
        other = stmt.otherwise
        while isinstance(other, n.If):
            before = self.call_sites
            branch_cond = self.truth(other.cond)
            # the generated `elif` counts its condition's calls inside the branch, when it is taken
            branch_steps = self.call_sites - before if self.loop_depth else 0
            if branch_steps:
                self.uses_budget = True
            branches.append((branch_cond, branch_steps, self.scoped(other.then)))
            other = other.otherwise
        otherwise = self.scoped(other) if other is not None else _nothing
        if not branches:

            def if_else(frame: list[Any]) -> Any:
                if cond(frame):
                    return then(frame)
                return otherwise(frame)

            return self.ticked(if_else, steps, stmt)
        line, col = stmt.line, stmt.col

        def if_chain(frame: list[Any]) -> Any:
            if cond(frame):
                return then(frame)
            for branch_cond, branch_steps, body in branches:
                if branch_cond(frame):
                    if branch_steps:
                        countdown = frame[TICK] - branch_steps
                        if countdown <= 0:
                            try:
                                countdown = frame[BUDGET].refill(countdown)
                            except StofRuntimeError as error:
                                _at(error, line, col)
                                raise
                        frame[TICK] = countdown
                    return body(frame)
            return otherwise(frame)

        return self.ticked(if_chain, steps, stmt)

    # loops ----------------------------------------------------------

    def open_loop(self, label: str | None) -> _Loop:
        self.block_weight += LOOP_WEIGHT
        if self.block_weight > MAX_BLOCK_WEIGHT:
            raise _Unsupported("loops nested too deeply for one generated function")
        loop = _Loop(label)
        self.loops.append(loop)
        self.loop_depth += 1
        self.uses_budget = True  # every loop counts a step per iteration
        return loop

    def close_loop(self) -> None:
        self.loops.pop()
        self.loop_depth -= 1
        self.block_weight -= LOOP_WEIGHT

    def stmt_while(self, stmt: n.While) -> Closure:
        loop = self.open_loop(stmt.label)
        before = self.call_sites
        cond = self.truth(stmt.cond)
        steps = self.call_sites - before + 1
        body = self.scoped(stmt.body)
        self.close_loop()
        break_token, continue_token = loop.break_token, loop.continue_token
        line, col = stmt.line, stmt.col

        def while_loop(frame: list[Any]) -> Any:
            try:
                while cond(frame):
                    countdown = frame[TICK] - steps
                    if countdown <= 0:
                        countdown = frame[BUDGET].refill(countdown)
                    frame[TICK] = countdown
                    signal = body(frame)
                    if signal is not None:
                        if signal is continue_token:
                            continue
                        if signal is break_token:
                            break
                        return signal
            except StofRuntimeError as error:
                _at(error, line, col)
                raise
            return None

        return while_loop

    def stmt_for(self, stmt: n.For) -> Closure:
        self.scopes.append({})
        init = self.statement(stmt.init) if stmt.init is not None else None
        loop = self.open_loop(stmt.label)
        before = self.call_sites
        cond = self.truth(stmt.cond) if stmt.cond is not None else None
        steps = self.call_sites - before + 1
        body = self.scoped(stmt.body)
        step = self.statement(stmt.step) if stmt.step is not None else None
        self.close_loop()
        self.scopes.pop()
        break_token, continue_token = loop.break_token, loop.continue_token
        # with a `continue`, the generated loop runs the step at the top of the next iteration, after the tick
        step_first = step is not None and loop.continued
        line, col = stmt.line, stmt.col

        def for_loop(frame: list[Any]) -> Any:
            if init is not None:
                signal = init(frame)
                if signal is not None:
                    return signal
            started = False
            try:
                while True:
                    countdown = frame[TICK] - steps
                    if countdown <= 0:
                        countdown = frame[BUDGET].refill(countdown)
                    frame[TICK] = countdown
                    if step_first:
                        if started:
                            step(frame)
                        started = True
                    if cond is not None and not cond(frame):
                        break
                    signal = body(frame)
                    if signal is not None:
                        if signal is continue_token:
                            continue
                        if signal is break_token:
                            break
                        return signal
                    if step is not None and not step_first:
                        step(frame)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise
            return None

        return for_loop

    def stmt_for_in(self, stmt: n.ForIn) -> Closure:
        iterable, iterable_steps = self.counted(stmt.iterable)
        assert iterable is not None
        loop = self.open_loop(stmt.label)
        self.scopes.append({})
        implicit = {name: self.declare(name) for name in ("index", "first", "last", "length", "iterable")}
        item_slot = self.declare(stmt.name, const=stmt.const, type_=stmt.type)
        body = self.scoped(stmt.body)
        self.scopes.pop()
        self.close_loop()
        # only the implicit names the body reads or assigns are set, as in the generated loop
        used = tuple((name, slot.index) for name, slot in implicit.items() if slot.used)
        break_token, continue_token = loop.break_token, loop.continue_token
        iter_len, iter_at, cast = self.rt["iter_len"], self.rt["iter_at"], self.rt["cast"]
        names = tuple(stmt.type.names) if stmt.type is not None else None
        not_null = stmt.type.not_null if stmt.type is not None else False
        item_index = item_slot.index
        line, col = stmt.line, stmt.col

        def for_in(frame: list[Any]) -> Any:
            source = iterable(frame)
            try:
                length = iter_len(source)
                for i in range(length):
                    countdown = frame[TICK] - 1
                    if countdown <= 0:
                        countdown = frame[BUDGET].refill(countdown)
                    frame[TICK] = countdown
                    for name, index in used:  # usually none
                        if name == "index":
                            frame[index] = i
                        elif name == "first":
                            frame[index] = i == 0
                        elif name == "last":
                            # set after each iteration in Stof: never on the first
                            frame[index] = i == length - 1 and i > 0
                        elif name == "length":
                            frame[index] = length
                        else:
                            frame[index] = source
                    item = iter_at(source, i)
                    frame[item_index] = item if names is None else cast(item, names, not_null)
                    signal = body(frame)
                    if signal is not None:
                        if signal is continue_token:
                            continue
                        if signal is break_token:
                            break
                        return signal
            except StofRuntimeError as error:
                _at(error, line, col)
                raise
            return None

        return self.ticked(for_in, iterable_steps, stmt)

    def jump(self, stmt: n.Break | n.Continue) -> Closure | None:
        if not self.loops:
            return None
        target = self.loops[-1]
        if stmt.label is not None:
            found = next((loop for loop in reversed(self.loops) if loop.label == stmt.label), None)
            if found is None:
                return None
            target = found
        if self.loops.index(target) < self.loop_floor:
            raise _Unsupported("a jump out of a block expression")
        if isinstance(stmt, n.Break):
            return _constant(target.break_token)
        target.continued = True
        return _constant(target.continue_token)

    def stmt_switch(self, stmt: n.Switch) -> Closure:
        subject, steps = self.counted(stmt.subject)
        assert subject is not None
        eq = self.rt["eq"]
        cases: list[tuple[tuple[tuple[Closure, int, int], ...], Closure]] = []
        default: Closure | None = None
        for case in stmt.cases:
            if case.is_default:
                default = self.scoped(case.body)
                continue
            values = tuple((self.expr(v), v.line, v.col) for v in case.values)
            cases.append((values, self.scoped(case.body)))
        otherwise = default or _nothing

        def switch(frame: list[Any]) -> Any:
            s = subject(frame)
            for values, body in cases:
                for value, line, col in values:
                    v = value(frame)
                    try:
                        hit = eq(s, v)
                    except StofRuntimeError as error:
                        _at(error, line, col)
                        raise
                    if hit:
                        return body(frame)
            return otherwise(frame)

        return self.ticked(switch, steps, stmt)

    def stmt_try(self, stmt: n.Try) -> Closure:
        self.block_weight += TRY_WEIGHT
        if self.block_weight > MAX_BLOCK_WEIGHT:
            raise _Unsupported("try blocks nested too deeply for one generated function")
        body = self.scoped(stmt.body)
        self.scopes.append({})
        error_index: int | None = None
        if stmt.error_name is not None:
            error_index = self.declare(stmt.error_name, type_=stmt.error_type).index
        names = tuple(stmt.error_type.names) if stmt.error_type is not None else None
        not_null = stmt.error_type.not_null if stmt.error_type is not None else False
        cast = self.rt["cast"]
        handler = self.scoped(stmt.handler)
        self.scopes.pop()
        self.block_weight -= TRY_WEIGHT
        line, col = stmt.line, stmt.col

        def try_catch(frame: list[Any]) -> Any:
            try:
                return body(frame)
            except StofBudgetExceeded:
                raise
            except StofRuntimeError as error:
                if error_index is not None:
                    text = _error_value(error)
                    if names is not None:
                        try:
                            text = cast(text, names, not_null)
                        except StofRuntimeError as cast_error:
                            _at(cast_error, line, col)
                            raise
                    frame[error_index] = text
                return handler(frame)

        return try_catch

    # ------------------------------------------------------------ expressions

    def expr(self, e: n.Expr) -> Closure:
        self.expression_depth += 1
        if self.expression_depth > MAX_EXPRESSION_DEPTH:
            raise _Unsupported("expression nested too deeply")
        kind = type(e)
        if kind is n.Literal:
            built = _NULL if e.value is None else _constant(e.value)
        else:
            value = (
                self.fold(e)
                if kind is n.Unary or kind is n.Binary or kind is n.UnitLiteral
                else _NOT_CONSTANT
            )
            if value is not _NOT_CONSTANT:
                built = _constant(value)
            else:
                build = _EXPRESSIONS.get(kind)
                if build is None:
                    raise _Unsupported(f"expression {kind.__name__}")
                built = build(self, e)
        self.expression_depth -= 1
        return built

    def fold(self, e: n.Expr) -> Any:
        """The value of a literal-only expression, computed now with the runtime's own operators (as the
        generated tier folds it); ``_NOT_CONSTANT`` otherwise, or when computing it fails (that error happens at
        evaluation, with its position)."""
        kind = type(e)
        if kind is n.Literal:
            return e.value
        if kind is n.UnitLiteral:
            return self.rt["Units"](e.value, e.unit)
        if kind is not n.Unary and kind is not n.Binary:
            return _NOT_CONSTANT
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
        if any(v is _NOT_CONSTANT for v in operands):
            return _NOT_CONSTANT
        try:
            value = fn(*operands)
        except Exception:
            return _NOT_CONSTANT
        immutable = value is None or type(value) in (bool, int, float, str) or type(value) is self.rt["Units"]
        if type(value) is str and len(value) > 1024:
            return _NOT_CONSTANT
        return value if immutable else _NOT_CONSTANT

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

    def expr_unit(self, e: n.UnitLiteral) -> Closure:
        return _constant(self.rt["Units"](e.value, e.unit))

    def expr_version(self, e: n.VersionLiteral) -> Closure:
        try:
            value = self.rt["Version"].parse(e.text)
        except Exception as exc:
            raise _Unsupported("a version literal that does not parse") from exc
        return _constant(value)

    def expr_list(self, e: n.ListLiteral) -> Closure:
        items = tuple(self.expr(x) for x in e.items)

        def list_literal(frame: list[Any]) -> list[Any]:
            return [item(frame) for item in items]

        return list_literal

    def expr_tuple(self, e: n.TupleLiteral) -> Closure:
        items = tuple(self.expr(x) for x in e.items)

        def tuple_literal(frame: list[Any]) -> tuple[Any, ...]:
            return tuple([item(frame) for item in items])

        return tuple_literal

    def expr_set(self, e: n.SetLiteral) -> Closure:
        items = tuple(self.expr(x) for x in e.items)
        make = self.rt["StofSet"]
        line, col = e.line, e.col

        def set_literal(frame: list[Any]) -> Any:
            values = [item(frame) for item in items]
            try:
                return make(values)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return set_literal

    def expr_map(self, e: n.MapLiteral) -> Closure:
        entries = tuple((self.expr(k), self.expr(v)) for k, v in e.entries)
        make = self.rt["StofMap"]
        line, col = e.line, e.col

        def map_literal(frame: list[Any]) -> Any:
            pairs = [(key(frame), value(frame)) for key, value in entries]
            try:
                return make(pairs)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return map_literal

    def expr_path(self, e: n.Path) -> Closure:
        slot = self.lookup(e.names[0])
        if slot is None:
            return _NULL
        index = slot.index
        if len(e.names) == 2:  # `customer.plan`: the commonest read, one closure
            name = e.names[1]

            def slot_field(frame: list[Any]) -> Any:
                v = frame[index]
                return v.get(name) if type(v) is dict else None

            return slot_field
        return _fields(_slot_reader(index), e.names[1:])

    def expr_attr(self, e: n.Attr) -> Closure:
        return _fields(self.expr(e.obj), [e.name])

    def expr_call(self, e: n.Call) -> Closure:
        self.call_sites += 1
        if e.name in self.mutating_methods:
            self.mutates = True
        receiver = e.receiver
        if receiver is None:
            return self.library_call("Std", e)
        if (
            isinstance(receiver, n.Path)
            and len(receiver.names) == 1
            and self.lookup(receiver.names[0]) is None
            and receiver.names[0] in self.libraries
        ):
            return self.library_call(receiver.names[0], e)
        target = self.expr(receiver)
        args = tuple(self.expr(a) for a in e.args)
        call_method = self.rt["call_method"]
        name, null_safe, copy_results = e.name, e.null_safe, self.copy_host_results
        line, col = e.line, e.col
        if not args:

            def method_call(frame: list[Any]) -> Any:
                r = target(frame)
                try:
                    result = call_method(r, name, [], null_safe)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise
                # a body that changes values gets its own copy of what a host call returns
                return _copy_host_result(result, r) if copy_results[0] else result

            return method_call

        def method_call_with_args(frame: list[Any]) -> Any:
            r = target(frame)
            values = [a(frame) for a in args]
            try:
                result = call_method(r, name, values, null_safe)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise
            return _copy_host_result(result, r) if copy_results[0] else result

        return method_call_with_args

    def library_call(self, lib: str, e: n.Call) -> Closure:
        args = tuple(self.expr(a) for a in e.args)
        call_library = self.rt["call_library"]
        name, null_safe = e.name, e.null_safe
        line, col = e.line, e.col

        def library_call(frame: list[Any]) -> Any:
            values = [a(frame) for a in args]
            try:
                return call_library(lib, name, values, null_safe)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return library_call

    def expr_unary(self, e: n.Unary) -> Closure:
        line, col = e.line, e.col
        if e.op == "!":
            operand = self.expr(e.operand)
            not_ = self.rt["not_"]

            def negate(frame: list[Any]) -> bool:
                v = operand(frame)
                return not v if type(v) is bool else not_(v)

            return negate
        operand = self.expr(e.operand)
        neg = self.rt["neg"]

        def minus(frame: list[Any]) -> Any:
            v = operand(frame)
            try:
                return neg(v)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return minus

    def expr_binary(self, e: n.Binary) -> Closure:
        if e.op in COMPARE_FUNCS:
            return self.comparison(e)
        fn = self.rt[ARITH_FUNCS[e.op]]
        line, col = e.line, e.col
        before = self.call_sites
        left = self.expr(e.left)
        left_calls = self.call_sites - before
        k = self.fold(e.right)
        if k is not _NOT_CONSTANT:

            def arithmetic_constant(frame: list[Any]) -> Any:
                v = left(frame)
                try:
                    return fn(v, k)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise

            return arithmetic_constant
        before = self.call_sites
        right = self.expr(e.right)
        right_calls = self.call_sites - before
        if left_calls and right_calls:
            # both sides can have effects: Stof evaluates the right operand first

            def arithmetic_right_first(frame: list[Any]) -> Any:
                b = right(frame)
                a = left(frame)
                try:
                    return fn(a, b)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise

            return arithmetic_right_first

        def arithmetic(frame: list[Any]) -> Any:
            a = left(frame)
            b = right(frame)
            try:
                return fn(a, b)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return arithmetic

    def comparison(self, e: n.Binary) -> Closure:
        fn = self.rt[COMPARE_FUNCS[e.op]]
        line, col = e.line, e.col
        left = self.expr(e.left)
        k = self.fold(e.right)
        if k is None and e.op in ("==", "!="):
            # ops.eq: null equals only null
            if e.op == "==":

                def is_null(frame: list[Any]) -> bool:
                    return left(frame) is None

                return is_null

            def is_not_null(frame: list[Any]) -> bool:
                return left(frame) is not None

            return is_not_null
        if type(k) is str and e.op in ("==", "!="):
            # ops.eq on two strings is Python's ==; anything else goes through it
            if e.op == "==":

                def equals_text(frame: list[Any]) -> bool:
                    v = left(frame)
                    if type(v) is str:
                        return v == k
                    try:
                        return fn(v, k)
                    except StofRuntimeError as error:
                        _at(error, line, col)
                        raise

                return equals_text

            def differs_from_text(frame: list[Any]) -> bool:
                v = left(frame)
                if type(v) is str:
                    return v != k
                try:
                    return fn(v, k)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise

            return differs_from_text
        if k is not _NOT_CONSTANT:

            def compare_constant(frame: list[Any]) -> bool:
                v = left(frame)
                try:
                    return fn(v, k)
                except StofRuntimeError as error:
                    _at(error, line, col)
                    raise

            return compare_constant
        right = self.expr(e.right)

        def compare(frame: list[Any]) -> bool:
            a = left(frame)
            b = right(frame)
            try:
                return fn(a, b)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return compare

    def expr_logical(self, e: n.Logical) -> Closure:
        # a chain of one operator is one flat and/or (no nesting per operand)
        operands: list[n.Expr] = [e.right]
        left = e.left
        while isinstance(left, n.Logical) and left.op == e.op:
            operands.append(left.right)
            left = left.left
        operands.append(left)
        operands.reverse()
        tests = tuple(self.truth(x) for x in operands)
        if len(tests) == 2:
            a, b = tests
            if e.op == "&&":

                def both(frame: list[Any]) -> bool:
                    return a(frame) and b(frame)

                return both

            def either(frame: list[Any]) -> bool:
                return a(frame) or b(frame)

            return either
        if e.op == "&&":

            def all_of(frame: list[Any]) -> bool:
                for test in tests:  # noqa: SIM110 - a plain loop, no generator per evaluation
                    if not test(frame):
                        return False
                return True

            return all_of

        def any_of(frame: list[Any]) -> bool:
            for test in tests:  # noqa: SIM110 - a plain loop, no generator per evaluation
                if test(frame):
                    return True
            return False

        return any_of

    def expr_nullish(self, e: n.Nullish) -> Closure:
        left, right = self.expr(e.left), self.expr(e.right)
        void = self.rt["VOID"]

        def nullish(frame: list[Any]) -> Any:
            v = left(frame)
            return v if v is not None and v is not void else right(frame)

        return nullish

    def expr_ternary(self, e: n.Ternary) -> Closure:
        cond, then, otherwise = self.truth(e.cond), self.expr(e.then), self.expr(e.otherwise)

        def ternary(frame: list[Any]) -> Any:
            return then(frame) if cond(frame) else otherwise(frame)

        return ternary

    def expr_cast(self, e: n.Cast) -> Closure:
        return self.cast_closure(self.expr(e.expr), e.type, e)

    def expr_typeof(self, e: n.TypeOf) -> Closure:
        operand = self.expr(e.expr)
        fn = self.rt["typename" if e.specific else "typeof"]
        line, col = e.line, e.col

        def type_of(frame: list[Any]) -> Any:
            v = operand(frame)
            try:
                return fn(v)
            except StofRuntimeError as error:
                _at(error, line, col)
                raise

        return type_of

    def expr_block(self, e: n.BlockExpr) -> Closure:
        # the generated tier makes the block a nested function: its own blocks count from zero, its calls are
        # not the enclosing statement's, and a jump cannot leave it
        saved = (self.loop_floor, self.block_weight, self.call_sites)
        self.loop_floor, self.block_weight = len(self.loops), 0
        self.scopes.append({})
        body = self.statements(e.body)
        self.scopes.pop()
        self.loop_floor, self.block_weight, self.call_sites = saved
        void = self.rt["VOID"]

        def block(frame: list[Any]) -> Any:
            return frame[RESULT] if body(frame) is not None else void

        return block


def _slot_reader(index: int) -> Closure:
    def read(frame: list[Any]) -> Any:
        return frame[index]

    return read


def _fields(obj: Closure, names: list[str]) -> Closure:
    """``obj.a.b``: object fields only; null for anything that is not an object (access.get_field)."""
    if not names:
        return obj
    if len(names) == 1:
        name = names[0]

        def field(frame: list[Any]) -> Any:
            v = obj(frame)
            return v.get(name) if type(v) is dict else None

        return field
    if len(names) == 2:
        first, second = names

        def field_of_field(frame: list[Any]) -> Any:
            v = obj(frame)
            if type(v) is not dict:
                return None
            v = v.get(first)
            return v.get(second) if type(v) is dict else None

        return field_of_field
    path = tuple(names)

    def field_path(frame: list[Any]) -> Any:
        v = obj(frame)
        for name in path:
            if type(v) is not dict:
                return None
            v = v.get(name)
        return v

    return field_path


def _returning(value: Closure) -> Closure:
    def return_value(frame: list[Any]) -> Any:
        frame[RESULT] = value(frame)
        return _RETURN

    return return_value


def _failing(value: Closure | None, kind: str, message: str, node: n.Node) -> Closure:
    """A statement that evaluates its value, then fails (what the generated tier does for it)."""
    line, col = node.line, node.col

    def fail(frame: list[Any]) -> None:
        if value is not None:
            value(frame)
        error = StofRuntimeError(message, kind=kind)
        error.line, error.column = line, col
        raise error

    return fail


def _sequence(stmts: list[Closure]) -> Closure:
    if not stmts:
        return _nothing
    if len(stmts) == 1:
        return stmts[0]
    if len(stmts) == 2:
        first, second = stmts

        def pair(frame: list[Any]) -> Any:
            signal = first(frame)
            if signal is not None:
                return signal
            return second(frame)

        return pair
    ordered = tuple(stmts)

    def sequence(frame: list[Any]) -> Any:
        for stmt in ordered:
            signal = stmt(frame)
            if signal is not None:
                return signal
        return None

    return sequence


def _entry(
    prefix: list[Closure], last: Closure | None, locals_count: int, uses_budget: bool, void: Any
) -> Callable[[Any, Any, Any, Any], Any]:
    """The condition function: a fresh frame, the statements, then the final value (or void)."""
    padding = (None,) * locals_count
    body = _sequence(prefix)
    final = last if last is not None else _constant(void)

    if not prefix and not padding and not uses_budget:

        def _condition_expression(customer: Any, data: Any, policy: Any, budget: Any) -> Any:
            try:
                return final([0, budget, None, customer, data, policy])
            except StofRuntimeError as error:
                raise _located(error) from None

        return _condition_expression

    def _condition(customer: Any, data: Any, policy: Any, budget: Any) -> Any:
        frame = [0, budget, None, customer, data, policy, *padding]
        try:
            if uses_budget:
                frame[TICK] = budget.start()
            # at the top level only a `return` leaves a statement early
            if body(frame) is not None:
                return frame[RESULT]
            return final(frame)
        except StofRuntimeError as error:
            raise _located(error) from None

    return _condition


_STATEMENTS: dict[type, Callable[[_Builder, Any], Closure | None]] = {
    n.Empty: _Builder.stmt_empty,
    n.Block: _Builder.stmt_block,
    n.ExprStmt: _Builder.stmt_expr,
    n.Return: _Builder.stmt_return,
    n.Declare: _Builder.stmt_declare,
    n.Assign: _Builder.stmt_assign,
    n.If: _Builder.stmt_if,
    n.While: _Builder.stmt_while,
    n.For: _Builder.stmt_for,
    n.ForIn: _Builder.stmt_for_in,
    n.Break: _Builder.jump,
    n.Continue: _Builder.jump,
    n.Switch: _Builder.stmt_switch,
    n.Try: _Builder.stmt_try,
}

_EXPRESSIONS: dict[type, Callable[[_Builder, Any], Closure]] = {
    n.UnitLiteral: _Builder.expr_unit,
    n.VersionLiteral: _Builder.expr_version,
    n.ListLiteral: _Builder.expr_list,
    n.TupleLiteral: _Builder.expr_tuple,
    n.SetLiteral: _Builder.expr_set,
    n.MapLiteral: _Builder.expr_map,
    n.Path: _Builder.expr_path,
    n.Attr: _Builder.expr_attr,
    n.Call: _Builder.expr_call,
    n.Unary: _Builder.expr_unary,
    n.Binary: _Builder.expr_binary,
    n.Logical: _Builder.expr_logical,
    n.Nullish: _Builder.expr_nullish,
    n.Ternary: _Builder.expr_ternary,
    n.Cast: _Builder.expr_cast,
    n.TypeOf: _Builder.expr_typeof,
    n.BlockExpr: _Builder.expr_block,
}

__all__ = ["ClosureProgram", "build_closures"]
