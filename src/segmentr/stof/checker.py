"""Stof checker: the editor's real-time validation. Syntax errors, plus warnings for the silent traps of Stof.

Warnings never change what evaluation does (spec/stof.md §7, product.md §3 "Validation"); each has a short
``code``: ``unreachable``, ``return-no-semicolon``, ``keyword-as-name``, ``unknown-unit``, ``days-vs-ms``,
``nullable-iterable``, ``mixed-logic``, ``null-compare``, ``int-division``, ``unknown-field``, ``keyword-prefix``,
``unknown-method``, ``arity``, ``unknown-entitlement``, ``unknown-variable``. ``check`` never raises.

The variables, their fields and the host methods come from the ``BindingSet`` the caller passes (``host.py``;
the policy layer declares them): without one, only the language's own traps are reported.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import fields

from segmentr.stof import nodes as n
from segmentr.stof.errors import Diagnostic, StofSyntaxError
from segmentr.stof.host import BindingSet, HostField, HostVariable
from segmentr.stof.lexer import KIND, SP, LexResult, tokenize
from segmentr.stof.parser import parse_lexed

# names a condition may use without declaring them: the libraries and for-in's implicit loop variables
_KNOWN_ROOTS = frozenset({"Time", "Obj", "Map", "List", "Str", "Num", "Tup", "Set", "Std", "self", "super", "this",
                          "index", "first", "last", "length", "iterable"})
_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_TIME_UNITS = frozenset({"days", "hr", "min", "s"})
_EPOCH_FIELDS = frozenset({"cloud_created", "cloud_updated"})
_UNIT_HINTS = {
    "h": "hr", "hour": "hr", "hrs": "hr", "d": "days", "w": "7days", "week": "7days", "weeks": "7days",
    "ec": "s", "ecs": "s", "econd": "s", "onth": "30days", "onths": "30days", "o": "30days", "year": "365days",
    "years": "365days", "y": "365days", "b": "MB (memory units are upper-case)", "ins": "min",
}
_LOOP_KEYWORDS = frozenset({"if", "while", "for", "switch", "catch"})
# the only local names the rules care about (a local `customer` shadows the binding, a local `if` is a variable):
# tracking just these keeps scopes tiny however many variables a condition declares
_SHADOWABLE = frozenset({"customer", "policy", "data", "return", "Time"}) | _LOOP_KEYWORDS

PathKey = tuple[str, ...]

# The fields of each node class that can hold nodes, read from their annotations once per class. A check walks
# the tree twice (the names it declares and its regex calls, then the rules): ``Node.children`` would look at
# every field of every node through a generator, which was most of a long condition's check.
_NODE_CLASSES = frozenset(name for name, value in vars(n).items() if isinstance(value, type) and issubclass(value, n.Node))
_SPAN = frozenset({"line", "col", "end_line", "end_col"})
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def _may_hold_nodes(annotation: object) -> bool:
    if not isinstance(annotation, str):
        return True  # not a postponed annotation: look at the value, as ``Node.children`` does
    return not _NODE_CLASSES.isdisjoint(re.findall(r"[A-Za-z_]\w*", annotation))


def _children(node: n.Node) -> list[n.Node]:
    """``node.children()``: the same nodes in the same order, as a list, looking only at the node fields."""
    names = _NODE_FIELDS.get(type(node))
    if names is None:
        names = _NODE_FIELDS[type(node)] = tuple(
            f.name for f in fields(node) if f.name not in _SPAN and _may_hold_nodes(f.type))
    out: list[n.Node] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, n.Node):
            out.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, n.Node):
                    out.append(item)
                elif isinstance(item, tuple):
                    out.extend(x for x in item if isinstance(x, n.Node))
    return out


def _diag(node: n.Node, message: str, code: str) -> Diagnostic:
    return Diagnostic("warning", node.line, node.col, node.end_line, node.end_col, message, code)


def _path_text(names: Iterable[str]) -> str:
    return ".".join(names)


_FACT_BUDGET = 64  # nodes looked at per condition: keeps long `a && b && …` chains linear


def _null_facts(cond: n.Expr) -> set[PathKey]:
    """Paths that ``cond`` being true proves non-null: conjuncts ``P != null``, ``null != P``, ``P > x`` or a bare
    ``P`` (the last conjuncts of a very long chain only)."""
    facts: set[PathKey] = set()
    stack = [cond]
    budget = _FACT_BUDGET
    while stack and budget:
        budget -= 1
        e = stack.pop()
        if isinstance(e, n.Logical) and e.op == "&&":
            stack.extend((e.left, e.right))
        elif isinstance(e, n.Binary) and e.op == "!=":
            for a, b in ((e.left, e.right), (e.right, e.left)):
                if isinstance(a, n.Path) and isinstance(b, n.Literal) and b.value is None:
                    facts.add(tuple(a.names))
        elif isinstance(e, n.Path):
            facts.add(tuple(e.names))
        elif isinstance(e, n.Binary) and e.op in (">", ">=") and isinstance(e.left, n.Path):
            facts.add(tuple(e.left.names))  # `P > x` is false for a null P
    # a proven path proves its prefixes too (customer.meters.api != null => customer.meters != null)
    for key in list(facts):
        for i in range(1, len(key)):
            facts.add(key[:i])
    return facts


def _null_exit_facts(stmt: n.Stmt) -> set[PathKey]:
    """``if (P == null) return …;``: after it, P is non-null."""
    if not isinstance(stmt, n.If) or stmt.otherwise is not None or not _always_exits(stmt.then):
        return set()
    cond = stmt.cond
    facts: set[PathKey] = set()
    for part in _disjuncts(cond):
        if isinstance(part, n.Binary) and part.op == "==":
            for a, b in ((part.left, part.right), (part.right, part.left)):
                if isinstance(a, n.Path) and isinstance(b, n.Literal) and b.value is None:
                    facts.add(tuple(a.names))
        elif isinstance(part, n.Unary) and part.op == "!" and isinstance(part.operand, n.Path):
            facts.add(tuple(part.operand.names))
    return facts


def _disjuncts(e: n.Expr) -> list[n.Expr]:
    if isinstance(e, n.Logical) and e.op == "||":
        return [*_disjuncts(e.left), *_disjuncts(e.right)]
    return [e]


def _always_exits(stmt: n.Stmt) -> bool:
    if isinstance(stmt, n.Return | n.Break | n.Continue):
        return True
    if isinstance(stmt, n.ExprStmt):
        return stmt.returns
    if isinstance(stmt, n.Block):
        return any(_always_exits(s) for s in stmt.body)
    return False


def _is_time_now(e: n.Expr) -> bool:
    return (isinstance(e, n.Call) and isinstance(e.receiver, n.Path) and e.receiver.names == ["Time"]
            and e.name in ("now", "start_of_day", "start_of_week", "start_of_month", "start_of_year",
                           "add_days", "add_months"))


def _is_float_literal(e: n.Expr) -> bool:
    return isinstance(e, n.Literal) and type(e.value) is float


def _is_plain_number(e: n.Expr) -> bool:
    return isinstance(e, n.Literal) and type(e.value) in (int, float)


class _Scope:
    """What the walker knows at a point: local names, days-valued variables, paths proven non-null."""

    __slots__ = ("days_vars", "guards", "locals")

    def __init__(self, locals_: frozenset[str], days_vars: frozenset[str], guards: frozenset[PathKey]) -> None:
        self.locals = locals_
        self.days_vars = days_vars
        self.guards = guards

    def with_guards(self, facts: set[PathKey]) -> _Scope:
        if not facts:
            return self
        return _Scope(self.locals, self.days_vars, self.guards | facts)


class _Walker:
    def __init__(self, source: str, entitlements: set[str] | None, bindings: BindingSet | None,
                 declared: frozenset[str]) -> None:
        self.source = source
        self.entitlements = entitlements
        self.bindings = bindings
        self.declared = declared  # every name the body declares anywhere (a use before it is not reported)
        self.out: list[Diagnostic] = []
        self.line_starts = [0]
        pos = source.find("\n")
        while pos != -1:
            self.line_starts.append(pos + 1)
            pos = source.find("\n", pos + 1)

    # ---------------------------------------------------------------- statements

    def block(self, stmts: list[n.Stmt], scope: _Scope) -> _Scope:
        locals_, days_vars, guards = set(scope.locals), set(scope.days_vars), set(scope.guards)
        current = scope
        for i, stmt in enumerate(stmts):
            self.statement(stmt, current)
            changed = False
            if isinstance(stmt, n.Declare):
                if stmt.name in _SHADOWABLE:
                    locals_.add(stmt.name)
                    changed = True
                if stmt.name in days_vars:
                    days_vars.discard(stmt.name)
                    changed = True
                if stmt.value is not None and self.is_days_offset(stmt.value, current) and not (
                        stmt.type is not None and any(t in ("ms", "int", "float") for t in stmt.type.names)):
                    days_vars.add(stmt.name)
                    changed = True
            elif isinstance(stmt, n.Assign) and len(stmt.target) == 1 and guards:
                guards.difference_update({g for g in guards if g[0] == stmt.target[0]})
                changed = True
            exit_facts = _null_exit_facts(stmt)
            if exit_facts:
                guards |= exit_facts
                changed = True
            if changed:  # rebuilt only on change: long runs of plain statements stay linear
                current = _Scope(frozenset(locals_), frozenset(days_vars), frozenset(guards))
            if (isinstance(stmt, n.Return) or (isinstance(stmt, n.ExprStmt) and stmt.returns)) and i + 1 < len(stmts):
                self.unreachable(stmt, stmts[i + 1])
                break
        return _Scope(frozenset(locals_), frozenset(days_vars), frozenset(guards))

    def unreachable(self, returning: n.Stmt, first_dropped: n.Stmt) -> None:
        if isinstance(returning, n.ExprStmt) and isinstance(returning.expr, n.Path) and len(
                returning.expr.names) == 1 and returning.expr.names[0] in ("return", *_LOOP_KEYWORDS):
            return  # reported as return-no-semicolon / keyword-as-name at the cause
        line = returning.line
        self.out.append(_diag(first_dropped, "this statement never runs: the expression statement on line "
                                             f"{line} has no ';', so it already returned its value (Stof ignores "
                                             "the rest)", "unreachable"))

    def statement(self, stmt: n.Stmt, scope: _Scope) -> None:
        if isinstance(stmt, n.ExprStmt):
            self.expr_statement(stmt, scope)
        elif isinstance(stmt, n.Declare):
            if stmt.value is not None:
                self.expr(stmt.value, scope)
        elif isinstance(stmt, n.Assign):
            self.expr(stmt.value, scope)
        elif isinstance(stmt, n.Return):
            if stmt.value is not None:
                self.expr(stmt.value, scope)
        elif isinstance(stmt, n.Block):
            self.block(stmt.body, scope)
        elif isinstance(stmt, n.If):
            self.expr(stmt.cond, scope)
            self.statement(stmt.then, scope.with_guards(_null_facts(stmt.cond)))
            if stmt.otherwise is not None:
                self.statement(stmt.otherwise, scope)
        elif isinstance(stmt, n.While):
            self.expr(stmt.cond, scope)
            self.statement(stmt.body, scope.with_guards(_null_facts(stmt.cond)))
        elif isinstance(stmt, n.For):
            inner = scope
            if stmt.init is not None:
                inner = self.block([stmt.init], scope)
            if stmt.cond is not None:
                self.expr(stmt.cond, inner)
            if stmt.step is not None:
                self.statement(stmt.step, inner)
            self.statement(stmt.body, inner)
        elif isinstance(stmt, n.ForIn):
            self.for_in(stmt, scope)
        elif isinstance(stmt, n.Switch):
            self.expr(stmt.subject, scope)
            for case in stmt.cases:
                for value in case.values:
                    self.expr(value, scope)
                self.statement(case.body, scope)
        elif isinstance(stmt, n.Try):
            self.statement(stmt.body, scope)
            self.statement(stmt.handler, scope)

    def expr_statement(self, stmt: n.ExprStmt, scope: _Scope) -> None:
        e = stmt.expr
        if stmt.returns and isinstance(e, n.Path) and len(e.names) == 1 and e.names[0] not in scope.locals:
            word = e.names[0]
            if word == "return":
                self.out.append(_diag(stmt, "'return' without ';' is read as a variable named 'return' (null), "
                                            "which is returned at once; write 'return value;'",
                                      "return-no-semicolon"))
                return
            if word in _LOOP_KEYWORDS:
                self.out.append(_diag(stmt, f"'{word}' is not followed by '(' so Stof reads it as a variable "
                                            f"(null) and returns it at once; write {word} (condition) …",
                                      "keyword-as-name"))
                return
        self.expr(e, scope)

    def for_in(self, stmt: n.ForIn, scope: _Scope) -> None:
        self.expr(stmt.iterable, scope)
        base = stmt.iterable
        while isinstance(base, n.Call) and isinstance(base.receiver, n.Call):
            base = base.receiver
        if (isinstance(base, n.Call) and not base.null_safe and isinstance(base.receiver, n.Path)
                and self.nullable_root(base.receiver.names, scope)
                and tuple(base.receiver.names) not in scope.guards):
            path = _path_text(base.receiver.names)
            self.out.append(_diag(stmt.iterable, f"{path} can be null: then {path}.{base.name}() is a runtime error "
                                                 "and the condition does not match; guard it (if ("
                                                 f"{path} != null) …) or write ?{path}.{base.name}()",
                                  "nullable-iterable"))
        inner = _Scope(scope.locals | ({stmt.name} & _SHADOWABLE), scope.days_vars - {stmt.name}, scope.guards)
        self.statement(stmt.body, inner)

    # ---------------------------------------------------------------- expressions

    def expr(self, root: n.Expr, scope: _Scope) -> None:
        stack: list[tuple[n.Node, _Scope]] = [(root, scope)]
        while stack:
            e, sc = stack.pop()
            if isinstance(e, n.Logical):
                self.mixed_logic(e)
                stack.append((e.left, sc))
                stack.append((e.right, sc.with_guards(_null_facts(e.left)) if e.op == "&&" else sc))
                continue
            if isinstance(e, n.Ternary):
                stack.append((e.cond, sc))
                stack.append((e.then, sc.with_guards(_null_facts(e.cond))))
                stack.append((e.otherwise, sc))
                continue
            if isinstance(e, n.Binary) and e.op in _COMPARE_OPS:
                self.comparison(e, sc)
            elif isinstance(e, n.Path):
                self.path(e, sc)
            elif isinstance(e, n.Literal) and (e.value is None or type(e.value) is bool):
                self.keyword_prefix(e)
            elif isinstance(e, n.Call):
                self.call(e, sc)
            elif isinstance(e, n.BlockExpr):
                self.block(e.body, sc)
                continue
            for child in _children(e):
                if isinstance(child, n.Stmt):
                    self.statement(child, sc)
                else:
                    stack.append((child, sc))

    def keyword_prefix(self, e: n.Literal) -> None:
        """``nullable``/``true_count`` at the start of an expression: the reference reads the keyword alone."""
        end = self.offset(e.end_line, e.end_col)
        src = self.source
        if 0 <= end < len(src) and (src[end].isalnum() or src[end] in "_@"):
            start = self.offset(e.line, e.col)
            stop = end
            while stop < len(src) and (src[stop].isalnum() or src[stop] in "_@"):
                stop += 1
            word = src[start:stop]
            self.out.append(_diag(e, f"{word!r} starts with the keyword {src[start:end]!r}: Stof reads it as "
                                     f"{src[start:end]} followed by {src[end:stop]!r}, so this is not the variable "
                                     f"{word!r}; rename it", "keyword-prefix"))

    def nullable_root(self, names: list[str], scope: _Scope) -> bool:
        root = names[0]
        if root in scope.locals:
            return False
        return (root == "customer" and len(names) >= 2) or root == "data"

    def variable(self, name: str, scope: _Scope) -> HostVariable | None:
        if self.bindings is None or name in scope.locals or name in self.declared:
            return None
        return self.bindings.variable(name)

    def path(self, e: n.Path, scope: _Scope) -> None:
        if self.bindings is None:
            return
        names = e.names
        root = names[0]
        var = self.variable(root, scope)
        if var is None:
            if root not in scope.locals and root not in self.declared and root not in _KNOWN_ROOTS:
                known = ", ".join(self.bindings.names)
                self.out.append(_diag(e, f"{root!r} is not a variable here (a {self.bindings.name} condition sees "
                                         f"{known}): it is null", "unknown-variable"))
            return
        fields: tuple[HostField, ...] | None = var.fields
        owner = root
        for name in names[1:]:
            if fields is None:
                return
            found = next((f for f in fields if f.name == name), None)
            if found is None:
                listed = ", ".join(f.name for f in fields)
                hint = (f"; custom data is under customer.metadata.{name} (also written data.{name})"
                        if root == "customer" and owner == "customer" else "")
                self.out.append(_diag(e, f"{owner} has no field {name!r} (fields: {listed}){hint}",
                                      "unknown-field"))
                return
            fields = found.fields
            owner = f"{owner}.{name}"

    def call(self, e: n.Call, scope: _Scope) -> None:
        receiver = e.receiver
        if not (isinstance(receiver, n.Path) and len(receiver.names) == 1):
            return
        var = self.variable(receiver.names[0], scope)
        if var is None or not var.methods:
            return
        owner = var.name
        method = var.method(e.name)
        if method is None:
            self.out.append(_diag(e, f"the {owner} has no method {e.name!r}"
                                     + (" (with a leading '?' the call just gives null)" if e.null_safe else "")
                                     + ": the call is a runtime error", "unknown-method"))
            return
        low, high = method.arity
        count = len(e.args)
        if not low <= count <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            self.out.append(_diag(e, f"{owner}.{e.name} takes {expected} argument{'s' if high != 1 else ''} "
                                     f"({method.signature()}), not {count}: the call is a runtime error", "arity"))
        if (self.entitlements is not None and count >= 2 and len(method.params) >= 2
                and method.params[1].name == "entitlement"
                and isinstance(e.args[1], n.Literal) and isinstance(e.args[1].value, str)
                and e.args[1].value not in self.entitlements):
            name = e.args[1].value
            self.out.append(_diag(e.args[1], f"no plan has an entitlement named {name!r}", "unknown-entitlement"))

    def is_days_offset(self, e: n.Expr, scope: _Scope) -> bool:
        """``Time.now() - 7days``-like: a time offset computed in a unit bigger than ms (spec §6.8)."""
        if isinstance(e, n.Path) and len(e.names) == 1:
            return e.names[0] in scope.days_vars
        if isinstance(e, n.Binary) and e.op in ("-", "+"):
            for a, b in ((e.left, e.right), (e.right, e.left)):
                if isinstance(b, n.UnitLiteral) and b.unit in _TIME_UNITS and (
                        _is_time_now(a) or self.is_days_offset(a, scope)):
                    return True
        return False

    def is_epoch_number(self, e: n.Expr, scope: _Scope) -> bool:
        if _is_plain_number(e):
            return True
        if isinstance(e, n.Path):
            root = e.names[0]
            if root in scope.locals:
                return False
            return root in ("customer", "data") and len(e.names) >= 2
        if isinstance(e, n.Cast):
            return any(t in ("int", "float") for t in e.type.names)
        return False

    def comparison(self, e: n.Binary, scope: _Scope) -> None:
        for a, b in ((e.left, e.right), (e.right, e.left)):
            if self.is_days_offset(a, scope) and self.is_epoch_number(b, scope):
                self.out.append(_diag(e, "a time offset like Time.now() - 7days is in days, so the plain number "
                                         "(epoch ms) it is compared with is read as days and this is almost always "
                                         "true: declare it as ms first (const ts: ms = Time.now() - 7days;) and "
                                         "compare with ts", "days-vs-ms"))
                break
        if e.op in ("<", "<=") and isinstance(e.left, n.Path):
            names = e.left.names
            key = tuple(names)
            nullable = names[0] not in scope.locals and (
                names[0] == "data" or (names[0] == "customer" and len(names) >= 3 and names[1] == "metadata")
                or (names[0] == "customer" and len(names) == 2 and names[1] in _EPOCH_FIELDS))
            if nullable and key not in scope.guards:
                path = _path_text(names)
                self.out.append(_diag(e, f"{path} may be null, and in Stof null {e.op} anything is true: guard it "
                                         f"({path} != null && {path} {e.op} …)", "null-compare"))
        for a, b in ((e.left, e.right), (e.right, e.left)):
            if (isinstance(a, n.Binary) and a.op == "/" and not self.has_float(a)
                    and isinstance(b, n.Literal) and type(b.value) is float and b.value != int(b.value)):
                self.out.append(_diag(a, "integer division truncates (85 / 100 is 0), so comparing it with a "
                                         "fraction is misleading: make one side a float (85.0 / 100, or "
                                         "(x as float) / y)", "int-division"))
                break

    def has_float(self, e: n.Binary) -> bool:
        for side in (e.left, e.right):
            if _is_float_literal(side) or isinstance(side, n.UnitLiteral):
                return True
            if isinstance(side, n.Cast) and "float" in side.type.names:
                return True
        return False

    def mixed_logic(self, e: n.Logical) -> None:
        left = e.left
        if isinstance(left, n.Logical) and left.op != e.op and not self.parenthesized(left):
            self.out.append(_diag(e, f"'&&' and '||' have the same precedence in Stof and run left to right: this "
                                     f"is (… {left.op} …) {e.op} …; add parentheses to say what you mean",
                                  "mixed-logic"))

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col - 1 if 0 < line <= len(self.line_starts) else -1

    def parenthesized(self, e: n.Node) -> bool:
        src = self.source
        start, end = self.offset(e.line, e.col), self.offset(e.end_line, e.end_col)
        if start < 0 or end < 0:
            return False
        i = start - 1
        while i >= 0 and src[i] in " \t\r\n":
            i -= 1
        j = end
        while j < len(src) and src[j] in " \t\r\n":
            j += 1
        return i >= 0 and src[i] == "(" and j < len(src) and src[j] == ")"


def _unknown_units(lexed: LexResult) -> list[Diagnostic]:
    """A number immediately followed by letters that are not (the rest of) a unit: ``2h``, ``3weeks``, ``2sec``."""
    out: list[Diagnostic] = []
    rows = lexed.rows  # plain tuples: the Token objects are built only for the (rare) hits
    for i in range(1, len(rows)):
        row = rows[i]
        if row[KIND] != "id" or row[SP] or rows[i - 1][KIND] != "num":
            continue
        tok, prev = lexed.tokens[i], lexed.tokens[i - 1]
        unit = prev.value[1] if isinstance(prev.value, tuple) else None
        stray = lexed.source[tok.start:tok.full_end if tok.full_end >= 0 else tok.end]
        hint = _UNIT_HINTS.get(stray)
        read = f"{prev.text} followed by the name {stray!r}"
        message = (f"{prev.text}{stray} is not a number with a unit: Stof reads it as {read}"
                   + (f" (the unit {unit!r} matched first)" if unit else "")
                   + (f"; did you mean {hint}?" if hint else "; time units are days, hr, min, s, ms"))
        out.append(Diagnostic("warning", prev.line, prev.col, tok.end_line, tok.end_col, message, "unknown-unit"))
    return out


_REGEX_METHODS = frozenset({"matches", "find_matches"})


def _scan(body: n.Body) -> tuple[frozenset[str], list[n.Call]]:
    """One walk of the whole body (dropped statements too), in source order: every name it declares anywhere
    and its ``matches``/``find_matches`` calls."""
    names: set[str] = set()
    regex_calls: list[n.Call] = []
    stack: list[n.Node] = [*reversed(body.dropped), *reversed(body.body)]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Declare | n.ForIn):
            names.add(node.name)
        elif isinstance(node, n.Try) and node.error_name:
            names.add(node.error_name)
        elif isinstance(node, n.Call) and node.name in _REGEX_METHODS and node.args:
            regex_calls.append(node)
        stack.extend(reversed(_children(node)))
    return frozenset(names), regex_calls


def _refused_patterns(body: n.Body, calls: list[n.Call] | None = None) -> list[Diagnostic]:
    """A literal pattern given to ``matches``/``find_matches`` that the regex engine (RE2) refuses: at run time
    it is a ``Regex`` error, so the condition never matches. ``calls``: the body's regex calls (``_scan``)."""
    from .stdlib.str_lib import regex_problem

    out: list[Diagnostic] = []
    for node in _scan(body)[1] if calls is None else calls:
        pattern = node.args[-1]
        if isinstance(pattern, n.Literal) and type(pattern.value) is str:
            problem = regex_problem(pattern.value)
            if problem is not None:
                message = f"this regular expression is refused at run time ({problem})"
                out.append(_diag(pattern, message, "regex-refused"))
    return out


