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

Layout: ``grammar`` (operator tables and token sets), ``build`` (fast node constructors, spans), ``base``
(state, failures, helpers), one mixin per concern (``statements``, ``control``, ``expressions``,
``operands``, ``chains``, ``literals``), composed in ``driver`` with the entry points.
"""

# re-exported for the test that checks every ``_new_*`` of this package against its node class
from segmentr.stof.parser.build import (  # noqa: F401
    _new_assign,
    _new_binary,
    _new_block,
    _new_call,
    _new_declare,
    _new_expr_stmt,
    _new_if,
    _new_literal,
    _new_logical,
    _new_path,
    _new_unary,
    _new_unit_literal,
)
from segmentr.stof.parser.driver import parse, parse_lexed
from segmentr.stof.parser.grammar import BINARY_PRECEDENCE

__all__ = ["BINARY_PRECEDENCE", "parse", "parse_lexed"]
