"""The translator: which conditions are pushed down (and to which predicate), and which stay on the evaluator."""

from __future__ import annotations

import pytest

from segmentr.segments.pushdown import (
    And,
    Column,
    Compare,
    IsNull,
    MetadataPath,
    Not,
    NowMinus,
    Or,
    StrMatch,
    translate_source,
)
from segmentr.segments.templates import TEMPLATES


def test_simple_shapes_translate() -> None:
    assert translate_source('customer.plan == "a"') == Compare(Column("plan"), "==", "a")
    assert translate_source("data.seats != null") == IsNull(MetadataPath(("seats",)), negate=True)
    assert translate_source('(?customer.metadata.get("billing-tier") ?? null) == 5') == Compare(
        MetadataPath(("billing-tier",)), "==", 5
    )
    assert translate_source('(?data.email.ends_with("@a.io") ?? false)') == StrMatch(
        MetadataPath(("email",)), "ends_with", "@a.io"
    )
    assert translate_source('!(customer.plan == "a" || customer.plan == "b")') == Not(
        Or((Compare(Column("plan"), "==", "a"), Compare(Column("plan"), "==", "b")))
    )
    assert translate_source("customer.metadata.k > -2") == Compare(MetadataPath(("k",)), ">", -2)


def test_relative_times_become_a_query_time_bound() -> None:
    predicate = translate_source(TEMPLATES[0].code)
    assert predicate == And(
        (
            IsNull(Column("cloud_created"), negate=True),
            Compare(Column("cloud_created"), ">", NowMinus(7.0, "days")),
        )
    )


@pytest.mark.parametrize(
    "source",
    [
        '(?policy.value(customer.id, "seats") ?? 0) > 20',
        "customer.grants != null && customer.grants.fields().len() > 0",
        "customer.cloud_created > Time.now() - 7days",  # no `as ms`: compares in days (the gotcha)
        "const ts = Time.now() - 7days;\ncustomer.cloud_created > ts",
        "let x = 1;\ndata.k == x",
        "if (data.k == 1) true else false",
        "data.k == data.j",
        "data.k",
        "customer.metadata == null",
        "1 < data.k < 3",
        "customer.meters.api.value > 5",
        'customer.metadata.get("k") == 5',  # no `?`: an error when metadata is null
        "data.k == 1.2.3",
        "customer.plan == ",
        "",
    ],
)
def test_anything_else_stays_on_the_evaluator(source: str) -> None:
    assert translate_source(source) is None


def test_text_holding_a_nul_character_is_never_pushed_down() -> None:
    # PostgreSQL text cannot hold NUL: the evaluator streams these (parity is then exact by construction)
    assert translate_source('customer.metadata.k < "\x00"') is None
    assert translate_source('customer.plan == "a\x00b"') is None
    assert translate_source('(?customer.metadata.get("k\x00") ?? null) == 1') is None
    assert translate_source('(?data.email.contains("\x00") ?? false)') is None
    assert translate_source('customer.metadata.k < "\\0"') is not None  # a backslash and a zero: plain text
