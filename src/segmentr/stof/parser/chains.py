"""Stof parser, chains: paths, calls, field hops and indexing after a value, and call/index arguments."""

from __future__ import annotations

from segmentr.stof import nodes as n
from segmentr.stof.lexer import COL, END_COL, END_LINE, FULL_END, KIND, LINE, SP, TEXT, VALUE, Row
from segmentr.stof.parser.base import _describe, _ParserBase
from segmentr.stof.parser.build import _new_call, _new_path, _span, _span_from_node
from segmentr.stof.parser.grammar import _PATH_CONTINUATIONS


class ChainParser(_ParserBase):
    """Paths and what follows a value: ``.f(x)``, ``.name``, ``?.f()``, ``[i]``."""

    __slots__ = ()

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
