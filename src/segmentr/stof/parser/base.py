"""Stof parser, shared state: the parse failures, the parser's state and the helpers every part uses."""

from __future__ import annotations

from segmentr.stof import nodes as n
from segmentr.stof.errors import Diagnostic
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
)
from segmentr.stof.limits import MAX_NESTING
from segmentr.stof.parser.grammar import _CLOSERS


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


class _ParserBase:
    """The parser's state (over the lexer's token rows) and its error and name helpers."""

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
