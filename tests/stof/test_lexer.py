"""Lexer: tokens, literal values, unit suffixes (first match), keyword splitting, positions and lexical errors."""

from __future__ import annotations

import pytest

from segmentr.stof.lexer import tokenize, unit_suffix


def kinds(source: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(source).tokens[:-1]]


def values(source: str) -> list[object]:
    return [t.value for t in tokenize(source).tokens[:-1]]


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("4_005", (4005, None)),
        ("4_005.", (4005.0, None)),
        ("1e3", (1000, None)),
        ("2.5e-1", (0.25, None)),
        ("1.5e3", (1500.0, None)),
        ("0xFF", (255, None)),
        ("0b1010", (10, None)),
        ("0o17", (15, None)),
        ("007", (7, None)),
        ("9007199254740993", (9007199254740992, None)),  # through f64, like the reference
        ("1e21", (9223372036854775807, None)),  # saturates to i64::MAX
        ("7days", (7.0, "days")),
        ("1day", (1.0, "days")),
        ("2hours", (2.0, "hr")),
        ("4seconds", (4.0, "s")),
        ("5milliseconds", (5.0, "ms")),
        ("10MB", (10.0, "MB")),
        ("1.5hr", (1.5, "hr")),
    ],
)
def test_number_literal_values(source: str, value: object) -> None:
    assert values(source) == [value]


def test_number_int_or_float_follows_the_dot() -> None:
    (int_value, _), (float_value, _) = values("3 3.0")  # type: ignore[misc]
    assert type(int_value) is int and type(float_value) is float


def test_unknown_unit_leaves_a_stray_name() -> None:
    assert kinds("2h") == [("num", "2"), ("id", "h")]
    assert kinds("3weeks") == [("num", "3"), ("id", "weeks")]


def test_units_match_first_without_a_word_boundary() -> None:
    # `sec` is not a unit, but `s` matches first: 2s then the name `ec`
    assert kinds("2sec") == [("num", "2s"), ("id", "ec")]
    assert kinds("5mins") == [("num", "5min"), ("id", "s")]
    assert unit_suffix("1minutes", 1) == ("min", 7)
    assert unit_suffix("1mb", 1) == ("m", 1)  # lower-case mb is metres + 'b'


def test_version_literal_is_tried_before_numbers() -> None:
    assert kinds("1.2.3 1.2.3-rc.1+b5") == [("ver", "1.2.3"), ("ver", "1.2.3-rc.1+b5")]


def test_method_on_a_number_literal_lexes_as_float_then_name() -> None:
    assert kinds("5.abs()") == [("num", "5."), ("id", "abs"), ("(", "("), (")", ")")]


def test_identifiers_take_dash_and_angle_brackets_after_the_first_character() -> None:
    assert kinds("a-1 count>1 x<y") == [("id", "a-1"), ("id", "count>1"), ("id", "x<y")]
    assert kinds("a - 1") == [("id", "a"), ("-", "-"), ("num", "1")]


def test_literal_keyword_prefix_is_split_and_remembers_the_whole_name() -> None:
    tokens = tokenize("true_count").tokens
    assert [(t.kind, t.text) for t in tokens[:-1]] == [("id", "true"), ("id", "_count")]
    assert tokens[0].full_end == len("true_count")
    assert kinds("true false null") == [("id", "true"), ("id", "false"), ("id", "null")]


def test_strings_and_escapes() -> None:
    assert values(r'"tab\there" ' + r"'it\'s' " + r'r#"raw\n"#') == ["tab\there", "it's", "raw\\n"]
    assert values(r'"a\qb"') == ["a\\qb"]  # unknown escapes stay as written


def test_template_tokens() -> None:
    assert [t.kind for t in tokenize("`a${x + {1}}b`").tokens] == [
        "tpl_start", "tpl_text", "tpl_open", "id", "+", "{", "num", "}", "tpl_close", "tpl_text", "tpl_end", "eof",
    ]


def test_operators_longest_match() -> None:
    assert [t.kind for t in tokenize("<<= >>= == != <= >= && || ?? << >> += =>").tokens[:-1]] == [
        "<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "??", "<<", ">>", "+=", "=>",
    ]


def test_positions_and_line_breaks() -> None:
    tokens = tokenize("a &&\n  // note\n  b").tokens
    a, op, b = tokens[0], tokens[1], tokens[2]
    assert (a.line, a.col, a.end_col) == (1, 1, 2)
    assert (op.line, op.col, op.nl, op.sp) == (1, 3, False, True)
    assert (b.line, b.col, b.nl) == (3, 3, True)
    assert not tokenize("ab").tokens[-1].sp


def test_comments_are_trivia() -> None:
    assert kinds("// line\n1 + /* block */ 2") == [("num", "1"), ("+", "+"), ("num", "2")]


def test_bracket_matching() -> None:
    result = tokenize("(a[1]) (")
    assert result.match[0] == 5 and result.match[2] == 4
    assert 6 not in result.match


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'unterminated", "unterminated string literal"),
        ("`abc ${1}", "unterminated template string"),
        ("/* open", "unterminated block comment"),
        ('r#"raw', "unterminated raw string literal"),
    ],
)
def test_lexical_errors_are_diagnostics(source: str, message: str) -> None:
    diagnostics = tokenize(source).diagnostics
    assert len(diagnostics) == 1
    assert message in diagnostics[0].message
    assert (diagnostics[0].line, diagnostics[0].column) == (1, 1)


def test_unexpected_character_is_an_error_token() -> None:
    token = tokenize("#").tokens[0]
    assert token.kind == "err" and "'#'" in str(token.value)


def test_a_ten_megabyte_string_is_rejected_cleanly() -> None:
    result = tokenize('"' + "x" * 10_000_000 + '"')
    assert [d.message for d in result.diagnostics] == ["string literal too long (over 1000000 bytes)"]


def test_unit_suffixes_agree_with_the_runtime_table() -> None:
    from segmentr.stof import units

    for suffix, _ in units.SUFFIXES:
        for text in (f"1{suffix}", f"1{suffix}x", f"1{suffix}s"):
            assert unit_suffix(text, 1) == units.parse_unit_suffix(text, 1), text


def test_byte_order_mark_and_crlf_are_whitespace() -> None:
    assert kinds("\ufeffa\r\nb") == [("id", "a"), ("id", "b")]
    assert tokenize("a\r\n  b").tokens[1].col == 3


def test_glued_dotted_names_are_one_path_token() -> None:
    token = tokenize("customer.metadata.tier-name").tokens[0]
    assert (token.kind, token.value) == ("path", ("customer", "metadata", "tier-name"))
    assert kinds("a . b") == [("id", "a"), (".", "."), ("id", "b")]
