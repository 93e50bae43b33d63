"""Stof AST → the Python source of one function, ``compile()``d once (the engine's back end).

The generated function is ``_condition(v_customer, v_data, v_policy, _budget[, _trace])``. User text only ever
reaches the source through ``repr()`` of literals and mangled identifiers (``v_<name>``), so no condition can
become Python code. Stof locals are Python locals (block scoping and shadowing are resolved here, at compile
time), the runtime operators are called by name from the function's globals, and type-specialised inline code
replaces a call where it gives the same result (``type(x) is str`` before ``==``, chained ``dict.get`` for paths).

Every runtime call is preceded by a ``#@<n>`` comment line: the position table maps each generated line to the
Stof line/column of the node being evaluated there, so errors can point at the condition's text.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

from . import nodes as n
from .errors import Diagnostic, StofBudgetExceeded, StofRuntimeError, StofSyntaxError
from .tiers import called_library, chain_operands

PARAMETERS = ("customer", "data", "policy")
FUNCTION_NAME = "_condition"
IMPLICIT_LOOP_NAMES = ("index", "first", "last", "length", "iterable")

COMPARE_FUNCS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
COMPARE_PY = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
ARITH_FUNCS = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod",
    "&": "bit_and", "|": "bit_or", "^": "bit_xor", "<<": "shl", ">>": "shr",
}  # fmt: skip
ASSIGN_FUNCS = {op + "=": fn for op, fn in ARITH_FUNCS.items()}
# Exact for every int or float operand: a literal int up to 2**53 converts to f64 without loss.
EXACT_INT_LITERAL = 2**53
# Stof expression levels per generated statement (each level is at most ~4 Python bracket levels; Python's
# parser allows 200): deeper subexpressions move into helper functions.
HOIST_DEPTH = 24
GENERATOR_RECURSION_LIMIT = 20_000


class _LoopJump(Exception):
    """A labelled ``break ^l;``/``continue ^l;`` crossing inner loops: caught by the labelled loop."""

    __slots__ = ("token",)

    def __init__(self, token: int) -> None:
        self.token = token


def mangle(name: str) -> str:
    """A Stof identifier as a Python identifier: ``v_`` + the name, ``_`` doubled, anything else ``_<hex>_``."""
    out = ["v_"]
    for ch in name:
        if ch == "_":
            out.append("__")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append(f"_{ord(ch):x}_")
    return "".join(out)


def _runtime_error(kind: str, message: str) -> StofRuntimeError:
    return StofRuntimeError(message, kind=kind)


def _error_value(error: StofRuntimeError) -> str:
    return str(error)


def _swap(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``fn`` taking its operands right first: Stof evaluates arithmetic operands right to left."""

    def swapped(right: Any, left: Any) -> Any:
        return fn(left, right)

    return swapped


def _assign_path(
    root: Any, names: tuple[str, ...], value: Any, combine: Callable[[Any, Any], Any] | None
) -> None:
    """``root.a.b = value`` (or ``op=``): walk object fields, creating missing child objects."""
    target = root
    for name in names[:-1]:
        if type(target) is not dict:
            raise StofRuntimeError(f"cannot assign into a non-object at {name!r}", kind="AssignRootNonObj")
        child = target.get(name)
        if child is None:
            child = target[name] = {}
        target = child
    if type(target) is not dict:
        raise StofRuntimeError("cannot assign a field of a non-object", kind="AssignRootNonObj")
    last = names[-1]
    target[last] = combine(target.get(last), value) if combine is not None else value


def _copy_host_result(result: Any, receiver: Any) -> Any:
    return copy.deepcopy(result) if hasattr(type(receiver), "stof_methods") else result


# Exceptions a library function may raise that the stdlib reports as a Stof runtime error (stdlib._invoke).
_LIBRARY_FAILURES = (ValueError, OverflowError, ZeroDivisionError, TypeError, IndexError, KeyError, AttributeError)
# Which library a method call on each receiver type resolves to (stof.md §2: obj→Obj, list→List, ...).
_METHOD_LIBRARY_NAMES = ("Obj", "List", "Str", "Num", "Map", "Tup", "Set")


def _entry_fits(entry: Any, args: list[Any], cast: Callable[..., Any] | None) -> bool:
    """The call passes the arity check and every argument cast is a no-op (none declared, or the argument is a
    constant the cast returns unchanged, like ``0`` for ``int``): calling ``entry.fn`` directly is the same.
    ``args`` holds each argument's folded constant, or ``_NOT_CONSTANT``."""
    nargs = len(args)
    if entry is None or nargs < entry.min_args or (entry.max_args is not None and nargs > entry.max_args):
        return False
    for names, value in zip(entry.casts[:nargs], args):
        if names is None:
            continue
        if value is _NOT_CONSTANT or cast is None or type(value) not in (int, str, bool):
            return False
        try:
            converted = cast(value, names)
        except Exception:
            return False
        if type(converted) is not type(value) or converted != value:
            return False
    return True


def _library_failure(where: str, name: str, exc: BaseException) -> StofRuntimeError:
    if isinstance(exc, RecursionError | MemoryError):
        return StofRuntimeError(f"{where}.{name}: value too large or too deep", kind="BudgetExceeded")
    return StofRuntimeError(f"{where}.{name}: {exc}", kind="Runtime")


def method_site(
    name: str,
    nargs: int,
    null_safe: bool,
    by_type: Mapping[type, tuple[str, Any]],
    general: Callable[..., Any],
) -> Callable[..., Any]:
    """One call site ``x.name(args)``: receiver types whose library function fits are called directly (what
    ``call_method`` would do after its lookups and checks); anything else goes through ``call_method``."""
    direct = {t: fn for t, (_, fn) in by_type.items()}
    where_of = {t: where for t, (where, _) in by_type.items()}

    def site(receiver: Any, *args: Any) -> Any:
        fn = direct.get(type(receiver))
        if fn is None:
            return general(receiver, name, list(args), null_safe)
        try:
            return fn(receiver, *args)
        except StofRuntimeError:
            raise
        except (RecursionError, MemoryError, *_LIBRARY_FAILURES) as exc:
            raise _library_failure(where_of[type(receiver)], name, exc) from None

    return site


