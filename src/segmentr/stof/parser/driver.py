"""Stof parser, entry points: the parser composed from its parts, and ``parse``/``parse_lexed`` with their
error merge."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import ClassVar

from segmentr.stof import nodes as n
from segmentr.stof.errors import Diagnostic, StofSyntaxError
from segmentr.stof.lexer import LexResult, tokenize
from segmentr.stof.parser.base import _Fail, _TooDeep
from segmentr.stof.parser.chains import ChainParser
from segmentr.stof.parser.control import ControlFlowParser
from segmentr.stof.parser.expressions import ExpressionParser
from segmentr.stof.parser.literals import CollectionParser
from segmentr.stof.parser.operands import OperandParser
from segmentr.stof.parser.statements import StatementParser


class _Parser(
    StatementParser, ControlFlowParser, ExpressionParser, OperandParser, ChainParser, CollectionParser
):
    """The whole parser: one class over the shared state, its methods grouped by concern in the mixins."""

    __slots__ = ()

    _KEYWORD_STATEMENTS: ClassVar[dict[str, Callable[[_Parser], n.Stmt | None]]] = {
        "let": StatementParser.declaration,
        "const": StatementParser.declaration,
        "return": StatementParser.return_statement,
        "if": ControlFlowParser.if_statement,
        "while": ControlFlowParser.while_statement,
        "loop": ControlFlowParser.loop_statement,
        "for": ControlFlowParser.for_statement,
        "break": ControlFlowParser.jump_statement,
        "continue": ControlFlowParser.jump_statement,
        "switch": ControlFlowParser.switch_statement,
        "try": ControlFlowParser.try_statement,
    }


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
