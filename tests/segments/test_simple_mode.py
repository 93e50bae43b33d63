"""Simple mode: the generated Stof shapes, the round trip rows → Stof → rows, and the generated conditions'
behaviour on the real Stof engine (missing keys, nulls, values of the other kind)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentr.segments.model import (
    CreatedRow,
    CustomerTypeRow,
    EmailRow,
    MetadataRow,
    PlanRow,
    parse_rows,
)
from segmentr.segments.simple import NotSimple, from_stof, to_stof
from segmentr.stof import compile, parse

DAY_MS = 86_400_000

ODD_KEYS = ["billing-tier", "null", "true_flag", "_private", "a b", 'q"uote', "ünïcode", "if", "1st", ""]
PLAIN_KEYS = ["seats", "billing_tier", "internal_tier", "nullable", "x1"]

EVERY_ROW: list[Any] = [
    PlanRow(op="==", value="growth"),
    PlanRow(op="!=", value="free"),
    PlanRow(op="in", value=["growth", "enterprise"]),
    PlanRow(op="not_in", value=["free", "starter", 'we"ird\\plan']),
    CustomerTypeRow(op="==", value="org"),
    CustomerTypeRow(op="!=", value="user"),
    *(EmailRow(op=op, value="@acme.io") for op in ("==", "!=", "contains", "starts_with", "ends_with")),
    *(
        MetadataRow(key="seats", op=op, value=value)
        for op in ("==", "!=", "<", "<=", ">", ">=")
        for value in (20, -3, 2.5, 1e16, True, "gold", "tab\there\nline\r\\ \"q\" 'a'")
    ),
    *(MetadataRow(key="tier", op=op, value="pi") for op in ("contains", "starts_with", "ends_with")),
    MetadataRow(key="manager", op="is_set"),
    MetadataRow(key="manager", op="is_not_set"),
    *(MetadataRow(key=key, op=op, value=7) for key in [*ODD_KEYS[:-1], *PLAIN_KEYS] for op in ("==", ">")),
    *(MetadataRow(key=key, op="contains", value="x") for key in ODD_KEYS[:-1]),
    MetadataRow(key="billing-tier", op="is_set"),
    CreatedRow(op="before", value=1_700_000_000_000),
    CreatedRow(op="after", value="2024-01-01T00:00:00Z"),
    CreatedRow(op="within_last_days", value=7),
]


# ---------------------------------------------------------------- the generated text


def test_shapes_are_those_of_the_product_spec() -> None:
    assert to_stof([PlanRow(op="==", value="pro")]) == 'customer.plan == "pro"'
    assert to_stof([CustomerTypeRow(op="!=", value="org")]) == 'customer.type != "org"'
    assert to_stof([PlanRow(op="in", value=["a", "b"])]) == '(customer.plan == "a" || customer.plan == "b")'
    assert (
        to_stof([PlanRow(op="not_in", value=["a", "b"])]) == '(customer.plan != "a" && customer.plan != "b")'
    )
    assert to_stof([EmailRow(op="==", value="x")]) == 'customer.metadata.email == "x"'
    assert (
        to_stof([EmailRow(op="ends_with", value="@acme.io")])
        == '(?customer.metadata.email.ends_with("@acme.io") ?? false)'
    )
    assert (
        to_stof([MetadataRow(key="K", op=">", value="5")])
        == "(customer.metadata.K != null && customer.metadata.K > 5)"
    )
    assert to_stof([MetadataRow(key="K", op="is_set")]) == "customer.metadata.K != null"
    assert to_stof([MetadataRow(key="K", op="is_not_set")]) == "customer.metadata.K == null"
    assert (
        to_stof([MetadataRow(key="billing-tier", op="==", value="x")])
        == '(?customer.metadata.get("billing-tier") ?? null) == "x"'
    )
    assert (
        to_stof([CreatedRow(op="before", value=1000)])
        == "(customer.cloud_created != null && customer.cloud_created < 1000)"
    )
    assert (
        to_stof([CreatedRow(op="within_last_days", value=7)])
        == "(customer.cloud_created != null && customer.cloud_created > (Time.now() - 7days as ms))"
    )
    rows = [PlanRow(op="==", value="a"), CustomerTypeRow(op="==", value="org")]
    assert to_stof(rows) == 'customer.plan == "a" &&\ncustomer.type == "org"'


def test_metadata_values_are_auto_coerced() -> None:
    rows = parse_rows(
        [
            {"type": "metadata", "key": "k", "op": "==", "value": "true"},
            {"type": "metadata", "key": "k", "op": "==", "value": "false"},
            {"type": "metadata", "key": "k", "op": "==", "value": "42"},
            {"type": "metadata", "key": "k", "op": "==", "value": "-4.5"},
            {"type": "metadata", "key": "k", "op": "==", "value": "1e3"},
            {"type": "metadata", "key": "k", "op": "==", "value": "gold"},
            {"type": "metadata", "key": "k", "op": "contains", "value": "42"},
        ]
    )
    values = [row.value for row in rows]
    assert values == [True, False, 42, -4.5, 1000, "gold", "42"]
    assert [type(v) for v in values] == [bool, bool, int, float, int, str, str]


@pytest.mark.parametrize(
    ("value", "literal", "kind"),
    [
        (1e16, "1.0e16", float),
        (2.5e-07, "2.5e-7", float),
        (3.0, "3.0", float),
        (-0.5, "-0.5", float),
        (12, "12", int),
    ],
)
def test_numbers_are_written_so_stof_reads_the_same_value_and_kind(
    value: float, literal: str, kind: type
) -> None:
    source = to_stof([MetadataRow(key="k", op="==", value=value)])
    assert source.endswith(" " + literal)
    read = compile(f"{literal}").evaluate({"customer": {}})
    assert type(read) is kind and read == value


def test_values_stof_cannot_hold_exactly_are_rejected() -> None:
    with pytest.raises(ValueError, match="too large"):
        MetadataRow(key="k", op="==", value=2**60)
    with pytest.raises(ValueError, match="finite"):
        MetadataRow(key="k", op=">", value=float("nan"))
    with pytest.raises(ValueError, match="email row"):
        MetadataRow(key="email", op="==", value="a@b.c")


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("row", EVERY_ROW, ids=lambda row: f"{row.type}{row.op}")
def test_every_row_round_trips(row: Any) -> None:
    source = to_stof([row])
    parse(source)  # valid Stof
    assert from_stof(source) == [row]


@pytest.mark.parametrize("first", EVERY_ROW, ids=lambda row: f"{row.type}{row.op}")
def test_rows_round_trip_in_any_position(first: Any) -> None:
    rows = [first, MetadataRow(key="seats", op=">=", value=3), PlanRow(op="not_in", value=["a", "b"]), first]
    assert from_stof(to_stof(rows)) == rows


def test_empty_builder_is_every_customer() -> None:
    assert to_stof([]) == "true"
    assert from_stof("true") == []


def test_equivalent_spacing_and_quotes_read_back() -> None:
    typed = "customer.plan=='growth' &&   customer.metadata.seats   != null"
    assert from_stof(typed) == [PlanRow(op="==", value="growth"), MetadataRow(key="seats", op="is_set")]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ('(?policy.value(customer.id, "seats") ?? 0) > 20', "policy call"),
        ('customer.type == "org" || customer.plan == "growth"', "|| at top level"),
        ('customer.type == "org" && customer.plan == "a" || customer.plan == "b"', "|| at top level"),
        ("customer.metadata.seats > 5", "guard"),
        ("const ts: ms = Time.now() - 7days;\ncustomer.cloud_created > ts", "declares"),
        ("customer.grants != null && customer.grants.fields().len() > 0", "reads customer.grants"),
        ("customer.label.len() == 3", "simple mode does not"),
        ("for (const f in customer.meters.fields()) { return true; }\nfalse", "more than one statement"),
        ('customer.metadata.seats == "5"', "read as a number"),
        ('customer.id == "c1"', "customer.id"),
        ('!(customer.plan == "a")', "negation"),
        ("customer.plan == ", "does not parse"),
    ],
)
def test_other_conditions_are_refused_with_the_reason(source: str, reason: str) -> None:
    result = from_stof(source)
    assert isinstance(result, NotSimple)
    assert reason in result.reason


# ---------------------------------------------------------------- hypothesis: random rows


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_keys = st.one_of(st.sampled_from(ODD_KEYS[:-1] + PLAIN_KEYS), st.text(min_size=1, max_size=8))
_numbers = st.one_of(
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
)
_scalars = st.one_of(st.booleans(), _numbers, _texts.filter(lambda s: type(_coerced(s)) is str))


def _coerced(text: str) -> Any:
    from segmentr.segments.model import coerce_metadata_value

    return coerce_metadata_value(text)


_rows = st.one_of(
    st.builds(PlanRow, op=st.sampled_from(["==", "!="]), value=_texts),
    st.builds(PlanRow, op=st.sampled_from(["in", "not_in"]), value=st.lists(_texts, min_size=1, max_size=4)),
    st.builds(CustomerTypeRow, op=st.sampled_from(["==", "!="]), value=_texts),
    st.builds(
        EmailRow, op=st.sampled_from(["==", "!=", "contains", "starts_with", "ends_with"]), value=_texts
    ),
    st.builds(
        MetadataRow,
        key=_keys.filter(lambda k: k != "email"),
        op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        value=_scalars,
    ),
    st.builds(
        MetadataRow, key=_keys, op=st.sampled_from(["contains", "starts_with", "ends_with"]), value=_texts
    ).filter(lambda row: row.key != "email"),
    st.builds(MetadataRow, key=_keys, op=st.sampled_from(["is_set", "is_not_set"])),
    st.builds(CreatedRow, op=st.sampled_from(["before", "after"]), value=st.integers(-(2**53), 2**53)),
    st.builds(CreatedRow, op=st.just("within_last_days"), value=st.integers(1, 3650)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_rows, max_size=5))
def test_random_rows_round_trip(rows: list[Any]) -> None:
    assert from_stof(to_stof(rows)) == rows


# ---------------------------------------------------------------- behaviour on the real engine


def _matches(rows: list[Any], customer: dict[str, Any]) -> bool:
    full = {"id": "c1", "plan": "growth", "type": "user", "metadata": None, "cloud_created": None, **customer}
    return compile(to_stof(rows)).matches({"customer": full, "policy": None})


def _meta(**metadata: Any) -> dict[str, Any]:
    return {"metadata": metadata}


MISSING: dict[str, Any] = {"metadata": {}}
NO_METADATA: dict[str, Any] = {"metadata": None}


@pytest.mark.parametrize(
    ("row", "customer", "expected"),
    [
        # equality: kinds never mix; a missing key or null never equals
        (MetadataRow(key="k", op="==", value=5), _meta(k=5), True),
        (MetadataRow(key="k", op="==", value=5), _meta(k=5.0), True),
        (MetadataRow(key="k", op="==", value=5), _meta(k="5"), False),
        (MetadataRow(key="k", op="==", value=1), _meta(k=True), False),
        (MetadataRow(key="k", op="==", value=5), MISSING, False),
        (MetadataRow(key="k", op="==", value=5), _meta(k=None), False),
        (MetadataRow(key="k", op="==", value=5), NO_METADATA, False),
        (MetadataRow(key="k", op="==", value="gold"), _meta(k="gold"), True),
        (MetadataRow(key="k", op="==", value=True), _meta(k=True), True),
        # != matches a missing key, a null and the other kind
        (MetadataRow(key="k", op="!=", value=5), MISSING, True),
        (MetadataRow(key="k", op="!=", value=5), _meta(k=None), True),
        (MetadataRow(key="k", op="!=", value=5), NO_METADATA, True),
        (MetadataRow(key="k", op="!=", value=5), _meta(k="5"), True),
        (MetadataRow(key="k", op="!=", value=5), _meta(k=5), False),
        # ordering: the guard keeps null out (in Stof `null < 5` is true)
        (MetadataRow(key="k", op="<", value=5), MISSING, False),
        (MetadataRow(key="k", op="<=", value=5), _meta(k=None), False),
        (MetadataRow(key="k", op="<", value=5), NO_METADATA, False),
        (MetadataRow(key="k", op="<", value=5), _meta(k=4), True),
        (MetadataRow(key="k", op="<", value=5), _meta(k="4"), False),
        (MetadataRow(key="k", op=">", value=5), _meta(k=5.5), True),
        (MetadataRow(key="k", op=">", value=5), _meta(k="6"), False),
        (MetadataRow(key="k", op=">=", value=5), _meta(k=5), True),
        (MetadataRow(key="k", op=">", value="b"), _meta(k="c"), True),
        (MetadataRow(key="k", op=">", value="b"), _meta(k="B"), False),  # byte-wise
        # string methods: missing, null or not a string → no match
        (MetadataRow(key="k", op="contains", value="ol"), _meta(k="gold"), True),
        (MetadataRow(key="k", op="contains", value="ol"), _meta(k=5), False),
        (MetadataRow(key="k", op="contains", value="ol"), MISSING, False),
        (MetadataRow(key="k", op="contains", value="ol"), NO_METADATA, False),
        (MetadataRow(key="k", op="starts_with", value="go"), _meta(k="gold"), True),
        (MetadataRow(key="k", op="starts_with", value="go"), _meta(k=True), False),
        (MetadataRow(key="k", op="ends_with", value="ld"), _meta(k="gold"), True),
        (MetadataRow(key="k", op="ends_with", value="ld"), _meta(k=None), False),
        # presence
        (MetadataRow(key="k", op="is_set"), _meta(k=0), True),
        (MetadataRow(key="k", op="is_set"), _meta(k=""), True),
        (MetadataRow(key="k", op="is_set"), _meta(k=None), False),
        (MetadataRow(key="k", op="is_set"), NO_METADATA, False),
        (MetadataRow(key="k", op="is_not_set"), MISSING, True),
        (MetadataRow(key="k", op="is_not_set"), _meta(k=False), False),
        # keys that need get(): same rules
        (
            MetadataRow(key="billing-tier", op="==", value="gold"),
            {"metadata": {"billing-tier": "gold"}},
            True,
        ),
        (MetadataRow(key="billing-tier", op="!=", value="gold"), NO_METADATA, True),
        (MetadataRow(key="billing-tier", op=">", value=1), {"metadata": {"billing-tier": 2}}, True),
        (MetadataRow(key="billing-tier", op="<", value=1), MISSING, False),
        (
            MetadataRow(key="billing-tier", op="contains", value="ol"),
            {"metadata": {"billing-tier": "gold"}},
            True,
        ),
        (MetadataRow(key="billing-tier", op="contains", value="ol"), NO_METADATA, False),
        (MetadataRow(key="null", op="==", value=1), {"metadata": {"null": 1}}, True),
        # email
        (EmailRow(op="ends_with", value="@acme.io"), _meta(email="ann@acme.io"), True),
        (EmailRow(op="ends_with", value="@acme.io"), MISSING, False),
        (EmailRow(op="==", value="a@b.c"), _meta(email="a@b.c"), True),
        (EmailRow(op="!=", value="a@b.c"), NO_METADATA, True),
        # plan and type
        (PlanRow(op="in", value=["growth", "enterprise"]), {"plan": "growth"}, True),
        (PlanRow(op="in", value=["growth", "enterprise"]), {"plan": "free"}, False),
        (PlanRow(op="not_in", value=["growth", "enterprise"]), {"plan": "free"}, True),
        (PlanRow(op="not_in", value=["growth", "enterprise"]), {"plan": "growth"}, False),
        (CustomerTypeRow(op="!=", value="org"), {"type": "user"}, True),
        # created
        (CreatedRow(op="before", value=1000), {"cloud_created": 999}, True),
        (CreatedRow(op="before", value=1000), {"cloud_created": 1000}, False),
        (CreatedRow(op="before", value=1000), {"cloud_created": None}, False),
        (CreatedRow(op="after", value=1000), {"cloud_created": 1001}, True),
    ],
)
def test_generated_conditions_do_what_the_row_says(
    row: Any, customer: dict[str, Any], expected: bool
) -> None:
    assert _matches([row], customer) is expected


def test_within_last_days_uses_the_clock(pinned_clock: int) -> None:
    row = CreatedRow(op="within_last_days", value=7)
    assert _matches([row], {"cloud_created": pinned_clock - 6 * DAY_MS})
    assert not _matches([row], {"cloud_created": pinned_clock - 8 * DAY_MS})
    assert not _matches([row], {"cloud_created": None})


def test_rows_combine_with_and() -> None:
    rows = [PlanRow(op="==", value="growth"), MetadataRow(key="seats", op=">", value=10)]
    assert _matches(rows, {"plan": "growth", "metadata": {"seats": 11}})
    assert not _matches(rows, {"plan": "growth", "metadata": {"seats": 9}})
    assert not _matches(rows, {"plan": "free", "metadata": {"seats": 11}})
