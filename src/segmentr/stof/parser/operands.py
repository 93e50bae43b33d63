"""Stof parser, operands: prefix operators, number literals and the atoms an expression starts with."""

from __future__ import annotations

from segmentr.stof import nodes as n
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
    Row,
)
from segmentr.stof.parser.base import _describe, _Fail, _ParserBase
from segmentr.stof.parser.build import (
    _new_literal,
    _new_path,
    _new_unary,
    _new_unit_literal,
    _span,
    _span_nodes,
)
from segmentr.stof.parser.grammar import _ATOM_NAMES, _CHAIN_STARTS, _PATH_CONTINUATIONS


class OperandParser(_ParserBase):
    """Prefix operators and atoms."""

    __slots__ = ()

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
