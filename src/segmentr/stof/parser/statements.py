"""Stof parser, statements: the body, statement dispatch and error recovery, blocks, declarations,
assignments, returns."""

from __future__ import annotations

from segmentr.stof import nodes as n
from segmentr.stof.lexer import COL, END_COL, END_LINE, FULL_END, KIND, LINE, NL, SP, TEXT, Row
from segmentr.stof.parser.base import _describe, _Fail, _ParserBase
from segmentr.stof.parser.build import _new_assign, _new_block, _new_declare, _new_expr_stmt, _span
from segmentr.stof.parser.grammar import _ASSIGNMENT_STARTS, _CONTINUATION_OPS, ASSIGN_OPS


class StatementParser(_ParserBase):
    """Statements and their recovery: a failed statement is reported and parsing resumes at the next one."""

    __slots__ = ()

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
