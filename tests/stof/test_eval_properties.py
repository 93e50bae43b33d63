"""Property tests: generated well-formed expressions never leak a non-Stof exception from compile or evaluate."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segmentr.stof as stof
from segmentr.stof import StofRuntimeError, StofSyntaxError

UNITS = ["ms", "s", "min", "hr", "days", "KB", "MB", "GB", "kg", "m"]

ints = st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64).map(
    lambda x: repr(x) if "e" not in repr(x) and "inf" not in repr(x) else "1.5"
)
strings = st.text(alphabet="abcXYZ 019.-_", max_size=6).map(lambda s: "'" + s + "'")
unit_numbers = st.tuples(st.integers(min_value=0, max_value=10**6), st.sampled_from(UNITS)).map(
    lambda p: f"{p[0]}{p[1]}"
)
atoms = st.one_of(
    ints,
    floats,
    strings,
    unit_numbers,
    st.just("null"),
    st.just("true"),
    st.just("false"),
    st.sampled_from(["customer.n", "customer.s", "customer.u", "data.missing"]),
)

BINARY = [
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "??",
    "&",
    "|",
    "^",
    "<<",
    ">>",
]
TYPES = ["int", "float", "str", "bool", "ms", "days", "KB", "int | null"]
METHODS = ["len()", "abs()", "round()", "floor()", "to_string()", "has_units()", "upper()", "trim()"]


def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"(!{x})"),
        inner.map(lambda x: f"(-({x}))"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        st.tuples(inner, st.sampled_from(TYPES)).map(lambda t: f"({t[0]} as {t[1]})"),
        inner.map(lambda x: f"(typeof {x})"),
        st.tuples(inner, st.sampled_from(METHODS)).map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"Num.max({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"str({t[0]}, {t[1]})"),
        st.lists(inner, max_size=3).map(lambda xs: "(" + str(len(xs)) + " == [" + ", ".join(xs) + "].len())"),
    )


expressions = st.recursive(atoms, extend, max_leaves=12)

BINDINGS = {"customer": {"n": 7, "s": "x", "u": 1.5, "metadata": {"k": 1}}}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_evaluation_raises_only_stof_errors(source: str) -> None:
    try:
        condition = stof.compile(source)
    except StofSyntaxError:
        return
    try:
        condition.evaluate(BINDINGS)
        condition.matches(BINDINGS)
    except StofRuntimeError as error:
        assert error.kind != "Internal", f"{source!r}: {error}"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc01 .+-*/=<>!&|?:;(){}[]'\"`$#@_\nlet const if for in return", max_size=40))
def test_compile_raises_only_syntax_errors(source: str) -> None:
    try:
        condition = stof.compile(source)
    except StofSyntaxError:
        return
    try:
        condition.evaluate(BINDINGS)
    except StofRuntimeError as error:
        assert error.kind != "Internal", f"{source!r}: {error}"
