"""The Str library (stof.md §5): UTF-8 byte lengths, clamped at(), defaults, and regex safety."""

from __future__ import annotations

from typing import Any

import pytest

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.stdlib import call_method

S = "Hello, world!"


@pytest.mark.parametrize(
    ("receiver", "name", "args", "expected"),
    [
        (S, "len", [], 13), (S, "at", [5], ","), (S, "at", [100], "!"), (S, "contains", ["world"], True),
        (S, "starts_with", ["Hello,"], True), (S, "ends_with", ["world!"], True), (S, "index_of", ["yo"], -1),
        (S, "substring", [3, 9], "lo, wo"), (S, "replace", ["world", "CJ"], "Hello, CJ!"), (S, "upper", [], "HELLO, WORLD!"),
        (S, "split", [", "], ["Hello", "world!"]), ("  \n  hi \t\n  ", "trim", [], "hi"), ("  hi  ", "trim_start", [], "hi  "),
        ("  hi  ", "trim_end", [], "  hi"), ("hello", "replace", ["l"], "heo"), ("hello", "substring", [2], "llo"),
        ("hello", "first", [], "h"), ("hello", "last", [], "o"), ("ünïcode", "upper", [], "ÜNÏCODE"),
        ("Straße", "upper", [], "STRASSE"), ("abc", "contains", [""], True), ("a b", "split", [], ["a", "b"]),
        ("abc", "matches", ["^b"], False), ("abc", "matches", ["b"], True), ("a1b22", "find_matches", ["[0-9]+"], [("1", 1, 2), ("22", 3, 5)]),
        ("é", "len", [], 2), ("x", "contains", [1], False), ("a", "push", ["b"], "ab"), ("", "len", [], 0),
    ],
)  # fmt: skip
def test_str_methods(receiver: str, name: str, args: list[Any], expected: Any) -> None:
    assert call_method(receiver, name, args) == expected


@pytest.mark.parametrize(
    "pattern", [r"(a)\1", "(?=a)", "(?<!a)b", "a++", r"\Z", "x" * 300, "(unclosed", "a{1001}"]
)
def test_patterns_the_engine_cannot_run_in_linear_time_or_at_all_are_refused(pattern: str) -> None:
    with pytest.raises(StofRuntimeError) as info:
        call_method("a" * 40, "matches", [pattern])
    assert info.value.kind == "Regex"
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a*)*b", "^(a|aa)+(b+)*$", "^(a|a)*@", "a*a*a*a*a*a*a*a*b"])
def test_catastrophic_backtracking_shapes_run_in_linear_time(pattern: str) -> None:
    # nested and adjacent repeats are fine on a linear-time engine: no match, at once
    assert call_method("a" * 99_000 + "!", "matches", [pattern]) is False


def test_wrong_arity_is_func_args() -> None:
    with pytest.raises(StofRuntimeError) as info:
        call_method("abc", "starts_with", [])
    assert info.value.kind == "FuncArgs"
