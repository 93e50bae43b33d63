"""Every library function, called with arbitrary values, fails only with StofRuntimeError (never a Python error)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.stdlib import TABLES, call_library, call_method
from segmentr.stof.values import StofMap, StofSet, Units

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["ms", "days", "KB", "2024-01-01T00:00:00Z", "a|b", "(", "[0-9]+", "1.2.3", "7days"]),
    st.builds(Units, st.floats(allow_nan=True), st.sampled_from(["ms", "s", "days", "GB", "km", "C", "deg"])),
)
_values = st.recursive(
    _leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, min_size=2, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        st.lists(st.tuples(st.text(max_size=2), children), max_size=3).map(StofMap),
        st.lists(st.integers(-5, 5), max_size=3).map(StofSet),
    ),
    max_leaves=5,
)
_functions = st.sampled_from(sorted((lib, name) for lib, table in TABLES.items() for name in table))


@settings(max_examples=1500, deadline=None)
@given(_functions, st.lists(_values, max_size=3))
def test_library_calls_only_raise_stof_errors(function: tuple[str, str], args: list[Any]) -> None:
    lib, name = function
    with contextlib.suppress(StofRuntimeError):
        call_library(lib, name, args)


@settings(max_examples=1500, deadline=None)
@given(
    _values,
    st.sampled_from(sorted({name for table in TABLES.values() for name in table})),
    st.lists(_values, max_size=3),
)
def test_method_calls_only_raise_stof_errors(receiver: Any, name: str, args: list[Any]) -> None:
    with contextlib.suppress(StofRuntimeError):
        call_method(receiver, name, args, null_safe=True)
