"""Stof's unit table: suffix parsing order, number literals, conversion and common units (stof.md §1, §4)."""

from __future__ import annotations

import pytest

from segmentr.stof.units import (
    category,
    common_unit,
    convert,
    is_time,
    parse_number_literal,
    parse_quantity,
    parse_unit_suffix,
    unit_from_type_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30days", (30.0, "days")),
        ("1day", (1.0, "days")),
        ("1GB", (1.0, "GB")),
        ("12", (12.0, None)),
        ("4seconds", (4.0, "s")),
        ("5milliseconds", (5.0, "ms")),
        ("1.5hr", (1.5, "hr")),
        ("2KiB", (2.0, "KiB")),
        ("1min", (1.0, "min")),
        ("1mi", (1.0, "mi")),
        ("1miles", (1.0, "mi")),
        ("0x1F", (31.0, None)),
        ("-7", (-7.0, None)),
    ],
)
def test_parse_quantity(text: str, expected: tuple[float, str | None]) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "2h", "5sec", "1 day", "_", "-", "30 days", "1mb", "12x"])
def test_parse_quantity_rejects_non_literals(text: str) -> None:
    assert parse_quantity(text) is None


def test_number_literal_int_or_float_like_stof() -> None:
    assert parse_number_literal("1e3") == (1000, None)
    assert type(parse_number_literal("1e3")[0]) is int  # type: ignore[index]
    assert parse_number_literal("1.") == (1.0, None)
    assert type(parse_number_literal("1.")[0]) is float  # type: ignore[index]
    assert parse_number_literal("1e21") == (9223372036854775807, None)  # saturates
    assert parse_number_literal("9007199254740993") == (9007199254740992, None)  # through f64
    assert parse_number_literal("1_000") == (1000, None)
    assert parse_number_literal("0b101") == (5, None)


def test_suffix_first_match_leaves_the_rest() -> None:
    assert parse_unit_suffix("5mss", 1) == ("ms", 2)
    assert parse_unit_suffix("2h", 1) is None
    assert parse_unit_suffix("3days", 1) == ("days", 4)


def test_time_conversions_go_through_milliseconds() -> None:
    assert convert(1.0, "days", "hr") == 24.0
    assert convert(1.0, "ms", "s") == 0.001
    assert convert(1.005, "s", "ms") == 1004.9999999999999  # stof.md §6.8
    assert convert(90.0, "min", "hr") == 1.5
    assert convert(7.0, None, "ms") == 7.0


def test_memory_length_mass_conversions() -> None:
    assert convert(1.0, "GB", "MB") == 1000.0
    assert convert(1.0, "KiB", "bytes") == 1024.0
    assert convert(1.0, "km", "m") == 1000.0
    assert convert(1.0, "kg", "g") == 1000.0
    assert convert(0.0, "C", "F") == 32.0


def test_convert_across_categories_raises() -> None:
    with pytest.raises(ValueError):
        convert(1.0, "s", "KB")


def test_common_unit_is_the_larger_unit() -> None:
    assert common_unit("days", "hr") == "days"
    assert common_unit("ms", "s") == "s"
    assert common_unit("KB", "MB") == "MB"
    assert common_unit("km", "mi") == "m"
    assert common_unit("kg", "lb") == "kg"
    assert common_unit("s", "KB") == "undefined"
    assert common_unit(None, "s") == "s"
    assert common_unit(None, None) is None


def test_categories_and_type_names() -> None:
    assert category("ms") == "time" and is_time("days") and not is_time("KB") and not is_time(None)
    assert category("GiB") == "memory"
    assert unit_from_type_name("second") == "s"
    assert unit_from_type_name("days") == "days"
    assert unit_from_type_name("int") is None
