"""Front-end properties: on any text, ``parse`` raises nothing but StofSyntaxError, ``check`` raises nothing,
both finish fast, and every parsed node carries a position."""

from __future__ import annotations

import time
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentr.stof.checker import check
from segmentr.stof.errors import StofSyntaxError
from segmentr.stof.parser import parse

FAST = settings(max_examples=300, deadline=timedelta(milliseconds=200),
                suppress_health_check=[HealthCheck.too_slow])

# a token soup close to Stof: most generated texts are near misses of valid conditions
FRAGMENTS = [
    "customer", "data", "policy", ".", "?", "?.", "plan", "metadata", "meters", "fields", "(", ")", "[", "]", "{",
    "}", ",", ";", ":", "=", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "??", "!", "-", "+", "*", "/", "%",
    "&", "|", "^", "<<", ">>", "+=", "as", "int", "ms", "typeof", "typename", "let", "const", "return", "if",
    "else", "for", "in", "while", "loop", "break", "continue", "switch", "case", "default", "try", "catch",
    "true", "false", "null", "true_count", "_x", "x", "y", "a-1", "1", "2.5", "7days", "2h", "0xFF", "1.2.3",
    "1e3", "'s'", '"t"', "`a${", "`", "${", "r#\"raw\"#", "//c\n", "/*c*/", "\n", " ", "\t", "^lbl", "=>", "#",
    "Time.now()", "'unterminated", "/*", "{0}", "!{", "{a: 1}", "(1, 2)",
]
token_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
spaced_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join)


def _parse_only_raises_syntax_errors(source: str) -> None:
    try:
        body = parse(source)
    except StofSyntaxError as error:
        assert error.diagnostics
        for d in error.diagnostics:
            assert d.severity == "error" and d.line >= 1 and d.column >= 1 and d.message
        return
    for node in body.walk():
        assert node.line >= 1 and node.col >= 1


def _check_never_raises(source: str) -> None:
    diagnostics = check(source)
    assert isinstance(diagnostics, list)
    with_errors = any(d.severity == "error" for d in diagnostics)
    try:
        parse(source)
    except StofSyntaxError:
        assert with_errors
    else:
        assert not with_errors


@FAST
@given(st.text(max_size=200))
def test_parse_arbitrary_text(source: str) -> None:
    _parse_only_raises_syntax_errors(source)


@FAST
@given(st.text(max_size=200))
def test_check_arbitrary_text(source: str) -> None:
    _check_never_raises(source)


@FAST
@given(st.one_of(token_soup, spaced_soup))
def test_parse_token_soup(source: str) -> None:
    _parse_only_raises_syntax_errors(source)


@FAST
@given(st.one_of(token_soup, spaced_soup), st.sets(st.sampled_from(["api", "seats", "x"])))
def test_check_token_soup(source: str, entitlements: set[str]) -> None:
    assert isinstance(check(source, entitlements=entitlements), list)
    _check_never_raises(source)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["(", "[", "{", "!", "-", "typeof ", "a ?? ", "if (x) ", "`${", "x && ", "data.x < 1 || ", "x;\n"]),
       st.integers(150, 3000))
def test_deep_or_long_inputs_end_cleanly_and_fast(prefix: str, count: int) -> None:
    source = prefix * count + "1"
    started = time.perf_counter()
    _parse_only_raises_syntax_errors(source)
    assert isinstance(check(source), list)
    assert time.perf_counter() - started < 2.0