def library_site(lib: str, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """One call site ``Lib.name(args)`` of a library without receiver, resolved at compile time."""

    def site(*args: Any) -> Any:
        try:
            return fn(*args)
        except StofRuntimeError:
            raise
        except (RecursionError, MemoryError, *_LIBRARY_FAILURES) as exc:
            raise _library_failure(lib, name, exc) from None

    return site


SUPPORT_NAMES: dict[str, Any] = {
    "_copy_host_result": _copy_host_result,
    "type": type,
    "range": range,
    "len": len,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "Exception": Exception,
    "StofRuntimeError": StofRuntimeError,
    "StofBudgetExceeded": StofBudgetExceeded,
    "_LoopJump": _LoopJump,
    "_runtime_error": _runtime_error,
    "_error_value": _error_value,
    "_assign_path": _assign_path,
}


def runtime_namespace() -> dict[str, Any]:
    """The runtime names generated code may call, taken from the runtime modules."""
    from . import access, cast, ops, stdlib, values

    ns: dict[str, Any] = {}
    for name in (*COMPARE_FUNCS.values(), *ARITH_FUNCS.values(), "truthy", "neg", "not_"):
        ns[name] = getattr(ops, name)
    ns["cast"] = cast.cast
    ns["typeof"] = cast.typeof
    ns["typename"] = cast.typename
    ns["get_field"] = access.get_field
    ns["iter_len"] = access.iter_len
    ns["iter_at"] = access.iter_at
    ns["call_method"] = stdlib.call_method
    ns["call_library"] = stdlib.call_library
    ns["LIBRARIES"] = stdlib.LIBRARIES
    ns["TABLES"] = stdlib.TABLES
    ns["MUTATING_METHODS"] = stdlib.MUTATING_METHODS
    for name in ("VOID", "Units", "StofMap", "StofSet", "Version"):
        ns[name] = getattr(values, name)
    return ns


@dataclass(slots=True)
class Compiled:
    """The result of compiling one body: the function, its source, and what the evaluator needs to know."""

    function: Callable[..., Any]
    # `_matches(bindings)`; its globals `_located`, `_internal` and `_new_budget` are the caller's to set
    matches: Callable[[Mapping[str, Any]], bool] | None
    matches_customer: Callable[..., bool] | None
    python_source: str
    positions: list[tuple[int, int]]  # generated line number (1-based) -> Stof (line, column)
    uses_budget: bool
    mutates: bool
    trace_nodes: list[n.Expr] = field(default_factory=list)


@dataclass(slots=True)
class _Var:
    pyname: str
    const: bool = False
    type: n.TypeRef | None = None
    number: str | None = None  # a const unit number's float value, kept in this Python local too
    unit: str = ""  # ... and its unit
    reads: int = 0  # reads of the Units itself (not through ``number``)


@dataclass(slots=True)
class _Loop:
    label: str | None
    token: int
    continue_runs_step: bool = False


# Static result kinds of expressions: used to skip a truthiness call or pick an inline fast path.
_BOOL = "bool"
_STR = "str"


_POSITION_FIELDS = frozenset({"line", "col", "end_line", "end_col"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: n.Node) -> Iterator[n.Node]:
    """``node.children()`` without ``dataclasses.fields`` on every call (code generation walks a lot)."""
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = _CHILD_FIELDS[type(node)] = tuple(
            f.name for f in dataclass_fields(node) if f.name not in _POSITION_FIELDS
        )
    for name in names:
        value = getattr(node, name)
        if isinstance(value, n.Node):
            yield value
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, n.Node):
                    yield item
                elif isinstance(item, tuple):
                    yield from (x for x in item if isinstance(x, n.Node))


def _walk(node: n.Node) -> Iterator[n.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def body_mutates(body: n.Body, mutating_methods: frozenset[str]) -> bool:
    """Whether evaluating ``body`` can change a value it did not create (so the bindings need a copy)."""
    for node in _walk(body):
        if isinstance(node, n.Assign) and len(node.target) > 1:
            return True
        if isinstance(node, n.Call) and node.name in mutating_methods:
            return True
    return False


class CodeGenerator:
    """Walks a ``nodes.Body`` once and writes the Python source of the condition function."""

    def __init__(self, runtime: Mapping[str, Any], *, trace: bool = False, mutates: bool = False) -> None:
        self.runtime = runtime
        self.trace = trace
        self.mutates = mutates
        self.libraries: frozenset[str] = frozenset(runtime.get("LIBRARIES", ()))
        self.method_libraries: dict[type, str] = {}
        if "Units" in runtime:
            self.method_libraries = {
                dict: "Obj", list: "List", str: "Str", int: "Num", float: "Num", runtime["Units"]: "Num",
                runtime["StofMap"]: "Map", tuple: "Tup", runtime["StofSet"]: "Set",
            }  # fmt: skip
        self.lines: list[str] = []
        self.level = 1
        self.constants: dict[str, Any] = {}
        self._constant_ids: dict[tuple[type, Any], str] = {}
        self.marks: list[tuple[int, int]] = [(0, 0)]
        self.scopes: list[dict[str, _Var]] = []
        self.loops: list[_Loop] = []
        self.loop_depth = 0
        self.uses_budget = False
        self.trace_nodes: list[n.Expr] = []
        self._tmp = itertools.count()
        self._token = itertools.count(1)
        self._name_uses: dict[str, int] = {}
        self._calls: dict[int, int] = {}
        self._depth = 0
        self._statement_starts: list[tuple[list[str], int, int]] = []
        self._folded: dict[int, Any] = {}
        self._unit_lines: list[tuple[_Var, str]] = []
        # each `return` of the body itself (not of a block expression): its value code and its truthiness code
        self._returns: list[tuple[str, str]] = []
        self._block_depth = 0

    # ------------------------------------------------------------ output

    def writeline(self, text: str, node: n.Node | None = None) -> None:
        if node is not None:
            self.lines.append("    " * self.level + self.mark(node).strip())
        self.lines.append("    " * self.level + text)

    def indent(self) -> None:
        self.level += 1

    def outdent(self) -> None:
        self.level -= 1

    def mark(self, node: n.Node) -> str:
        """A comment line naming ``node``'s position; placed before code that may raise for it."""
        self.marks.append((node.line, node.col))
        return f"\n#@{len(self.marks) - 1}\n"

    def temp(self) -> str:
        return f"_t{next(self._tmp)}"

    def constant(self, value: Any) -> str:
        """A Python expression for an immutable constant (literal text, or a name in the function's globals)."""
        if value is None or type(value) is bool:
            return repr(value)
        if type(value) is int or type(value) is str:
            return f"({value!r})" if type(value) is int and value < 0 else repr(value)
        if type(value) is float and math.isfinite(value):
            return f"({value!r})" if math.copysign(1.0, value) < 0 else repr(value)
        key = (type(value), repr(value))
        name = self._constant_ids.get(key)
        if name is None:
            name = f"_k{len(self._constant_ids)}"
            self._constant_ids[key] = name
            self.constants[name] = value
        return name

    def constant_object(self, value: Any) -> str:
        """A name in the function's globals for a compile-time object (call-site dispatchers)."""
        name = f"_site{len(self.constants)}"
        self.constants[name] = value
        return name

    # ------------------------------------------------------------ scopes

    def push_scope(self) -> None:
        self.scopes.append({})

    def pop_scope(self) -> None:
        self.scopes.pop()

    def lookup(self, name: str) -> _Var | None:
        for scope in reversed(self.scopes):
            var = scope.get(name)
            if var is not None:
                return var
        return None

    def declare(self, name: str, *, const: bool = False, type_: n.TypeRef | None = None) -> _Var:
        uses = self._name_uses.get(name, 0)
        self._name_uses[name] = uses + 1
        pyname = mangle(name) + (f"_s{uses}" if uses else "")
        var = _Var(pyname, const, type_)
        self.scopes[-1][name] = var
        return var

    # ------------------------------------------------------------ entry point

    def generate(self, body: n.Body, *, entry: bool = False) -> str:
        """The source of ``_condition`` and, with ``entry``, of ``_matches`` (same body, see ``matches_entry``)."""
        params = [mangle(p) for p in PARAMETERS]
        self.push_scope()
        for name, pyname in zip(PARAMETERS, params, strict=True):
            self._name_uses[name] = 1
            self.scopes[-1][name] = _Var(pyname)
        self.push_scope()
        self.statements(body.body)
        self.write_return("VOID", "False")
        self.drop_unread_units()
        header = f"def {FUNCTION_NAME}({', '.join(params)}, _budget" + (", _trace):" if self.trace else "):")
        prologue = ["    _tick = _budget.start()"] if self.uses_budget else []
        body_text = "\n".join(self.lines)
        source = "\n".join([header, *prologue, self.returning(body_text, 0)]) + "\n"
        if entry:
            source += self.matches_entry()
        return source

    def write_return(self, value_code: str, truth_code: str) -> None:
        """``return`` from the condition: a placeholder, filled with the value (``_condition``) or its
        truthiness (``_matches``) when the sources are assembled."""
        self._returns.append((value_code, truth_code))
        self.writeline(f"return \x00{len(self._returns) - 1}\x00")

    def returning(self, text: str, which: int) -> str:
        return _RETURN_PLACEHOLDER.sub(lambda m: self._returns[int(m.group(1))][which], text)

    def matches_entry(self) -> str:
        """``_matches_customer(customer, policy=None, data=<metadata>) -> bool``: the body again, inlined,
        answering with its truthiness — one Python call per customer on the membership hot path — and
        ``_matches(bindings)`` reading a bindings mapping into it. Errors go to ``_located`` / ``_internal``
        and the budget comes from ``_new_budget``, names the ``Condition`` fills in."""
        body_text = self.returning("\n".join(self.lines), 1)
        uses = set(_IDENTIFIER.findall(body_text))
        lines = ["def _matches_customer(v_customer, v_policy=None, v_data=_ABSENT):"]
        if "v_data" in uses:
            lines += [
                "    if v_data is _ABSENT:",
                "        v_data = v_customer.get('metadata') if type(v_customer) is dict else None",
            ]
        if self.uses_budget:
            lines += ["    _budget = _new_budget()", "    _tick = _budget.start()"]
        lines.append("    try:")
        lines.extend("    " + self.returning(line, 1) for line in self.lines)
        lines += [
            "    except StofRuntimeError as _error:",
            "        raise _located(_error) from None",
            "    except Exception as _error:",
            "        raise _internal(_error) from _error",
            "def _matches(bindings):",
            "    return _matches_customer(",
            "        bindings.get('customer'), bindings.get('policy'), bindings.get('data', _ABSENT)",
            "    )",
        ]
        return "\n".join(lines) + "\n"

    def positions(self, source: str) -> list[tuple[int, int]]:
        """For each generated line (index = line number), the Stof position of the last mark above it."""
        table: list[tuple[int, int]] = [(0, 0)]
        current = (0, 0)
        for line in source.split("\n"):
            stripped = line.strip()
            if stripped.startswith("#@"):
                current = self.marks[int(stripped[2:])]
            table.append(current)
        return table

    # ------------------------------------------------------------ statements

    def statements(self, stmts: list[n.Stmt]) -> None:
        start = len(self.lines)
        for stmt in stmts:
            self.statement(stmt)
        if len(self.lines) == start:
            self.writeline("pass")

    def scoped_statement(self, stmt: n.Stmt) -> None:
        """A branch or loop body: a block opens a scope, so does a lone statement."""
        self.push_scope()
        if isinstance(stmt, n.Block):
            self.statements(stmt.body)
        else:
            self.statements([stmt])
        self.pop_scope()

    def calls(self, node: n.Node | None) -> int:
        """How many call sites ``node``'s expression has (nested statements excluded); memoized."""
        if node is None:
            return 0
        key = id(node)
        count = self._calls.get(key)
        if count is None:
            count = 1 if isinstance(node, n.Call) else 0
            for child in _children(node):
                if not isinstance(child, n.Stmt | n.SwitchCase):
                    count += self.calls(child)
            self._calls[key] = count
        return count

    def tick(self, *nodes: n.Node | None, extra: int = 0) -> None:
        """Count a step per call site in ``nodes`` plus ``extra`` (only inside loops: a loop-free body is
        bounded by its size)."""
        if self.loop_depth == 0:
            return
        steps = extra + sum(self.calls(x) for x in nodes)
        if steps <= 0:
            return
        self.uses_budget = True
        self.writeline(f"_tick -= {steps}")
        self.writeline("if _tick <= 0: _tick = _budget.refill(_tick)")

    def statement(self, stmt: n.Stmt) -> None:
        # where helper functions for this statement's expressions go: just before the statement
        self._statement_starts.append((self.lines, len(self.lines), self.level))
        method = getattr(self, "stmt_" + type(stmt).__name__)
        method(stmt)
        self._statement_starts.pop()

    def hoist(self, code: str) -> str:
        """Move a deeply nested subexpression into a local helper function defined before the statement:
        Python's parser allows only 200 levels of brackets in one statement."""
        name = f"_deep{next(self._tmp)}"
        lines, index, level = self._statement_starts[-1]
        pad = "    " * level
        lines[index:index] = [f"{pad}def {name}():", f"{pad}    return {code}"]
        return f"{name}()"

    def stmt_Empty(self, stmt: n.Empty) -> None:
        pass

    def stmt_Block(self, stmt: n.Block) -> None:
        self.push_scope()
        self.statements(stmt.body)
        self.pop_scope()

    def stmt_ExprStmt(self, stmt: n.ExprStmt) -> None:
        self.tick(stmt.expr)
        code = self.expr(stmt.expr, top=stmt.returns)
        if stmt.returns:
            self.return_statement(code, stmt.expr, stmt)
        elif not isinstance(stmt.expr, n.Literal | n.Path | n.UnitLiteral):
            self.writeline(code, stmt)

    def stmt_Return(self, stmt: n.Return) -> None:
        self.tick(stmt.value)
        if stmt.value is None:
            self.return_statement("VOID", None, stmt)
        else:
            self.return_statement(self.expr(stmt.value, top=True), stmt.value, stmt)

    def return_statement(self, code: str, value: n.Expr | None, stmt: n.Stmt) -> None:
        if self._block_depth:
            self.writeline(f"return {code}", stmt)
            return
        self.lines.append("    " * self.level + self.mark(stmt).strip())
        self.write_return(code, "False" if value is None else self.truth(code, value))

    def raise_error(self, kind: str, message: str, node: n.Node) -> None:
        self.writeline(f"raise _runtime_error({kind!r}, {message!r})", node)

    def cast_code(self, code: str, type_: n.TypeRef, node: n.Node) -> str:
        names = tuple(type_.names)
        return f"({self.mark(node)}cast({code}, {names!r}, {type_.not_null!r}))"

    def stmt_Declare(self, stmt: n.Declare) -> None:
        self.tick(stmt.value)
        fast = None
        if stmt.const and stmt.type is not None and stmt.value is not None and stmt.name not in self.scopes[-1]:
            fast = self.time_units(stmt.value, stmt.type)
        if fast is not None:
            # `const ts: ms = Time.now() - 7days;`: the float is kept for inline comparisons
            var = self.declare(stmt.name, const=True, type_=stmt.type)
            var.number, var.unit = self.temp(), fast[1]
            self.writeline(f"{var.number} = {fast[0]}", stmt)
            self.writeline(f"{var.pyname} = Units({var.number}, {var.unit!r})", stmt)
            self._unit_lines.append((var, self.lines[-1]))
            return
        code = "None" if stmt.value is None else self.expr(stmt.value)
        if stmt.type is not None:
            code = self.cast_code(code, stmt.type, stmt)
        if stmt.name in self.scopes[-1]:
            if stmt.value is not None:
                self.writeline(code, stmt)
            self.raise_error("DeclareExisting", f"{stmt.name!r} is already declared in this scope", stmt)
            return
        var = self.declare(stmt.name, const=stmt.const, type_=stmt.type)
        self.writeline(f"{var.pyname} = {code}", stmt)

    def drop_unread_units(self) -> None:
        """A const unit number only ever compared inline needs no Units: its line becomes ``pass``."""
        for var, line in self._unit_lines:
            if var.reads == 0 and line in self.lines:
                index = self.lines.index(line)
                self.lines[index] = line[: len(line) - len(line.lstrip())] + "pass"

    def stmt_Assign(self, stmt: n.Assign) -> None:
        self.tick(stmt.value)
        value = self.expr(stmt.value)
        root = self.lookup(stmt.target[0])
        if root is not None:
            root.reads += 1
        combine = ASSIGN_FUNCS.get(stmt.op)
        if len(stmt.target) > 1:
            root_code = root.pyname if root is not None else "None"
            names = tuple(stmt.target[1:])
            self.writeline(f"_assign_path({root_code}, {names!r}, {value}, {combine or 'None'})", stmt)
            return
        if root is None:
            self.writeline(value, stmt)
            self.raise_error("AssignRootNonObj", f"{stmt.target[0]!r} is not declared", stmt)
            return
        if root.const:
            self.writeline(value, stmt)
            self.raise_error("AssignConst", f"{stmt.target[0]!r} is a constant", stmt)
            return
        if combine is not None:
            value = f"({self.mark(stmt)}{combine}({root.pyname}, {value}))"
        if root.type is not None:
            value = self.cast_code(value, root.type, stmt)
        self.writeline(f"{root.pyname} = {value}", stmt)

    def stmt_If(self, stmt: n.If) -> None:
        self.tick(stmt.cond)
        self.writeline(f"if {self.condition(stmt.cond)}:", stmt)
        self.indent()
        self.scoped_statement(stmt.then)
        self.outdent()
        other = stmt.otherwise
        while isinstance(other, n.If):
            self.writeline(f"elif {self.condition(other.cond)}:", other)
            self.indent()
            if self.loop_depth and self.calls(other.cond):
                # elif cannot carry the tick statement: count the branch's condition calls inside it
                self.tick(other.cond)
            self.scoped_statement(other.then)
            self.outdent()
            other = other.otherwise
        if other is not None:
            self.writeline("else:")
            self.indent()
            self.scoped_statement(other)
            self.outdent()

    def condition(self, expr: n.Expr) -> str:
        code = self.expr(expr, top=True)
        if self.trace:
            code = self.traced(expr, code)
        return self.truth(code, expr)

    def traced(self, expr: n.Expr, code: str) -> str:
        self.trace_nodes.append(expr)
        return f"_trace({len(self.trace_nodes) - 1}, {code})"

    # loops ----------------------------------------------------------

    def _jump_targets(self, body: n.Stmt, label: str | None) -> tuple[bool, bool, bool]:
        """(labelled break from an inner loop, labelled continue from an inner loop, continue of this loop)."""
        outer_break = outer_continue = own_continue = False

        def visit(node: n.Node, depth: int) -> None:
            nonlocal outer_break, outer_continue, own_continue
            if isinstance(node, n.Break | n.Continue):
                targets_me = (node.label is None and depth == 0) or (
                    label is not None and node.label == label
                )
                if targets_me and depth > 0:
                    if isinstance(node, n.Break):
                        outer_break = True
                    else:
                        outer_continue = True
                if targets_me and isinstance(node, n.Continue):
                    own_continue = True
                return
            inner = isinstance(node, n.While | n.For | n.ForIn)
            for child in _children(node):
                visit(child, depth + 1 if inner else depth)

        visit(body, 0)
        return outer_break, outer_continue, own_continue

    def loop(self, label: str | None, body: n.Stmt, emit: Callable[[_Loop, bool], None]) -> None:
        """Open a loop: labelled jumps from inner loops arrive as ``_LoopJump`` exceptions."""
        outer_break, outer_continue, own_continue = self._jump_targets(body, label)
        ctx = _Loop(label, next(self._token), own_continue)
        self.loops.append(ctx)
        self.loop_depth += 1
        if outer_break:
            self.writeline("try:")
            self.indent()
        emit(ctx, outer_continue)
        if outer_break:
            self.outdent()
            self.writeline("except _LoopJump as _jump:")
            self.writeline(f"    if _jump.token != {ctx.token}: raise")
        self.loop_depth -= 1
        self.loops.pop()

    def loop_body(self, ctx: _Loop, body: n.Stmt, outer_continue: bool) -> None:
        if outer_continue:
            self.writeline("try:")
            self.indent()
            self.scoped_statement(body)
            self.outdent()
            self.writeline("except _LoopJump as _jump:")
            self.writeline(f"    if _jump.token != -{ctx.token}: raise")
        else:
            self.scoped_statement(body)

    def stmt_While(self, stmt: n.While) -> None:
        def emit(ctx: _Loop, outer_continue: bool) -> None:
            self.writeline(f"while {self.condition(stmt.cond)}:", stmt)
            self.indent()
            self.tick(stmt.cond, extra=1)
            self.loop_body(ctx, stmt.body, outer_continue)
            self.outdent()

        self.loop(stmt.label, stmt.body, emit)

    def stmt_For(self, stmt: n.For) -> None:
        self.push_scope()
        if stmt.init is not None:
            self.statement(stmt.init)

        def emit(ctx: _Loop, outer_continue: bool) -> None:
            step_runs_first = stmt.step is not None and ctx.continue_runs_step
            if step_runs_first:
                started = self.temp()
                self.writeline(f"{started} = False")
            self.writeline("while True:", stmt)
            self.indent()
            self.tick(stmt.cond, extra=1)
            if step_runs_first and stmt.step is not None:
                self.writeline(f"if {started}:")
                self.indent()
                self.statement(stmt.step)
                self.outdent()
                self.writeline(f"{started} = True")
            if stmt.cond is not None:
                self.writeline(f"if not {self.condition(stmt.cond)}: break", stmt.cond)
            self.loop_body(ctx, stmt.body, outer_continue)
            if stmt.step is not None and not step_runs_first:
                self.statement(stmt.step)
            self.outdent()

        self.loop(stmt.label, stmt.body, emit)
        self.pop_scope()

    def stmt_ForIn(self, stmt: n.ForIn) -> None:
        iterable, length, index = self.temp(), self.temp(), self.temp()
        self.tick(stmt.iterable)
        self.writeline(f"{iterable} = {self.expr(stmt.iterable)}", stmt)
        self.writeline(f"{length} = ({self.mark(stmt)}iter_len({iterable}))")
        used = {
            x.names[0]
            for x in _walk(stmt.body)
            if isinstance(x, n.Path) and x.names[0] in IMPLICIT_LOOP_NAMES
        } | {x.target[0] for x in _walk(stmt.body) if isinstance(x, n.Assign)}

        def emit(ctx: _Loop, outer_continue: bool) -> None:
            self.writeline(f"for {index} in range({length}):", stmt)
            self.indent()
            self.tick(extra=1)
            self.push_scope()
            implicit = {
                "index": index,
                "first": f"{index} == 0",
                "last": f"{index} == {length} - 1 and {index} > 0",  # set after each iteration: never on the 1st
                "length": length,
                "iterable": iterable,
            }
            for name, code in implicit.items():
                if name in used:
                    var = self.declare(name)
                    self.writeline(f"{var.pyname} = {code}")
            item = f"({self.mark(stmt)}iter_at({iterable}, {index}))"
            if stmt.type is not None:
                item = self.cast_code(item, stmt.type, stmt)
            var = self.declare(stmt.name, const=stmt.const, type_=stmt.type)
            self.writeline(f"{var.pyname} = {item}")
            self.loop_body(ctx, stmt.body, outer_continue)
            self.pop_scope()
            self.outdent()

        self.loop(stmt.label, stmt.body, emit)

    def _jump(self, stmt: n.Break | n.Continue, keyword: str) -> None:
        if not self.loops:
            self.writeline("pass")
            return
        target = self.loops[-1]
        if stmt.label is not None:
            found = next((loop for loop in reversed(self.loops) if loop.label == stmt.label), None)
            if found is None:
                self.writeline("pass")
                return
            target = found
        if target is self.loops[-1]:
            self.writeline(keyword, stmt)
        else:
            token = target.token if keyword == "break" else -target.token
            self.writeline(f"raise _LoopJump({token})", stmt)

    def stmt_Break(self, stmt: n.Break) -> None:
        self._jump(stmt, "break")

    def stmt_Continue(self, stmt: n.Continue) -> None:
        self._jump(stmt, "continue")

    def stmt_Switch(self, stmt: n.Switch) -> None:
        subject = self.temp()
        self.tick(stmt.subject)
        self.writeline(f"{subject} = {self.expr(stmt.subject)}", stmt)
        keyword = "if"
        default: n.SwitchCase | None = None
        for case in stmt.cases:
            if case.is_default:
                default = case
                continue
            tests = " or ".join(
                f"({self.mark(value)}eq({subject}, {self.expr(value)}))" for value in case.values
            )
            self.writeline(f"{keyword} {tests or 'False'}:", case)
            self.indent()
            self.scoped_statement(case.body)
            self.outdent()
            keyword = "elif"
        if default is not None:
            if keyword == "if":
                self.writeline("if True:")
            else:
                self.writeline("else:")
            self.indent()
            self.scoped_statement(default.body)
            self.outdent()

    def stmt_Try(self, stmt: n.Try) -> None:
        self.writeline("try:", stmt)
        self.indent()
        self.scoped_statement(stmt.body)
        self.outdent()
        self.writeline("except StofBudgetExceeded:")
        self.writeline("    raise")
        self.writeline("except StofRuntimeError as _error:")
        self.indent()
        self.push_scope()
        if stmt.error_name is not None:
            value = "_error_value(_error)"
            if stmt.error_type is not None:
                value = self.cast_code(value, stmt.error_type, stmt)
            var = self.declare(stmt.error_name, type_=stmt.error_type)
            self.writeline(f"{var.pyname} = {value}")
        self.scoped_statement(stmt.handler)
        self.pop_scope()
        self.outdent()

    # ------------------------------------------------------------ expressions

    def expr(self, e: n.Expr, *, top: bool = False) -> str:
        folded = self.fold(e)
        if folded is not _NOT_CONSTANT:
            return self.constant(folded)
        if top and self.trace and isinstance(e, n.Logical):
            return self.nested(lambda: self.logical(e, traced=True))
        method = getattr(self, "expr_" + type(e).__name__)
        return self.nested(lambda: method(e))

    def nested(self, generate: Callable[[], str]) -> str:
        """Generate one level deeper; every HOIST_DEPTH levels the code moves into a helper function."""
        self._depth += 1
        try:
            code = generate()
        finally:
            self._depth -= 1
        if self._depth and self._depth % HOIST_DEPTH == 0 and self._statement_starts:
            code = self.hoist(code)
        return code

    def kind(self, e: n.Expr) -> str | None:
        """The Python type an expression certainly has, when known statically."""
        if isinstance(e, n.Logical) or (isinstance(e, n.Binary) and e.op in COMPARE_FUNCS):
            return _BOOL
        if isinstance(e, n.Unary) and e.op == "!":
            return _BOOL
        if isinstance(e, n.TypeOf):
            return _STR
        if isinstance(e, n.Literal):
            return {bool: _BOOL, str: _STR}.get(type(e.value))
        return None

    def truth(self, code: str, e: n.Expr) -> str:
        """Stof truthiness of ``code`` as a Python bool."""
        if self.kind(e) == _BOOL:
            return code
        t = self.temp()
        return f"({t} if type({t} := {code}) is bool else truthy({t}))"

    def fold(self, e: n.Expr) -> Any:
        """The value of a literal-only expression, computed now with the runtime's own operators."""
        key = id(e)
        value = self._folded.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = self._folded[key] = self._fold(e)
        return value

    def _fold(self, e: n.Expr) -> Any:
        if isinstance(e, n.Literal):
            return e.value
        if isinstance(e, n.UnitLiteral):
            units = self.runtime.get("Units")
            return units(e.value, e.unit) if units is not None else _NOT_CONSTANT
        if isinstance(e, n.Unary | n.Binary):
            operands = [e.operand] if isinstance(e, n.Unary) else [e.left, e.right]
            values = [self.fold(x) for x in operands]
            if any(v is _NOT_CONSTANT for v in values):
                return _NOT_CONSTANT
            if isinstance(e, n.Unary):
                fn = self.runtime.get("neg" if e.op == "-" else "not_")
            else:
                fn = self.runtime.get(COMPARE_FUNCS.get(e.op) or ARITH_FUNCS.get(e.op, ""))
            if fn is None:
                return _NOT_CONSTANT
            try:
                value = fn(*values)
            except Exception:
                return _NOT_CONSTANT  # let the error happen at evaluation, with its position
            units = self.runtime.get("Units")
            immutable = (
                value is None
                or type(value) in (bool, int, float, str)
                or (units is not None and type(value) is units)
            )
            if type(value) is str and len(value) > 1024:
                return _NOT_CONSTANT
            return value if immutable else _NOT_CONSTANT
        return _NOT_CONSTANT

    def expr_Literal(self, e: n.Literal) -> str:
        return self.constant(e.value)

    def expr_UnitLiteral(self, e: n.UnitLiteral) -> str:
        return self.constant(self.runtime["Units"](e.value, e.unit))

    def expr_VersionLiteral(self, e: n.VersionLiteral) -> str:
        try:
            value = self.runtime["Version"].parse(e.text)
        except Exception:
            return f"({self.mark(e)}_runtime_error('Version', {e.text!r}))"
        return self.constant(value)

    def expr_ListLiteral(self, e: n.ListLiteral) -> str:
        return "[" + ", ".join(self.expr(x) for x in e.items) + "]"

    def expr_TupleLiteral(self, e: n.TupleLiteral) -> str:
        return "(" + "".join(self.expr(x) + ", " for x in e.items) + ")"

    def expr_SetLiteral(self, e: n.SetLiteral) -> str:
        return f"({self.mark(e)}StofSet([" + ", ".join(self.expr(x) for x in e.items) + "]))"

    def expr_MapLiteral(self, e: n.MapLiteral) -> str:
        pairs = ", ".join(f"({self.expr(k)}, {self.expr(v)})" for k, v in e.entries)
        return f"({self.mark(e)}StofMap([{pairs}]))"

    def field_code(self, obj: str, name: str, node: n.Node) -> str:
        # access.get_field: an object's field, null for anything that is not an object (host objects too)
        if obj.isidentifier():
            return f"({obj}.get({name!r}) if type({obj}) is dict else None)"
        t = self.temp()
        return f"({t}.get({name!r}) if type({t} := {obj}) is dict else None)"

    def expr_Path(self, e: n.Path) -> str:
        var = self.lookup(e.names[0])
        if var is None:
            return "None"
        var.reads += 1
        code = var.pyname
        for name in e.names[1:]:
            code = self.field_code(code, name, e)
        return code

    def expr_Attr(self, e: n.Attr) -> str:
        return self.field_code(self.expr(e.obj), e.name, e)

    def library_call(self, lib: str, e: n.Call) -> str:
        arg_codes = [self.expr(a) for a in e.args]
        tables = self.runtime.get("TABLES") or {}
        entry = (tables.get(lib) or {}).get(e.name)
        if lib not in _METHOD_LIBRARY_NAMES and _entry_fits(
            entry, self.folded_args(e), self.runtime.get("cast")
        ):
            site = self.constant_object(library_site(lib, e.name, entry.fn))
            return f"({self.mark(e)}{site}({', '.join(arg_codes)}))"
        safe = ", True" if e.null_safe else ""
        return f"({self.mark(e)}call_library({lib!r}, {e.name!r}, [{', '.join(arg_codes)}]{safe}))"

    def library_function(self, pytype: type, e: n.Call) -> Any:
        """The library function ``x.name(...)`` resolves to for a receiver of ``pytype``, or None."""
        lib = self.method_libraries.get(pytype)
        entry = ((self.runtime.get("TABLES") or {}).get(lib) or {}).get(e.name) if lib else None
        return entry.fn if entry is not None else None

    def folded_args(self, e: n.Call) -> list[Any]:
        return [self.fold(a) for a in e.args]

    def method_site(self, e: n.Call) -> str | None:
        """A per-site dispatcher for ``x.name(args)``, or None when no receiver type can take the fast path."""
        tables = self.runtime.get("TABLES") or {}
        folded = self.folded_args(e)
        by_type: dict[type, tuple[str, Any]] = {}
        for pytype, lib in self.method_libraries.items():
            entry = (tables.get(lib) or {}).get(e.name)
            if _entry_fits(entry, folded, self.runtime.get("cast")):
                by_type[pytype] = (lib, entry.fn)
        if not by_type or "call_method" not in self.runtime:
            return None
        site = method_site(e.name, len(e.args), e.null_safe, by_type, self.runtime["call_method"])
        return self.constant_object(site)

    def expr_Call(self, e: n.Call) -> str:
        library = called_library(e, lambda name: self.lookup(name) is not None, self.libraries)
        if library is not None:
            return self.library_call(library, e)
        receiver = e.receiver
        assert receiver is not None
        args = "[" + ", ".join(self.expr(a) for a in e.args) + "]"
        safe = ", True" if e.null_safe else ""
        site = None if self.mutates else self.method_site(e)
        if site is not None:
            arg_codes = "".join(", " + self.expr(a) for a in e.args)
            inline_len = [t.__name__ for t in (list, tuple, dict) if self.library_function(t, e) is len]
            if e.name == "len" and not e.args and "list" in inline_len and self.counts_fields(receiver):
                # `x.fields().len()` on an object is its field count: no list of (name, value) pairs is built
                assert isinstance(receiver, n.Call) and receiver.receiver is not None
                fields_site = self.method_site(receiver)
                t = self.temp()
                return (
                    f"(len({t}) if type({t} := {self.expr(receiver.receiver)}) is dict"
                    f" else ({self.mark(e)}{site}({self.mark(receiver)}{fields_site}({t}))))"
                )
            if e.name == "len" and not e.args and inline_len:
                # List/Tup/Obj `len` is Python's len, which cannot fail on those types
                t = self.temp()
                first, *rest = inline_len
                test = " or ".join(
                    [f"type({t} := {self.expr(receiver)}) is {first}"] + [f"type({t}) is {x}" for x in rest]
                )
                return f"(len({t}) if {test} else ({self.mark(e)}{site}({t})))"
            return f"({self.mark(e)}{site}({self.expr(receiver)}{arg_codes}))"
        if self.mutates:
            # the body may change what a host call returns: give it its own copy
            t = self.temp()
            call = f"call_method({t} := {self.expr(receiver)}, {e.name!r}, {args}{safe})"
            return f"({self.mark(e)}_copy_host_result({call}, {t}))"
        return f"({self.mark(e)}call_method({self.expr(receiver)}, {e.name!r}, {args}{safe}))"

    def counts_fields(self, e: n.Expr) -> bool:
        """``e`` is ``x.fields()`` on a non-library receiver, resolving to the Obj library's ``fields``."""
        from .stdlib.obj import object_fields

        return (
            isinstance(e, n.Call)
            and e.name == "fields"
            and not e.args
            and e.receiver is not None
            and not (
                isinstance(e.receiver, n.Path)
                and len(e.receiver.names) == 1
                and self.lookup(e.receiver.names[0]) is None
                and e.receiver.names[0] in self.libraries
            )
            and self.library_function(dict, e) is object_fields
            and self.method_site(e) is not None
        )

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

    def expr_Nullish(self, e: n.Nullish) -> str:
        t = self.temp()
        return (
            f"({t} if ({t} := {self.expr(e.left)}) is not None and {t} is not VOID else {self.expr(e.right)})"
        )

    def expr_Ternary(self, e: n.Ternary) -> str:
        cond = self.truth(self.expr(e.cond), e.cond)
        return f"({self.expr(e.then)} if {cond} else {self.expr(e.otherwise)})"

    def expr_Cast(self, e: n.Cast) -> str:
        fast = self.time_units(e.expr, e.type)
        if fast is not None:
            return f"Units({fast[0]}, {fast[1]!r})"
        return self.cast_code(self.expr(e.expr), e.type, e)

    def float_literal(self, value: float) -> str:
        return repr(value) if math.isfinite(value) else self.constant(value)

    def time_now(self, e: n.Expr) -> str | None:
        """Code for the float milliseconds of a stock ``Time.now()`` call, or None for anything else."""
        if not (
            isinstance(e, n.Call)
            and e.name == "now"
            and not e.args
            and isinstance(e.receiver, n.Path)
            and e.receiver.names == ["Time"]
            and self.lookup("Time") is None
            and "Time" in self.libraries
        ):
            return None
        from .stdlib import time_lib

        if ((self.runtime.get("TABLES") or {}).get("Time") or {}).get("now") is not time_lib.TIME["now"]:
            return None
        site = self.constant_object(library_site("Time", "now", time_lib.now_ms))
        return f"({self.mark(e)}{site}())"

    def time_units(self, e: n.Expr, type_: n.TypeRef) -> tuple[str, str] | None:
        """(float code, unit) for ``Time.now()`` or ``Time.now() ± <time literal>`` cast to a time unit.

        The float operations are exactly those of ``add``/``sub`` (both operands in their common unit) and
        then ``cast`` (a ratio conversion), so the value is bit-identical, without the intermediate Units.
        """
        from . import cast, ops, values
        from .units import RATIO_FACTORS, common_unit, is_time

        units = values.Units
        if (
            len(type_.names) != 1
            or self.runtime.get("Units") is not units
            or self.runtime.get("cast") is not cast.cast
            or self.runtime.get("sub") is not ops.sub
            or self.runtime.get("add") is not ops.add
        ):
            return None
        target = cast.unit_target(type_.names[0])
        if target is None or not is_time(target):
            return None
        unit = "ms"  # Time.now()'s unit
        if isinstance(e, n.Binary) and e.op in ("+", "-"):
            now = self.time_now(e.left)
            literal = self.fold(e.right)
            if now is None or type(literal) is not units or not is_time(literal.unit):
                return None
            if literal.unit == unit:
                code = f"({now} {e.op} {self.float_literal(literal.value)})"
            else:
                base = common_unit(unit, literal.unit)
                fa = RATIO_FACTORS.get((unit, base)) if base != unit else None
                fb = RATIO_FACTORS.get((literal.unit, base)) if base != literal.unit else (1.0, 1.0)
                if base is None or fb is None or (base != unit and fa is None):
                    return None
                left = now if fa is None else f"{now} * {self.float_literal(fa[0])} / {self.float_literal(fa[1])}"
                right = self.float_literal(literal.value * fb[0] / fb[1])
                code = f"({left} {e.op} {right})"
                unit = base
        else:
            now = self.time_now(e)
            if now is None:
                return None
            code = now
        if unit != target:
            factors = RATIO_FACTORS.get((unit, target))
            if factors is None:
                return None
            code = f"({code} * {self.float_literal(factors[0])} / {self.float_literal(factors[1])})"
        return code, target

    def expr_TypeOf(self, e: n.TypeOf) -> str:
        fn = "typename" if e.specific else "typeof"
        return f"({self.mark(e)}{fn}({self.expr(e.expr)}))"

    def expr_BlockExpr(self, e: n.BlockExpr) -> str:
        # A nested function keeps the block's own `return`; outer locals it assigns are `nonlocal`. It is
        # defined just before the statement being generated, like the helpers of `hoist`.
        name = f"_block{next(self._tmp)}"
        saved_lines, saved_level = self.lines, self.level
        self.lines, self.level = [], 1
        self.push_scope()
        self._block_depth += 1
        self.statements(e.body)
        self._block_depth -= 1
        self.writeline("return VOID")
        self.pop_scope()
        inner, self.lines, self.level = self.lines, saved_lines, saved_level
        assigned = {
            var.pyname
            for x in _walk(n.Block(body=e.body))
            if isinstance(x, n.Assign) and (var := self.lookup(x.target[0])) is not None
        }
        if self.uses_budget:
            assigned.add("_tick")
        lines, index, level = self._statement_starts[-1] if self._statement_starts else (self.lines, 0, 1)
        pad = "    " * level
        definition = [f"{pad}def {name}():"]
        if assigned:
            definition.append(f"{pad}    nonlocal {', '.join(sorted(assigned))}")
        definition.extend(pad + line for line in inner)
        lines[index:index] = definition
        return f"({self.mark(e)}{name}())"


_NOT_CONSTANT: Any = object()
_ABSENT_BINDING: Any = object()
_RETURN_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
_UNSEEN: Any = object()
_PLAIN_COMPARABLE = frozenset({int, float, str})


def compile_body(
    body: n.Body,
    *,
    runtime: Mapping[str, Any] | None = None,
    trace: bool = False,
    filename: str = "<stof>",
    entry: bool = False,
) -> Compiled:
    """Generate and compile the Python function for ``body``; with ``entry`` (and a body that does not mutate
    its values), also ``_matches`` (``Compiled.matches``), whose hooks the caller fills in."""
    rt = dict(runtime) if runtime is not None else runtime_namespace()
    mutating = frozenset(rt.get("MUTATING_METHODS", ()))
    mutates = body_mutates(body, mutating)
    generator = CodeGenerator(rt, trace=trace, mutates=mutates)
    # the generator recurses a few frames per nesting level of the condition (the parser allows 200 levels
    # and long left-nested operator chains); Python-to-Python calls need no C stack in 3.11
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, GENERATOR_RECURSION_LIMIT))
    try:
        source = generator.generate(body, entry=entry and not trace and not mutates)
    except RecursionError as exc:
        raise StofSyntaxError(
            [
                Diagnostic(
                    "error",
                    body.line or 1,
                    body.col or 1,
                    body.line or 1,
                    (body.col or 1) + 1,
                    "condition nested too deeply to compile",
                    "too-complex",
                )
            ]
        ) from exc
    finally:
        sys.setrecursionlimit(limit)
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update(SUPPORT_NAMES)
    namespace.update({k: v for k, v in rt.items() if k not in ("LIBRARIES", "MUTATING_METHODS", "TABLES")})
    namespace["_PLAIN_COMPARABLE"] = _PLAIN_COMPARABLE
    namespace["_ABSENT"] = _ABSENT_BINDING
    for fn in ARITH_FUNCS.values():
        if fn in rt:
            namespace[f"_swapped_{fn}"] = _swap(rt[fn])
    namespace.update(generator.constants)
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        line, col = body.line or 1, body.col or 1
        raise StofSyntaxError(
            [
                Diagnostic(
                    "error",
                    line,
                    col,
                    line,
                    col + 1,
                    f"condition too complex to compile ({exc})",
                    "too-complex",
                )
            ]
        ) from exc
    exec(code, namespace)  # the namespace holds only runtime names; no builtins
    return Compiled(
        function=namespace[FUNCTION_NAME],
        matches=namespace.get("_matches"),
        matches_customer=namespace.get("_matches_customer"),
        python_source=source,
        positions=generator.positions(source),
        uses_budget=generator.uses_budget,
        mutates=mutates,
        trace_nodes=generator.trace_nodes,
    )


__all__ = ["CodeGenerator", "Compiled", "body_mutates", "compile_body", "mangle", "runtime_namespace"]
