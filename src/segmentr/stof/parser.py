"""Stof parser: a hand-written recursive-descent / precedence parser from tokens to ``nodes.Body``.

It accepts and rejects what Stof 0.9.21 does (spec/stof.md §0-§3, checked against the conformance corpus),
including the surprising parts: text after a complete expression starts a new statement (``1 2`` returns 1),
keywords are keywords only in their full shape (``return 1`` without ``;`` is a variable named ``return``), a
collection literal at the start of an expression takes no binary operator, operators may end a line but not
start one, and ``as``/``??``/``?:`` follow a whole head expression. Errors are collected per statement (the
parser resumes at the next statement) and raised together as one ``StofSyntaxError``.

It reads the lexer's token rows (tuples, by the lexer's field indices) and builds the common nodes with
positional constructors; the hot paths (plain names, calls, operands, precedence climbing) take shortcuts that
give exactly what the general code gives.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import fields
from typing import ClassVar, TypeVar

from segmentr.stof import nodes as n
from segmentr.stof.errors import Diagnostic, StofSyntaxError
from segmentr.stof.lexer import (
    COL,
    END,
    END_COL,
    END_LINE,
    FULL_END,
    KIND,
    LINE,
    NL,
    SP,
    START,
    TEXT,
    VALUE,
    LexResult,
    Row,
    tokenize,
)
from segmentr.stof.limits import MAX_NESTING

# binary operator -> precedence level (higher binds tighter); && and || share one level (spec §2)
BINARY_PRECEDENCE: dict[str, int] = {
    "&&": 1, "||": 1,
    "==": 2, "!=": 2, ">=": 2, "<=": 2, ">": 2, "<": 2,
    "+": 3, "-": 3,
    "*": 4, "/": 4, "%": 4,
    "&": 5, "|": 5, "^": 5, "<<": 5, ">>": 5,
}
ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})
# tokens that can only continue an expression, never start one (used for the "operator starts a line" error)
_CONTINUATION_OPS = frozenset(BINARY_PRECEDENCE) - {"-"} | ASSIGN_OPS | {"??", "=>"}
_CLOSERS = {"(": ")", "[": "]", "{": "}", "tpl_open": "tpl_close"}
_PRECEDENCE_OF = BINARY_PRECEDENCE.get
_PREFIX_OPS = frozenset({"!", "-", "+"})  # tokens `unary` handles before an atom
# names `atom` treats specially (literals, keywords); others (not starting with '_') are plain paths
_ATOM_NAMES = frozenset({"true", "false", "null", "typeof", "typename", "await", "switch", "async", "new"})
_ASSIGNMENT_STARTS = ASSIGN_OPS | {"."}  # what follows the first name of an assignment target
_HEAD_KINDS = frozenset({"[", "{", "("})  # tokens `head` treats specially (with typeof, typename, await)
_TYPEOF_NAMES = frozenset({"typeof", "typename", "await"})
_CHAIN_STARTS = frozenset({"?", ".", "[", "("})  # tokens after a value that `chain` may continue with
_PATH_CONTINUATIONS = frozenset({"?", ".", "[", "("})  # tokens after a name that make it more than a Path
_LOOP_KEYWORDS = frozenset({"while", "for", "loop"})


_N = TypeVar("_N", bound=n.Node)


def _fast_constructor(cls: type[_N]) -> Callable[..., _N]:
    """``cls(...)`` without the dataclass ``__init__``'s keyword handling (a third of a parse's time went there):
    a function taking every field positionally, in declaration order, starting with the span (line, col,
    end_line, end_col). Built like dataclasses builds ``__init__``."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    assignments = "".join(f"    node.{name} = {name}\n" for name in names)
    namespace: dict[str, object] = {"new": object.__new__, "cls": cls}
    exec(f"def new_{cls.__name__}({', '.join(names)}):\n    node = new(cls)\n{assignments}    return node\n",
         namespace)
    return namespace[f"new_{cls.__name__}"]  # type: ignore[return-value]


_new_literal = _fast_constructor(n.Literal)
_new_unit_literal = _fast_constructor(n.UnitLiteral)
_new_path = _fast_constructor(n.Path)
_new_call = _fast_constructor(n.Call)
_new_unary = _fast_constructor(n.Unary)
_new_binary = _fast_constructor(n.Binary)
_new_logical = _fast_constructor(n.Logical)
_new_expr_stmt = _fast_constructor(n.ExprStmt)
_new_assign = _fast_constructor(n.Assign)
_new_declare = _fast_constructor(n.Declare)
_new_block = _fast_constructor(n.Block)
_new_if = _fast_constructor(n.If)


class _Fail(Exception):
    """A parse error at one place; caught at statement boundaries (or by a backtracking alternative)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _TooDeep(Exception):
    """Nesting beyond MAX_NESTING: parsing stops altogether."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _describe(tok: Row) -> str:
    if tok[KIND] == "eof":
        return "the end of the condition"
    if tok[KIND] == "str":
        return "a string"
    if tok[KIND] in ("num", "ver"):
        return f"the number {tok[TEXT]}"
    if tok[KIND] == "id" or tok[KIND] == "path":
        return f"the name {tok[TEXT]!r}"
    if tok[KIND] == "tpl_close":
        return "'}'"
    if tok[KIND] == "tpl_start":
        return "a template string"
    return repr(tok[TEXT])


def _span(node: n.Node, first: Row, last: Row) -> None:
    """``node`` spans from token ``first`` to token ``last``."""
    node.line = first[LINE]
    node.col = first[COL]
    node.end_line = last[END_LINE]
    node.end_col = last[END_COL]


def _span_to_node(node: n.Node, first: Row, last: n.Node) -> None:
    node.line = first[LINE]
    node.col = first[COL]
    node.end_line = last.end_line
    node.end_col = last.end_col


def _span_from_node(node: n.Node, first: n.Node, last: Row) -> None:
    node.line = first.line
    node.col = first.col
    node.end_line = last[END_LINE]
    node.end_col = last[END_COL]


def _span_nodes(node: n.Node, first: n.Node, last: n.Node) -> None:
    node.line = first.line
    node.col = first.col
    node.end_line = last.end_line
    node.end_col = last.end_col


