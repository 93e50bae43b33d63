"""Stof parser, bracketed literals: parentheses and tuples, lists, sets and maps, blocks in expression
position, and template strings."""

from __future__ import annotations

from segmentr.stof import nodes as n
from segmentr.stof.lexer import COL, END_COL, END_LINE, KIND, LINE, VALUE, Row
from segmentr.stof.parser.base import _Fail, _ParserBase
from segmentr.stof.parser.build import _span, _span_nodes


class CollectionParser(_ParserBase):
    """Bracketed expressions and template strings."""

    __slots__ = ()

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