def check(source: str, *, entitlements: set[str] | None = None,
          bindings: BindingSet | None = None) -> list[Diagnostic]:
    """Errors (what ``parse`` rejects) or, for a valid source, warnings about likely mistakes. Never raises.

    ``bindings`` declares the variables (their fields, the host methods and arities) the condition sees."""
    try:
        lexed = tokenize(source)
        try:
            body = parse_lexed(lexed)
        except StofSyntaxError as error:
            return list(error.diagnostics)
    except Exception:  # the checker must never break the editor
        return []
    warnings: list[Diagnostic] = []
    with contextlib.suppress(Exception):  # a checker bug must cost a warning, never the editor
        warnings.extend(_unknown_units(lexed))
    regex_calls: list[n.Call] | None = None
    with contextlib.suppress(Exception):
        declared, regex_calls = _scan(body)
        walker = _Walker(source, entitlements, bindings, declared if bindings is not None else frozenset())
        walker.block([*body.body, *body.dropped], _Scope(frozenset(), frozenset(), frozenset()))
        warnings.extend(walker.out)
    with contextlib.suppress(Exception):
        warnings.extend(_refused_patterns(body, regex_calls))
    seen: set[tuple[int, int, str]] = set()
    unique: list[Diagnostic] = []
    for d in sorted(warnings, key=lambda d: (d.line, d.column)):
        key = (d.line, d.column, d.code)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


__all__ = ["check"]
