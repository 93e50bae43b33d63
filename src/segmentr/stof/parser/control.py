"""Stof parser, control flow: ``if``, the loops (``while``, ``loop``, ``for``, labels),
``break``/``continue``, ``switch`` and ``try``."""

from __future__ import annotations

from segmentr.stof import nodes as n
from segmentr.stof.lexer import COL, FULL_END, KIND, LINE, SP, TEXT, Row
from segmentr.stof.parser.base import _describe, _Fail, _ParserBase
from segmentr.stof.parser.build import _new_if, _span, _span_to_node
from segmentr.stof.parser.grammar import _LOOP_KEYWORDS, ASSIGN_OPS


class ControlFlowParser(_ParserBase):
    """Control-flow statements (each returns None when its keyword is not in its full shape: then it is a name)."""

    __slots__ = ()

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
        """``try S catch S`` or ``try S catch (name[: type]) S``, S a block or any one statement (Stof's
        src/parser/statement/trycatch.rs). Parentheses after ``catch`` that do not hold exactly a name and an
        optional type are the start of the handler statement, as in Stof."""
        toks = self.toks
        kw = toks[self.pos]
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
            if toks[self.pos + 1][KIND] == "id":
                self.pos += 1
                error_name, self.pos = self.name_at(self.pos)
                if toks[self.pos][KIND] == ":":
                    self.pos += 1
                    depth = self.depth
                    try:
                        error_type = self.type_ref()
                    except _Fail:
                        self.depth = depth
                        error_name = error_type = None
                if toks[self.pos][KIND] == ")" and error_name is not None:
                    self.pos += 1
                else:  # not a catch parameter: the handler is a statement starting at '('
                    self.pos = open_index
                    error_name = error_type = None
        handler = self.statement()
        self.depth -= 1
        stmt = n.Try(body=body, handler=handler, error_name=error_name, error_type=error_type)
        _span_to_node(stmt, kw, handler)
        return stmt