class _Parser:
    __slots__ = ("block_memo", "depth", "diags", "expr_memo", "lexed", "match", "pos", "speculative", "src", "toks")

    def __init__(self, lexed: LexResult) -> None:
        self.lexed = lexed
        self.src = lexed.source
        self.toks = lexed.rows
        self.match = lexed.match
        self.pos = 0
        self.diags: list[Diagnostic] = []
        self.depth = 0
        self.speculative = 0
        self.expr_memo: dict[int, tuple[n.Expr, int] | _Fail] = {}
        self.block_memo: dict[int, tuple[n.Stmt, int] | _Fail] = {}

    # ------------------------------------------------------------ helpers

    def error(self, tok: Row, message: str) -> _Fail:
        end_col = tok[END_COL] if tok[END] > tok[START] else tok[COL] + 1
        end_line = tok[END_LINE] if tok[END] > tok[START] else tok[LINE]
        return _Fail(Diagnostic("error", tok[LINE], tok[COL], end_line, end_col, message, "syntax"))

    def error_after(self, tok: Row, message: str) -> _Fail:
        """An error just past ``tok`` (where a missing ';' or ')' belongs)."""
        return _Fail(Diagnostic("error", tok[END_LINE], tok[END_COL], tok[END_LINE], tok[END_COL] + 1, message,
                                "syntax"))

    def missing(self, expected: str, after_what: str) -> _Fail:
        """``expected X after Y``, pointing at the offending token on the same line, else just after the last one."""
        tok = self.toks[self.pos]
        prev = self.toks[self.pos - 1] if self.pos else tok
        message = f"expected {expected} after {after_what}, found {_describe(tok)}"
        if tok[KIND] in ("id", "path") and not tok[SP] and prev[KIND] == "num":
            message = (f"expected {expected} after {after_what}: {tok[TEXT]!r} is not a unit, so the number "
                       f"{prev[TEXT]} is followed by a stray name (Stof has no 'h', 'd', 'w', 'sec', 'month' units;"
                       f" use e.g. hr, days, s)")
        if tok[NL] or tok[KIND] == "eof":
            return self.error_after(prev, message)
        return self.error(tok, message)

    def unbalanced(self, open_index: int) -> _Fail:
        opener = self.toks[open_index]
        text = "${" if opener[KIND] == "tpl_open" else opener[KIND]
        closer = "}" if opener[KIND] == "tpl_open" else _CLOSERS[opener[KIND]]
        if open_index not in self.match:
            return self.error(opener, f"unbalanced {text!r}: no matching {closer!r}")
        return self.missing(repr(closer), f"the contents of {text!r}")

    def expect_close(self, open_index: int) -> Row:
        opener = self.toks[open_index]
        tok = self.toks[self.pos]
        if tok[KIND] != _CLOSERS[opener[KIND]]:
            raise self.unbalanced(open_index)
        self.pos += 1
        return tok

    def name_at(self, index: int) -> tuple[str, int]:
        """The identifier at ``index`` rejoined if the lexer split a literal keyword off it, and the next index."""
        tok = self.toks[index]
        if tok[FULL_END] < 0:
            return tok[TEXT], index + 1
        j = index + 1
        while self.toks[j][START] < tok[FULL_END] and self.toks[j][KIND] != "eof":
            j += 1
        return self.src[tok[START]:tok[FULL_END]], j

    def names_at(self, index: int) -> tuple[list[str], int, list[tuple[int, int]]]:
        """The name(s) at ``index`` (an ``id`` or a dotted ``path`` token), the next index, and where each ends."""
        tok = self.toks[index]
        if tok[KIND] == "path":
            names = list(tok[VALUE])  # type: ignore[call-overload]
            ends = []
            col = tok[COL] - 1
            for name in names:
                col += len(name) + 1
                ends.append((tok[LINE], col))
            return names, index + 1, ends
        name, nxt = self.name_at(index)
        last = self.toks[nxt - 1]
        return [name], nxt, [(last[END_LINE], last[END_COL])]

    def adjacent_name(self, index: int) -> bool:
        tok = self.toks[index]
        return (tok[KIND] == "id" or tok[KIND] == "path") and not tok[SP]

    def enter(self, tok: Row) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            d = Diagnostic("error", tok[LINE], tok[COL], tok[LINE], tok[COL] + 1,
                           f"nesting too deep (more than {MAX_NESTING} levels)", "syntax")
            raise _TooDeep(d)

    # ------------------------------------------------------------ statements

    def parse_body(self) -> n.Body:
        stmts = self.statements(top=True)
        body = n.Body(body=[])
        first = self.toks[0]
        body.line, body.col = 1, 1
        last = self.toks[-1]
        body.end_line, body.end_col = last[END_LINE], last[END_COL]
        if first[KIND] == "eof":
            return body
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, n.Return) or (isinstance(stmt, n.ExprStmt) and stmt.returns):
                body.body = stmts[:i + 1]
                body.dropped = stmts[i + 1:]
                return body
        body.body = stmts
        return body

    def statements(self, top: bool) -> list[n.Stmt]:
        out: list[n.Stmt] = []
        toks = self.toks
        while True:
            tok = toks[self.pos]
            if tok[KIND] == "eof":
                return out
            if tok[KIND] == "}" and not top:
                return out
            start = self.pos
            depth = self.depth
            try:
                if tok[KIND] == "}":
                    raise self.error(tok, "unbalanced '}': no matching '{'")
                out.append(self.statement())
            except _Fail as failure:
                if self.speculative:
                    raise
                self.diags.append(failure.diagnostic)
                self.depth = depth
                self.recover(start)

    def recover(self, start: int) -> None:
        """Skip the broken statement: up to a ';' (consumed), a new line, or a closing '}' (matched brackets skipped)."""
        toks = self.toks
        i = start
        first = True
        while True:
            tok = toks[i]
            k = tok[KIND]
            if k == "eof":
                break
            if not first and (tok[NL] or k == "}"):
                break
            if k == ";":
                i += 1
                break
            if k in ("(", "[", "{", "tpl_open") and i in self.match:
                i = self.match[i] + 1
            else:
                i += 1
            first = False
        self.pos = max(i, start + 1) if toks[start][KIND] != "eof" else start

    def statement(self) -> n.Stmt:
        toks = self.toks
        tok = toks[self.pos]
        k = tok[KIND]
        if k == ";":
            self.pos += 1
            stmt: n.Stmt = n.Empty()
            _span(stmt, tok, tok)
            return stmt
        if k == "{":
            return self.brace_statement()
        if k == "^":
            return self.labeled_loop()
        if k == "id":
            if tok[FULL_END] < 0:
                handler = self._KEYWORD_STATEMENTS.get(tok[TEXT])
                if handler is not None:
                    result = handler(self)
                    if result is not None:
                        return result
            if tok[FULL_END] >= 0 or toks[self.pos + 1][KIND] in _ASSIGNMENT_STARTS:
                assignment = self.try_assignment()
                if assignment is not None:
                    return assignment
        elif k == "path":
            assignment = self.try_assignment()
            if assignment is not None:
                return assignment
        elif k in _CONTINUATION_OPS and not (k in ("+", "&") and not toks[self.pos + 1][SP]
                                             and toks[self.pos + 1][KIND] in ("num", "id", "path")):
            # (`+1` is a number and `&x` a reference: both may start a statement)
            if tok[NL] and self.pos > 0:
                raise self.error(tok, f"an operator cannot start a line: put {tok[TEXT]!r} at the end of the "
                                      "previous line")
            raise self.error(tok, f"expected a statement, found {_describe(tok)}"
                                  + (" (a list, tuple, map or set literal that starts an expression takes no "
                                     "operator: parenthesize it or bind it to a variable)"
                                     if self.pos > 0 and toks[self.pos - 1][KIND] in ("]", "}", ")") else ""))
        return self.expression_statement()

    def expression_statement(self) -> n.Stmt:
        first = self.toks[self.pos]
        expr = self.expr()
        tok = self.toks[self.pos]
        if tok[KIND] == ";" and not tok[NL]:
            self.pos += 1
            return _new_expr_stmt(first[LINE], first[COL], tok[END_LINE], tok[END_COL], expr, False)
        return _new_expr_stmt(first[LINE], first[COL], expr.end_line, expr.end_col, expr, True)

    def end_statement(self, what: str) -> Row:
        tok = self.toks[self.pos]
        if tok[KIND] != ";":
            raise self.missing("';'", what)
        self.pos += 1
        return tok

    def brace_statement(self) -> n.Stmt:
        """At statement start '{' opens a block; if that fails it is an expression (``{'a': 1}.get('a')``)."""
        start = self.pos
        memo = self.block_memo.get(start) if self.speculative else None
        if memo is not None:
            if isinstance(memo, _Fail):
                raise memo
            self.pos = memo[1]
            return memo[0]
        self.speculative += 1
        depth = self.depth
        try:
            try:
                result: n.Stmt = self.block_statement()
            except _Fail:
                self.pos, self.depth = start, depth
                result = self.expression_statement()
        except _Fail as failure:
            self.pos, self.depth = start, depth
            self.block_memo[start] = failure
            if self.speculative > 1:
                raise
            result = None  # type: ignore[assignment]
        finally:
            self.speculative -= 1
        if result is None:
            return self.block_statement()  # report the block's errors, resuming after each broken statement
        self.block_memo[start] = (result, self.pos)
        return result

    def block_statement(self) -> n.Block:
        open_index = self.pos
        first = self.toks[open_index]
        self.enter(first)
        self.pos += 1
        body = self.statements(top=False)
        last = self.toks[self.pos]
        if last[KIND] != "}":
            raise self.unbalanced(open_index)
        self.pos += 1
        self.depth -= 1
        return _new_block(first[LINE], first[COL], last[END_LINE], last[END_COL], body)

    def declaration(self) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "id":
            return None  # `const;`, `let = 5;`: the keyword is a plain name (spec §6.2)
        name, self.pos = self.name_at(self.pos + 1)
        type_ref = None
        if toks[self.pos][KIND] == ":":
            self.pos += 1
            type_ref = self.type_ref()
        value = None
        if toks[self.pos][KIND] == "=":
            self.pos += 1
            value = self.expr()
        elif toks[self.pos][KIND] in ASSIGN_OPS:
            raise self.error(toks[self.pos], f"expected '=' in the {kw[TEXT]} declaration, found {toks[self.pos][TEXT]!r}")
        last = toks[self.pos]
        if last[KIND] != ";":
            raise self.missing("';'", f"{kw[TEXT]} declaration")
        self.pos += 1
        return _new_declare(kw[LINE], kw[COL], last[END_LINE], last[END_COL], name, value, type_ref,
                            kw[TEXT] == "const")

    def try_assignment(self) -> n.Stmt | None:
        toks = self.toks
        first = toks[self.pos]
        if first[FULL_END] < 0:
            after = toks[self.pos + 1][KIND]
            if after != "." and after not in ASSIGN_OPS:
                return None  # one name token not followed by `.` or an assignment operator: no assignment
        names, i, _ = self.names_at(self.pos)
        while toks[i][KIND] == "." and not toks[i][SP] and self.adjacent_name(i + 1):
            more, i, _ = self.names_at(i + 1)
            names.extend(more)
        op = toks[i]
        if op[KIND] not in ASSIGN_OPS:
            return None
        self.pos = i + 1
        value = self.expr()
        last = self.end_statement("assignment")
        return _new_assign(first[LINE], first[COL], last[END_LINE], last[END_COL], names, op[KIND], value)

    def return_statement(self) -> n.Stmt | None:
        toks = self.toks
        start = self.pos
        kw = toks[start]
        self.pos += 1
        if toks[self.pos][KIND] == ";":
            last = toks[self.pos]
            self.pos += 1
            stmt = n.Return(value=None)
            _span(stmt, kw, last)
            return stmt
        self.speculative += 1
        depth = self.depth
        try:
            value = self.expr()
        except _Fail:
            self.pos, self.depth = start, depth
            return None
        finally:
            self.speculative -= 1
        if toks[self.pos][KIND] != ";":
            self.pos = start  # `return 1` without ';' is the variable `return` (spec §3)
            return None
        last = toks[self.pos]
        self.pos += 1
        stmt = n.Return(value=value)
        _span(stmt, kw, last)
        return stmt

    def paren_condition(self, what: str) -> n.Expr:
        open_index = self.pos
        if self.toks[open_index][KIND] != "(":
            raise self.missing("'('", what)
        self.pos += 1
        cond = self.expr()
        self.expect_close(open_index)
        return cond

    def if_statement(self) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "(":
            return None  # `if x {…}` is the variable `if` (spec §6.2)
        self.enter(kw)
        open_index = self.pos = self.pos + 1
        self.pos += 1
        cond = self.expr()
        if toks[self.pos][KIND] != ")":
            raise self.unbalanced(open_index)
        self.pos += 1
        then = self.statement()
        otherwise = None
        last: n.Node = then
        if toks[self.pos][KIND] == "id" and toks[self.pos][TEXT] == "else" and toks[self.pos][FULL_END] < 0:
            self.pos += 1
            otherwise = self.statement()
            last = otherwise
        self.depth -= 1
        return _new_if(kw[LINE], kw[COL], last.end_line, last.end_col, cond, then, otherwise)

    def while_statement(self, label: str | None = None, first: Row | None = None) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "(":
            if label is not None:
                raise self.missing("'('", "'while'")
            return None
        self.enter(kw)
        self.pos += 1
        cond = self.paren_condition("'while'")
        body = self.statement()
        self.depth -= 1
        stmt = n.While(cond=cond, body=body, label=label)
        _span_to_node(stmt, first or kw, body)
        return stmt

    def loop_statement(self, label: str | None = None, first: Row | None = None) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "{" and label is None:
            return None
        self.enter(kw)
        self.pos += 1
        body = self.statement()
        self.depth -= 1
        cond = n.Literal(value=True)
        _span(cond, kw, kw)
        stmt = n.While(cond=cond, body=body, label=label)
        _span_to_node(stmt, first or kw, body)
        return stmt

    def for_statement(self, label: str | None = None, first: Row | None = None) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "(":
            if label is not None:
                raise self.missing("'('", "'for'")
            return None
        self.enter(kw)
        open_index = self.pos + 1
        self.pos += 2
        head = toks[self.pos]
        if head[KIND] == "id" and head[TEXT] in ("const", "let") and toks[self.pos + 1][KIND] == "id":
            save = self.pos
            name, self.pos = self.name_at(self.pos + 1)
            type_ref = None
            if toks[self.pos][KIND] == ":":
                self.pos += 1
                type_ref = self.type_ref()
            if toks[self.pos][KIND] == "id" and toks[self.pos][TEXT] == "in":
                self.pos += 1
                iterable = self.expr()
                self.expect_close(open_index)
                body = self.statement()
                self.depth -= 1
                stmt: n.Stmt = n.ForIn(name=name, iterable=iterable, body=body, const=head[TEXT] == "const",
                                       type=type_ref, label=label)
                _span_to_node(stmt, first or kw, body)
                return stmt
            self.pos = save
        init = None
        if toks[self.pos][KIND] == ";":
            self.pos += 1
        else:
            init = self.statement()
            if isinstance(init, n.ExprStmt) and init.returns:
                raise self.missing("';'", "the for-loop initializer")
        cond = None
        if toks[self.pos][KIND] != ";":
            cond = self.expr()
        if toks[self.pos][KIND] != ";":
            raise self.missing("';'", "the for-loop condition")
        self.pos += 1
        step = None
        if toks[self.pos][KIND] != ")":
            step = self.for_step()
        self.expect_close(open_index)
        body = self.statement()
        self.depth -= 1
        stmt = n.For(init=init, cond=cond, step=step, body=body, label=label)
        _span_to_node(stmt, first or kw, body)
        return stmt

    def for_step(self) -> n.Stmt:
        toks = self.toks
        first = toks[self.pos]
        if first[KIND] == "id" or first[KIND] == "path":
            names, i, _ = self.names_at(self.pos)
            while toks[i][KIND] == "." and not toks[i][SP] and self.adjacent_name(i + 1):
                more, i, _ = self.names_at(i + 1)
                names.extend(more)
            if toks[i][KIND] in ASSIGN_OPS:
                op = toks[i][KIND]
                self.pos = i + 1
                value = self.expr()
                stmt: n.Stmt = n.Assign(target=names, op=op, value=value)
                _span_to_node(stmt, first, value)
                return stmt
        expr = self.expr()
        stmt = n.ExprStmt(expr=expr, returns=False)
        _span_to_node(stmt, first, expr)
        return stmt

    def labeled_loop(self) -> n.Stmt:
        toks = self.toks
        caret = toks[self.pos]
        if not self.adjacent_name(self.pos + 1):
            raise self.error(caret, "expected a label name directly after '^'")
        label, self.pos = self.name_at(self.pos + 1)
        kw = toks[self.pos]
        if kw[KIND] == "id" and kw[TEXT] in _LOOP_KEYWORDS:
            loop = {"while": self.while_statement, "for": self.for_statement, "loop": self.loop_statement}[kw[TEXT]]
            result = loop(label, caret)
            if result is not None:
                return result
        raise self.error(kw, f"a label '^{label}' must be followed by a loop (while, for or loop), found "
                             f"{_describe(kw)}")

    def jump_statement(self) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        label = None
        i = self.pos + 1
        if toks[i][KIND] == "^" and self.adjacent_name(i + 1):
            label, i = self.name_at(i + 1)
        if toks[i][KIND] != ";":
            return None  # like `return`, a `break` without ';' is just a name
        self.pos = i + 1
        stmt: n.Stmt = n.Break(label=label) if kw[TEXT] == "break" else n.Continue(label=label)
        _span(stmt, kw, toks[i])
        return stmt

    def switch_statement(self) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "(":
            return None
        self.enter(kw)
        self.pos += 1
        subject = self.paren_condition("'switch'")
        open_index = self.pos
        if toks[open_index][KIND] != "{":
            raise self.missing("'{'", "the switch subject")
        self.pos += 1
        cases: list[n.SwitchCase] = []
        while toks[self.pos][KIND] != "}":
            case_tok = toks[self.pos]
            values: list[n.Expr] = []
            is_default = False
            while toks[self.pos][KIND] == "id" and toks[self.pos][TEXT] in ("case", "default"):
                if toks[self.pos][TEXT] == "default":
                    is_default = True
                    self.pos += 1
                else:
                    self.pos += 1
                    values.append(self.expr())
                if toks[self.pos][KIND] != ":":
                    raise self.missing("':'", "the case value")
                self.pos += 1
            if not values and not is_default:
                if toks[self.pos][KIND] == "eof":
                    raise self.unbalanced(open_index)
                raise self.error(toks[self.pos], f"expected 'case' or 'default' in the switch, found "
                                                 f"{_describe(toks[self.pos])}")
            body = self.statement()
            case = n.SwitchCase(values=values, body=body, is_default=is_default)
            _span_to_node(case, case_tok, body)
            cases.append(case)
        last = self.expect_close(open_index)
        self.depth -= 1
        stmt = n.Switch(subject=subject, cases=cases)
        _span(stmt, kw, last)
        return stmt

    def try_statement(self) -> n.Stmt | None:
        toks = self.toks
        kw = toks[self.pos]
        if toks[self.pos + 1][KIND] != "{":
            return None
        self.enter(kw)
        self.pos += 1
        body = self.statement()
        catch = toks[self.pos]
        if not (catch[KIND] == "id" and catch[TEXT] == "catch"):
            raise self.missing("'catch'", "the try block")
        self.pos += 1
        error_name = None
        error_type = None
        if toks[self.pos][KIND] == "(":
            open_index = self.pos
            self.pos += 1
            if toks[self.pos][KIND] == "id":
                error_name, self.pos = self.name_at(self.pos)
                if toks[self.pos][KIND] == ":":
                    self.pos += 1
                    error_type = self.type_ref()
            self.expect_close(open_index)
        handler = self.statement()
        self.depth -= 1
        stmt = n.Try(body=body, handler=handler, error_name=error_name, error_type=error_type)
        _span_to_node(stmt, kw, handler)
        return stmt

    _KEYWORD_STATEMENTS: ClassVar[dict[str, Callable[[_Parser], n.Stmt | None]]] = {
        "let": declaration,
        "const": declaration,
        "return": return_statement,
        "if": if_statement,
        "while": while_statement,
        "loop": loop_statement,
        "for": for_statement,
        "break": jump_statement,
        "continue": jump_statement,
        "switch": switch_statement,
        "try": try_statement,
    }

    # ------------------------------------------------------------ types

    def type_ref(self) -> n.TypeRef:
        toks = self.toks
        first = toks[self.pos]
        names: list[str] = []
        not_null = False
        while True:
            names.append(self.type_name())
            if toks[self.pos][KIND] == "!" and not toks[self.pos][SP]:
                not_null = True
                self.pos += 1
            if toks[self.pos][KIND] == "|":
                self.pos += 1
                continue
            break
        ref = n.TypeRef(names=names, not_null=not_null)
        _span(ref, first, toks[self.pos - 1])
        return ref

    def type_name(self) -> str:
        toks = self.toks
        tok = toks[self.pos]
        if tok[KIND] == "id":
            name, self.pos = self.name_at(self.pos)
            return name
        if tok[KIND] == "(":
            open_index = self.pos
            self.pos += 1
            parts = [self.type_ref()]
            while toks[self.pos][KIND] == ",":
                self.pos += 1
                parts.append(self.type_ref())
            self.expect_close(open_index)
            return "(" + ", ".join(" | ".join(p.names) + ("!" if p.not_null else "") for p in parts) + ")"
        raise self.error(tok, f"expected a type name, found {_describe(tok)}")

    # ------------------------------------------------------------ expressions

    def expr(self) -> n.Expr:
        start = self.pos
        memo = self.expr_memo.get(start)
        if memo is not None:
            if isinstance(memo, _Fail):
                raise memo
            self.pos = memo[1]
            return memo[0]
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.depth -= 1
            self.enter(self.toks[start])
        try:
            toks = self.toks
            tok = toks[start]
            k = tok[KIND]
            if k in _HEAD_KINDS or (k == "id" and tok[TEXT] in _TYPEOF_NAMES and tok[FULL_END] < 0):
                node = self.head()
            else:  # `binary(1)`, inlined
                node = self.unary() if k in _PREFIX_OPS else self.atom()
                if toks[self.pos][KIND] in BINARY_PRECEDENCE:
                    node = self.climb(node, 1)
            k = toks[self.pos][KIND]
            if k == "id" or k == "??" or k == "?":
                node = self.expr_suffixes(node)
        except _Fail as failure:
            self.expr_memo[start] = failure
            raise
        finally:
            self.depth -= 1
        self.expr_memo[start] = (node, self.pos)
        return node

    def expr_suffixes(self, node: n.Expr) -> n.Expr:
        """What may follow an expression's head: ``as T``, then ``?? x``, then ``? a : b``."""
        toks = self.toks
        tok = toks[self.pos]
        # `as T`: only right after the head; then only `??` or `?:` may follow (spec §2 level 3)
        if tok[KIND] == "id" and tok[TEXT] == "as" and tok[FULL_END] < 0 and toks[self.pos + 1][KIND] in ("id", "("):
            self.pos += 1
            type_ref = self.type_ref()
            cast = n.Cast(expr=node, type=type_ref)
            _span_nodes(cast, node, type_ref)
            node = cast
            tok = toks[self.pos]
        if tok[KIND] == "??":
            save = self.pos
            self.pos += 1
            self.speculative += 1
            depth = self.depth
            try:
                right = self.expr()
            except _Fail:
                self.pos, self.depth = save, depth
            else:
                nullish = n.Nullish(left=node, right=right)
                _span_nodes(nullish, node, right)
                node = nullish
            finally:
                self.speculative -= 1
            tok = toks[self.pos]
        if tok[KIND] == "?":
            save = self.pos
            self.pos += 1
            self.speculative += 1
            depth = self.depth
            try:
                then = self.expr()
                if toks[self.pos][KIND] != ":":
                    raise self.missing("':'", "the '?' branch of the conditional")
                self.pos += 1
                otherwise = self.expr()
            except _Fail:
                self.pos, self.depth = save, depth  # not a conditional: `a ?b` is `a` then the statement `?b` (reference backtracks)
            else:
                ternary = n.Ternary(cond=node, then=then, otherwise=otherwise)
                _span_nodes(ternary, node, otherwise)
                node = ternary
            finally:
                self.speculative -= 1
        return node

    def head(self) -> n.Expr:
        """The head of an expression: a collection literal (which takes no binary operator), typeof, or math."""
        toks = self.toks
        tok = toks[self.pos]
        k = tok[KIND]
        if k == "[" or k == "{":
            node = self.collection(tok)
            return self.chain(node, False)
        if k == "(":
            save = self.pos
            node = self.paren_or_tuple()
            if isinstance(node, n.TupleLiteral):
                return self.chain(node, False)
            self.pos = save
        elif k == "id" and tok[FULL_END] < 0 and tok[TEXT] in ("typeof", "typename", "await"):
            typed = self.type_of()
            if typed is not None:
                return typed
        return self.binary(1)

    def type_of(self) -> n.Expr | None:
        toks = self.toks
        kw = toks[self.pos]
        save = self.pos
        self.pos += 1
        self.speculative += 1
        depth = self.depth
        try:
            operand = self.expr()
        except _Fail:
            self.pos, self.depth = save, depth  # `typeof;` is the variable `typeof`
            return None
        finally:
            self.speculative -= 1
        if kw[TEXT] == "await":
            return operand  # await on a value that is not a promise passes it through
        node = n.TypeOf(expr=operand, specific=kw[TEXT] == "typename")
        _span_to_node(node, kw, operand)
        return node

    def binary(self, min_level: int) -> n.Expr:
        toks = self.toks
        left = self.unary() if toks[self.pos][KIND] in _PREFIX_OPS else self.atom()
        if toks[self.pos][KIND] not in BINARY_PRECEDENCE:
            return left
        return self.climb(left, min_level)

    def climb(self, left: n.Expr, min_level: int) -> n.Expr:
        """Precedence climbing from the operand ``left``: binary operators of level ``min_level`` or higher."""
        toks = self.toks
        while True:
            tok = toks[self.pos]
            op = tok[KIND]
            level = _PRECEDENCE_OF(op)
            if level is None or level < min_level or tok[NL]:
                return left
            if op == "&&" and self.adjacent_name(self.pos + 1):
                # `a &&b` is `a & &b` (bit-and with a reference) in the reference: keep that reading
                op, level = "&", 5
                if level < min_level:
                    return left
            self.pos += 1
            if toks[self.pos][KIND] == "eof":
                raise self.missing("an expression", f"{tok[TEXT]!r}")
            operand = toks[self.pos]
            operand_kind = operand[KIND]
            if operand_kind == "str" and toks[self.pos + 1][KIND] not in _CHAIN_STARTS:
                self.pos += 1  # a lone string literal (atom's case, inlined)
                right = _new_literal(operand[LINE], operand[COL], operand[END_LINE], operand[END_COL],
                                     operand[VALUE])
            elif (operand_kind == "num" and operand[VALUE][1] is None  # type: ignore[index]
                  and toks[self.pos + 1][KIND] not in _CHAIN_STARTS):
                self.pos += 1  # a lone number without unit (atom's case, inlined)
                right = _new_literal(operand[LINE], operand[COL], operand[END_LINE], operand[END_COL],
                                     operand[VALUE][0])  # type: ignore[index]
            else:
                right = self.unary() if operand_kind in _PREFIX_OPS else self.atom()
            after = toks[self.pos]
            after_level = _PRECEDENCE_OF(after[KIND])
            if after_level is not None and after_level > level and not after[NL]:
                right = self.climb(right, level + 1)  # tighter operators take `right` first
            if op == "&&" or op == "||":
                left = _new_logical(left.line, left.col, right.end_line, right.end_col, op, left, right)
            else:
                left = _new_binary(left.line, left.col, right.end_line, right.end_col, op, left, right)

    def unary(self) -> n.Expr:
        """Prefix ``!`` (any count) and ``-`` (``-`` glued to a number is part of the literal), iteratively."""
        toks = self.toks
        prefixes: list[Row] = []
        while True:
            tok = toks[self.pos]
            k = tok[KIND]
            if k == "!":
                prefixes.append(tok)
                self.pos += 1
                continue
            if k == "-" or k == "+":
                nxt = toks[self.pos + 1]
                if nxt[KIND] == "num" and not nxt[SP]:
                    self.pos += 2
                    value, unit = nxt[VALUE]  # type: ignore[misc]
                    node = self.number_literal(-value if k == "-" else value, unit)
                    _span(node, tok, nxt)
                    node = self.chain(node, False)
                    break
                if k == "-":
                    prefixes.append(tok)
                    self.pos += 1
                    continue
            node = self.atom()
            break
        for prefix in reversed(prefixes):
            node = _new_unary(prefix[LINE], prefix[COL], node.end_line, node.end_col, prefix[KIND], node)
        return node

    @staticmethod
    def number_literal(value: int | float, unit: str | None) -> n.Expr:
        if unit is not None:
            return n.UnitLiteral(value=float(value), unit=unit)
        return n.Literal(value=value)

    def atom(self) -> n.Expr:
        toks = self.toks
        tok = toks[self.pos]
        k = tok[KIND]
        node: n.Expr
        if k == "id":
            text = tok[TEXT]
            if text not in _ATOM_NAMES and text[0] != "_":
                if tok[FULL_END] < 0 and toks[self.pos + 1][KIND] not in _PATH_CONTINUATIONS:
                    self.pos += 1  # a plain name (path_chain's first case, inlined)
                    return _new_path(tok[LINE], tok[COL], tok[END_LINE], tok[END_COL], [text])
                return self.path_chain(False)
            if text in ("true", "false", "null"):
                self.pos += 1
                node = n.Literal(value=True if text == "true" else False if text == "false" else None)
                _span(node, tok, tok)
                return self.chain(node, False)
            if tok[FULL_END] < 0:
                if text in ("typeof", "typename", "await"):
                    typed = self.type_of()
                    if typed is not None:
                        return typed
                elif text == "switch" and toks[self.pos + 1][KIND] == "(":
                    switch = self.switch_statement()
                    assert switch is not None
                    node = n.BlockExpr(body=[switch])
                    _span_nodes(node, switch, switch)
                    return node
                elif text in ("async", "new") and toks[self.pos + 1][KIND] in ("{", "id", "("):
                    raise self.error(tok, f"'{text}' expressions are not supported in conditions")
            if text.startswith("_"):
                raise self.underscore_name(tok)
            return self.path_chain(False)
        if k == "path":
            if tok[TEXT].startswith("_"):
                raise self.underscore_name(tok)
            if toks[self.pos + 1][KIND] not in _PATH_CONTINUATIONS:
                self.pos += 1  # a plain glued path (path_chain's first case, inlined)
                return _new_path(tok[LINE], tok[COL], tok[END_LINE], tok[END_COL], list(tok[VALUE]))  # type: ignore[call-overload]
            return self.path_chain(False)
        if k == "num":
            self.pos += 1
            value, unit = tok[VALUE]  # type: ignore[misc]
            if unit is None:
                node = _new_literal(tok[LINE], tok[COL], tok[END_LINE], tok[END_COL], value)
            else:
                node = _new_unit_literal(tok[LINE], tok[COL], tok[END_LINE], tok[END_COL], float(value), unit)
            if toks[self.pos][KIND] not in _CHAIN_STARTS:
                return node
            return self.chain(node, False)
        if k == "str":
            self.pos += 1
            node = _new_literal(tok[LINE], tok[COL], tok[END_LINE], tok[END_COL], tok[VALUE])
            if toks[self.pos][KIND] not in _CHAIN_STARTS:
                return node
            return self.chain(node, False)
        if k == "ver":
            self.pos += 1
            node = n.VersionLiteral(text=tok[TEXT])
            _span(node, tok, tok)
            return node
        if k == "tpl_start":
            return self.template()
        if k == "(":
            return self.chain(self.paren_or_tuple(), False)
        if k == "[" or k == "{":
            return self.chain(self.collection(tok), False)
        if k == "?":
            if not self.adjacent_name(self.pos + 1):
                if self.pos and not tok[NL] and toks[self.pos - 1][KIND] not in (";", "{", "}"):
                    raise self.error(tok, "incomplete conditional: write 'condition ? then : otherwise' (the ':' "
                                          "part is missing)")
                raise self.error(tok, "'?' must be directly followed by a name: write ?customer.plan.len(), "
                                      "not '? customer'")
            self.pos += 1
            return self.path_chain(True, first=tok)
        if k == "&" and self.adjacent_name(self.pos + 1):
            self.pos += 1
            return self.path_chain(False, first=tok)
        if k == "err":
            raise self.error(tok, str(tok[VALUE]))
        if k in (")", "]", "}") and self.pos not in self.match:
            opener = {")": "(", "]": "[", "}": "{"}[k]
            raise self.error(tok, f"unbalanced {k!r}: no matching {opener!r}")
        if k == "=>":
            raise self.error(tok, "arrow functions are not supported in conditions")
        if k == "|":
            raise self.error(tok, "blob literals (|1, 2|) are not supported in conditions")
        if k == "eof":
            prev = toks[self.pos - 1] if self.pos else tok
            raise self.error_after(prev, "expected an expression, found the end of the condition")
        prev = toks[self.pos - 1] if self.pos else None
        if prev is not None and not tok[SP]:
            if k == "=" and prev[KIND] in ("==", "!="):
                raise self.error(prev, f"'{prev[KIND]}=' is not a Stof operator: use '{prev[KIND]}'")
            if k == "*" and prev[KIND] == "*":
                raise self.error(prev, "'**' is not a Stof operator: use (x).pow(y)")
        raise self.error(tok, f"expected an expression, found {_describe(tok)}")

    def underscore_name(self, tok: Row) -> _Fail:
        prev = self.toks[self.pos - 1] if self.pos else None
        if prev is not None and prev[FULL_END] >= 0 and prev[END] == tok[START]:
            whole = self.src[prev[START]:prev[FULL_END]]
            return self.error(prev, f"{whole!r} starts with the keyword {prev[TEXT]!r}: Stof reads it as {prev[TEXT]} "
                                    f"followed by {tok[TEXT]!r}; rename it (names may not start with true, false or "
                                    "null at the start of an expression) or reach it through a path")
        return self.error(tok, f"a name cannot start with '_' at the start of an expression ({tok[TEXT]!r}): Stof "
                               f"reads '_' as a digit separator here; reach it through a path (e.g. data.{tok[TEXT]})"
                               " or rename it")

    def path_chain(self, null_safe: bool, first: Row | None = None) -> n.Expr:
        toks = self.toks
        start_tok = toks[self.pos]
        after = toks[self.pos + 1]
        if start_tok[FULL_END] < 0:
            # the common cases: one name or glued path token, alone or called (not followed by `.`, `?.`, `[`)
            after_kind = after[KIND]
            if after_kind not in _PATH_CONTINUATIONS:
                self.pos += 1
                begin = first or start_tok
                names = list(start_tok[VALUE]) if start_tok[KIND] == "path" else [start_tok[TEXT]]  # type: ignore[call-overload]
                return _new_path(begin[LINE], begin[COL], start_tok[END_LINE], start_tok[END_COL], names)
            if after_kind == "(" and not after[SP]:
                self.pos += 1
                begin = first or start_tok
                receiver: n.Expr | None = None
                if start_tok[KIND] == "path":
                    *receiver_names, name = start_tok[VALUE]  # type: ignore[misc]
                    # the receiver ends where the last name's '.' starts
                    receiver = _new_path(begin[LINE], begin[COL], start_tok[LINE],
                                         start_tok[COL] + len(start_tok[TEXT]) - len(name) - 1, receiver_names)
                else:
                    name = start_tok[TEXT]
                args, last = self.call_args()
                node = _new_call(begin[LINE], begin[COL], last[END_LINE], last[END_COL], receiver, name, args,
                                 null_safe)
                return self.chain(node, null_safe)
        names, self.pos, ends = self.names_at(self.pos)
        while True:
            tok = toks[self.pos]
            if tok[KIND] == "." and not tok[SP]:
                if self.adjacent_name(self.pos + 1):
                    more, self.pos, more_ends = self.names_at(self.pos + 1)
                    names.extend(more)
                    ends.extend(more_ends)
                    continue
                raise self.error(toks[self.pos + 1], f"expected a name after '.', found {_describe(toks[self.pos + 1])}")
            # `x?.y` inside the first path: the '?' is stripped (not null-safe, spec §2)
            if (tok[KIND] == "?" and not tok[SP] and toks[self.pos + 1][KIND] == "." and not toks[self.pos + 1][SP]
                    and self.adjacent_name(self.pos + 2)):
                more, self.pos, more_ends = self.names_at(self.pos + 2)
                names.extend(more)
                ends.extend(more_ends)
                continue
            break
        begin = first or start_tok
        tok = toks[self.pos]
        node: n.Expr
        if tok[KIND] == "(" and not tok[SP]:
            args, last = self.call_args()
            receiver: n.Expr | None = None
            if len(names) > 1:
                receiver = n.Path(names=names[:-1])
                receiver.line, receiver.col = begin[LINE], begin[COL]
                receiver.end_line, receiver.end_col = ends[-2]
            node = n.Call(receiver=receiver, name=names[-1], args=args, null_safe=null_safe)
            _span(node, begin, last)
        else:
            node = n.Path(names=names)
            _span(node, begin, toks[self.pos - 1])
            if tok[KIND] == "[" and not tok[SP]:
                args, last = self.index_args()
                call = n.Call(receiver=node, name="at", args=args, null_safe=null_safe)
                _span(call, begin, last)
                node = call
            else:
                return node
        return self.chain(node, null_safe)

    def chain(self, node: n.Expr, null_safe: bool) -> n.Expr:
        """Calls, field hops and indexing after a value: ``.f(x)``, ``.name``, ``?.f()``, ``[i]`` (after a call)."""
        toks = self.toks
        while True:
            tok = toks[self.pos]
            hop_safe = False
            if (tok[KIND] == "?" and not tok[SP] and toks[self.pos + 1][KIND] == "." and not toks[self.pos + 1][SP]
                    and self.adjacent_name(self.pos + 2)):
                hop_safe = True
                self.pos += 1
                tok = toks[self.pos]
            if tok[KIND] == "." and not tok[SP]:
                if not self.adjacent_name(self.pos + 1):
                    raise self.error(toks[self.pos + 1],
                                     f"expected a name after '.', found {_describe(toks[self.pos + 1])}")
                names, self.pos, ends = self.names_at(self.pos + 1)
                for hop, (end_line, end_col) in zip(names[:-1], ends):  # `f().a.b()`: field hops, then the call
                    hop_attr = n.Attr(obj=node, name=hop)
                    hop_attr.line, hop_attr.col = node.line, node.col
                    hop_attr.end_line, hop_attr.end_col = end_line, end_col
                    node = hop_attr
                name = names[-1]
                call_tok = toks[self.pos]
                if call_tok[KIND] == "(" and not call_tok[SP]:
                    args, last = self.call_args()
                    call = n.Call(receiver=node, name=name, args=args, null_safe=null_safe or hop_safe)
                    _span_from_node(call, node, last)
                    node = call
                else:
                    attr = n.Attr(obj=node, name=name)
                    _span_from_node(attr, node, toks[self.pos - 1])
                    node = attr
                continue
            if tok[KIND] == "[" and not tok[SP] and isinstance(node, n.Call):
                args, last = self.index_args()
                call = n.Call(receiver=node, name="at", args=args, null_safe=null_safe)
                _span_from_node(call, node, last)
                node = call
                continue
            if tok[KIND] == "(" and not tok[SP] and not isinstance(node, n.Call | n.Path | n.Literal):
                raise self.error(tok, "calling a computed value is not supported in conditions")
            return node

    def call_args(self) -> tuple[list[n.Expr], Row]:
        toks = self.toks
        open_index = self.pos
        self.pos += 1
        args: list[n.Expr] = []
        if toks[self.pos][KIND] != ")":
            while True:
                tok = toks[self.pos]
                if tok[KIND] == "id" and toks[self.pos + 1][KIND] == "=":
                    raise self.error(tok, "named arguments (name = value) are not supported in conditions")
                if tok[KIND] == "eof":
                    raise self.unbalanced(open_index)
                args.append(self.expr())
                if toks[self.pos][KIND] == ",":
                    self.pos += 1
                    continue
                break
        last = toks[self.pos]
        if last[KIND] != ")":
            raise self.unbalanced(open_index)
        self.pos += 1
        return args, last

    def index_args(self) -> tuple[list[n.Expr], Row]:
        toks = self.toks
        open_index = self.pos
        self.pos += 1
        if toks[self.pos][KIND] == "eof":
            raise self.unbalanced(open_index)
        args = [self.expr()]
        while toks[self.pos][KIND] == ",":
            self.pos += 1
            args.append(self.expr())
        last = self.expect_close(open_index)
        return args, last

    def paren_or_tuple(self) -> n.Expr:
        toks = self.toks
        open_index = self.pos
        first = toks[open_index]
        self.pos += 1
        if toks[self.pos][KIND] == "eof":
            raise self.unbalanced(open_index)
        inner = self.expr()
        if toks[self.pos][KIND] == ",":
            items = [inner]
            while toks[self.pos][KIND] == ",":
                self.pos += 1
                if toks[self.pos][KIND] == ")":
                    break
                if toks[self.pos][KIND] == "eof":
                    raise self.unbalanced(open_index)
                items.append(self.expr())
            last = self.expect_close(open_index)
            node: n.Expr = n.TupleLiteral(items=items)
            _span(node, first, last)
            return node
        self.expect_close(open_index)
        return inner

    def collection(self, first: Row) -> n.Expr:
        if first[KIND] == "[":
            return self.list_literal()
        return self.brace_expr()

    def list_literal(self) -> n.Expr:
        toks = self.toks
        open_index = self.pos
        first = toks[open_index]
        self.pos += 1
        items: list[n.Expr] = []
        while toks[self.pos][KIND] != "]":
            if toks[self.pos][KIND] == "eof":
                raise self.unbalanced(open_index)
            items.append(self.expr())
            if toks[self.pos][KIND] == ",":
                self.pos += 1
                continue
            if toks[self.pos][KIND] != "]":
                if open_index not in self.match:
                    raise self.unbalanced(open_index)
                raise self.missing("',' or ']'", "a list item")
        last = toks[self.pos]
        self.pos += 1
        node = n.ListLiteral(items=items)
        _span(node, first, last)
        return node

    def brace_expr(self) -> n.Expr:
        """``{}``/``{a, b}`` set, ``{k: v}`` map, else a block whose value is what it returns (tried in that order)."""
        toks = self.toks
        open_index = self.pos
        first = toks[open_index]
        if toks[open_index + 1][KIND] == "}":
            self.pos += 2
            empty = n.SetLiteral(items=[])
            _span(empty, first, toks[open_index + 1])
            return empty
        depth = self.depth
        self.speculative += 1
        try:
            for is_map in (False, True):
                try:
                    return self.set_or_map(open_index, is_map=is_map)
                except _Fail:
                    self.pos, self.depth = open_index, depth
        finally:
            self.speculative -= 1
        self.pos = open_index + 1
        body = self.statements(top=False)
        last = self.expect_close(open_index)
        block = n.BlockExpr(body=body)
        _span(block, first, last)
        return block

    def set_or_map(self, open_index: int, is_map: bool) -> n.Expr:
        toks = self.toks
        self.pos = open_index + 1
        items: list[n.Expr] = []
        entries: list[tuple[n.Expr, n.Expr]] = []
        while toks[self.pos][KIND] != "}":
            key = self.expr()
            if is_map:
                if toks[self.pos][KIND] != ":":
                    raise self.missing("':'", "a map key")
                self.pos += 1
                entries.append((key, self.expr()))
            else:
                items.append(key)
            if toks[self.pos][KIND] == ",":
                self.pos += 1
                continue
            if toks[self.pos][KIND] != "}":
                raise self.missing("',' or '}'", "a map entry" if is_map else "a set item")
        last = toks[self.pos]
        self.pos += 1
        node: n.Expr = n.MapLiteral(entries=entries) if is_map else n.SetLiteral(items=items)
        _span(node, toks[open_index], last)
        return node

    def template(self) -> n.Expr:
        """A backtick template, desugared to a right-nested ``+`` of its parts (spec §1)."""
        toks = self.toks
        first = toks[self.pos]
        self.pos += 1
        parts: list[n.Expr] = []
        while True:
            tok = toks[self.pos]
            if tok[KIND] == "tpl_text":
                self.pos += 1
                text = n.Literal(value=tok[VALUE])  # type: ignore[arg-type]
                _span(text, tok, tok)
                parts.append(text)
            elif tok[KIND] == "tpl_open":
                open_index = self.pos
                self.pos += 1
                if toks[self.pos][KIND] in ("tpl_close", "eof"):
                    raise self.error(tok, "empty '${}' in a template string")
                parts.append(self.expr())
                if toks[self.pos][KIND] != "tpl_close":
                    if toks[self.pos][KIND] == "eof":
                        raise self.unbalanced(open_index)
                    raise self.missing("'}'", "the template expression")
                self.pos += 1
            elif tok[KIND] == "tpl_end":
                self.pos += 1
                break
            else:  # unterminated: the lexer already reported it
                raise self.error(first, "unterminated template string: '`' has no closing '`'")
        last = toks[self.pos - 1]
        if not parts:
            empty = n.Literal(value="")
            _span(empty, first, last)
            return empty
        node = parts[-1]
        for part in reversed(parts[:-1]):
            joined = n.Binary(op="+", left=part, right=node)
            _span_nodes(joined, part, node)
            node = joined
        node.line, node.col = first[LINE], first[COL]
        node.end_line, node.end_col = last[END_LINE], last[END_COL]
        return node


