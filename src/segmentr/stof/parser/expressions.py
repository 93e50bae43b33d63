"""Stof parser, expressions: type references, the head expression with its ``as``/``??``/``?:`` suffixes,
and precedence climbing."""

from __future__ import annotations

from segmentr.stof import nodes as n
from segmentr.stof.lexer import COL, END_COL, END_LINE, FULL_END, KIND, LINE, NL, SP, TEXT, VALUE
from segmentr.stof.limits import MAX_NESTING
from segmentr.stof.parser.base import _describe, _Fail, _ParserBase
from segmentr.stof.parser.build import (
    _new_binary,
    _new_literal,
    _new_logical,
    _span,
    _span_nodes,
    _span_to_node,
)
from segmentr.stof.parser.grammar import (
    _CHAIN_STARTS,
    _HEAD_KINDS,
    _PRECEDENCE_OF,
    _PREFIX_OPS,
    _TYPEOF_NAMES,
    BINARY_PRECEDENCE,
)


class ExpressionParser(_ParserBase):
    """Type references and expressions down to the operands."""

    __slots__ = ()

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
