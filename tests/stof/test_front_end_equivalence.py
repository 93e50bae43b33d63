"""Front end's fast paths give what the exact paths give: the lexer's windowed scan (any window size, ASCII or
Unicode classes) and its Token view, the parser's node constructors, and longest-match operators."""

from __future__ import annotations

import random
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentr.stof import lexer
from segmentr.stof import nodes as n
from segmentr.stof import parser as stof_parser
from segmentr.stof.lexer import Token, tokenize
from segmentr_testkit.corpora import stof_cases

SOURCES = [case["src"] for case in stof_cases()]  # fails to collect when the corpus is missing
NASTY = [
    "`a${x}b${ {1: 2}[1] }c` + `${`${1}`}`",
    "true_count + nullable + null.x + true-1 + false5 + true.to_string()",
    "0x_ms + 0xFFFFFFFFFFFFFFFFFF + 1.2.3-beta+7 + 2sec + 5milliseconds + 1e+ + 4_005.",
    "r#\"raw \"# + r#\"open",
    "/* long\n comment */ x // tail\n/* open",
    "'a\\'b' + \"c\\\"d\" + 'multi\nline'",
    "é.ü + x\ufeff + a\u00a0b + ٣",
]
FRAGMENTS = ["x", "true", "null_", ".", "a.b", "?.", "(", ")", "{", "}", "[", "]", "`", "${", "}", "'s'", '"d"',
             "1", "2days", "0x1F", "1.2.3", "//c\n", "/*c\n*/", "/*", "r#\"", "\"#", " ", "\n", "<<=", "==", "&&",
             "é", "\\", "$", "#"]


def rows_with_windows(source: str, monkeypatch: pytest.MonkeyPatch, smallest: int, largest: int) -> list:
    with monkeypatch.context() as patch:
        patch.setattr(lexer, "_MIN_WINDOW", smallest)
        patch.setattr(lexer, "_MAX_WINDOW", largest)
        lexed = tokenize(source)
        return [lexed.rows, sorted(lexed.match.items()), lexed.diagnostics]


def mutations(count: int) -> list[str]:
    rng = random.Random(2094)
    base = SOURCES + NASTY
    out = []
    for _ in range(count):
        text = list(rng.choice(base))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            text.insert(at, rng.choice(FRAGMENTS))
        out.append("".join(text))
    return out


@pytest.mark.parametrize("windows", [(5, 5), (5, 17), (64, 64), (7, 300)])
def test_any_window_size_lexes_the_same(windows: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    smallest, largest = windows
    for source in [*SOURCES, *NASTY, *mutations(300)]:
        expected = rows_with_windows(source, monkeypatch, lexer._MIN_WINDOW, lexer._MAX_WINDOW)
        assert rows_with_windows(source, monkeypatch, smallest, largest) == expected, source


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_small_windows_lex_token_soup_the_same(source: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        expected = tokenize(source)
        patch.setattr(lexer, "_MIN_WINDOW", 5)
        patch.setattr(lexer, "_MAX_WINDOW", 9)
        windowed = tokenize(source)
    assert windowed.rows == expected.rows
    assert windowed.match == expected.match
    assert windowed.diagnostics == expected.diagnostics


def test_ascii_scan_agrees_with_the_unicode_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    ascii_sources = [s for s in [*SOURCES, *NASTY, *mutations(300)] if s.isascii()]
    expected = [tokenize(s).rows for s in ascii_sources]
    monkeypatch.setattr(lexer, "_SCAN_ASCII", lexer._SCAN)
    assert [tokenize(s).rows for s in ascii_sources] == expected


def test_token_view_matches_the_rows() -> None:
    lexed = tokenize("const t: ms = Time.now() - 7days; `a${true_count}` // c\n")
    assert len(lexed.tokens) == len(lexed.rows)
    for token, row in zip(lexed.tokens, lexed.rows, strict=True):
        assert isinstance(token, Token)
        assert tuple(token) == row
        assert (token.kind, token.text, token.start, token.end) == row[:4]
        assert token.full_end == row[lexer.FULL_END] and token.value == row[lexer.VALUE]
    assert lexed.tokens is lexed.tokens  # built once


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<<= >>= == != <= >= && || ?? << >> += -= *= /= %= &= |= ^= =>",
         ["<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "??", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=",
          "|=", "^=", "=>"]),
        (", ; : . ? ! + - * / % & | ^ < > =",
         [",", ";", ":", ".", "?", "!", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "="]),
        ("a <<=b ==>c &&=d !==e", ["id", "<<=", "id", "==", ">", "id", "&&", "=", "id", "!=", "=", "id"]),
        ("x/=2//c\ny/ *z", ["id", "/=", "num", "id", "/", "*", "id"]),
    ],
)
def test_operators_lex_longest_first(source: str, expected: list[str]) -> None:
    assert [row[lexer.KIND] for row in tokenize(source).rows[:-1]] == expected


FAST_CONSTRUCTORS = {
    name: value for name, value in vars(stof_parser).items() if name.startswith("_new_") and callable(value)
}


@pytest.mark.parametrize("name", sorted(FAST_CONSTRUCTORS))
def test_fast_node_constructors_set_every_field(name: str) -> None:
    make = FAST_CONSTRUCTORS[name]
    node_class = next(cls for cls in vars(n).values()
                      if isinstance(cls, type) and make.__name__ == f"new_{cls.__name__}")
    values = {f.name: f"<{f.name}>" for f in fields(node_class)}
    fast = make(*values.values())
    assert type(fast) is node_class
    assert fast == node_class(**values)
    assert repr(fast) == repr(node_class(**values))