def parse(source: str) -> n.Body:
    """Parse a condition body. Raises ``StofSyntaxError`` with every error found (positions 1-based)."""
    return parse_lexed(tokenize(source))


def parse_lexed(lexed: LexResult) -> n.Body:
    """``parse`` for an already lexed source (the checker also reads the tokens)."""
    parser = _Parser(lexed)
    old_limit = sys.getrecursionlimit()
    if old_limit < 20_000:
        sys.setrecursionlimit(20_000)  # MAX_NESTING levels of brackets take ~10 Python frames each
    try:
        body = parser.parse_body()
        errors = parser.diags
    except _TooDeep as too_deep:
        body, errors = n.Body(body=[]), [*parser.diags, too_deep.diagnostic]
    except _Fail as failure:  # safety net: every failure should have been caught at a statement boundary
        body, errors = n.Body(body=[]), [*parser.diags, failure.diagnostic]
    except RecursionError:
        d = Diagnostic("error", 1, 1, 1, 2, "nesting too deep", "syntax")
        body, errors = n.Body(body=[]), [*parser.diags, d]
    finally:
        if old_limit < 20_000:
            sys.setrecursionlimit(old_limit)
    if any(d.message.startswith("unterminated") for d in lexed.diagnostics):
        # the unterminated literal swallowed the rest: complaints about the missing end are its echo
        errors = [d for d in errors if "end of the condition" not in d.message and "no matching" not in d.message]
    diagnostics = _merge(lexed.diagnostics, errors)
    if diagnostics:
        raise StofSyntaxError(diagnostics)
    return body


def _merge(lexical: list[Diagnostic], syntactic: list[Diagnostic]) -> list[Diagnostic]:
    """Lexical and syntax errors in source order, one per position (a lexical error explains the rest)."""
    seen: set[tuple[int, int]] = set()
    out: list[Diagnostic] = []
    for d in sorted([*lexical, *syntactic], key=lambda d: (d.line, d.column)):
        if (d.line, d.column) in seen:
            continue
        seen.add((d.line, d.column))
        out.append(d)
    return out


__all__ = ["BINARY_PRECEDENCE", "parse", "parse_lexed"]
