"""Stof casts (``as T``, typed declarations) and typeof/typename (stof.md §2)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from segmentr.stof.cast import cast, typename, typeof
from segmentr.stof.errors import StofRuntimeError
from segmentr.stof.values import VOID, StofMap, StofSet, Units, Version

U = Units


@pytest.mark.parametrize(
    ("value", "names", "expected"),
    [
        ("4.5", ("float",), 4.5), ("4.5", ("int",), 4), (-3.99, ("int",), -3), (True, ("int",), 1),
        (False, ("float",), 0.0), (1, ("bool",), True), (0, ("bool",), False), ("false", ("bool",), True),
        (0.5, ("bool",), True), (5, ("str",), "5"), (5.0, ("str",), "5"), (True, ("str",), "true"),
        (None, ("int",), None), (None, ("str",), None), (U(7, "days"), ("int",), 7), (1000, ("ms",), U(1000, "ms")),
        (1000, ("s",), U(1000, "s")), ("0x1F", ("int",), 31), ("12", ("float",), 12.0), (12, ("float",), 12.0),
        ("7days", ("ms",), U(604800000, "ms")), ("5min", ("ms",), U(300000, "ms")), ("2days", ("float",), U(2, "days")),
        (U(7, "days"), ("float",), U(7, "days")), (U(1.5, "days"), ("hr",), U(36, "hr")), (U(60, "s"), ("min",), U(1, "min")),
        (U(1, "ms"), ("s",), U(0.001, "s")), (U(90, "min"), ("second",), U(5400, "s")), (5, ("ms",), U(5, "ms")),
        (U(5, "kg"), ("ms",), U(5, "undefined")), ("1.2.3", ("ver",), Version(1, 2, 3)),
        ([1, 2], ("list",), [1, 2]), (3, ("str", "int"), 3), ("3", ("int", "str"), "3"), (3.7, ("int", "str"), 3),
        ((1, "a"), ("(int, str)",), (1, "a")), ((1.5, 2), ("(int, float)",), (1, 2.0)),
    ],
)  # fmt: skip
def test_cast(value: Any, names: tuple[str, ...], expected: Any) -> None:
    result = cast(value, names)
    assert result == expected and type(result) is type(expected)


def test_units_then_int_converts_first() -> None:
    assert cast(cast(U(3, "days"), ("ms",)), ("int",)) == 259200000
    assert cast(U(1, "ms") if False else U(1.005, "s"), ("ms",)) == U(1004.9999999999999, "ms")


@pytest.mark.parametrize(
    ("value", "names", "kind"),
    [
        ("abc", ("int",), "Cast"), ("growth", ("int",), "Cast"), (StofMap([("a", 1)]), ("str",), "NotImplemented"),
        ((1, 2), ("list",), "NotImplemented"), ({"a": 1}, ("str",), "Cast"), ([1], ("int",), "Cast"),
        ("x", ("float",), "Cast"), ("1.2", ("ver",), "Cast"),
    ],
)  # fmt: skip
def test_cast_errors(value: Any, names: tuple[str, ...], kind: str) -> None:
    with pytest.raises(StofRuntimeError) as info:
        cast(value, names)
    assert info.value.kind == kind


def test_not_null_type_rejects_null() -> None:
    with pytest.raises(StofRuntimeError):
        cast(None, ("int",), not_null=True)
    assert cast(1, ("int",), not_null=True) == 1


@pytest.mark.parametrize(
    ("value", "general", "specific"),
    [
        ("a", "str", "str"), (None, "null", "null"), ([1], "list", "list"), (StofMap(), "map", "map"),
        ((1, "a"), "(int, str)", "(int, str)"), (True, "bool", "bool"), (1.5, "float", "float"), (1, "int", "int"),
        (U(7, "days"), "float", "days"), (U(5, "KB"), "float", "KB"), (StofSet(), "set", "set"), ({}, "obj", "obj"),
        (Version(1, 2, 3), "ver", "ver"), (VOID, "void", "void"), (b"x", "blob", "blob"),
        (("a", U(1, "ms")), "(str, float)", "(str, ms)"),
    ],
)  # fmt: skip
def test_typeof_typename(value: Any, general: str, specific: str) -> None:
    assert typeof(value) == general
    assert typename(value) == specific


def test_host_objects_are_obj() -> None:
    class Host:
        stof_methods: ClassVar[dict[str, tuple[int, int]]] = {"value": (1, 2)}

    assert typeof(Host()) == "obj"
    assert cast(h := Host(), ("obj",)) is h
