"""Pushdown parity: every simple-mode row type and operator, and the hand-typed equivalents, give the same
members through SQL (SQLite file and PostgreSQL) as through the real Stof evaluator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segments_population import (
    KEYS,
    MISSING,
    NOW_MS,
    PLANS,
    TYPES,
    VALUES,
    generate,
    ids_where,
    make_table,
    store,
)
from sqlalchemy import Engine, MetaData, create_engine

from segmentr.segments.model import CreatedRow, CustomerTypeRow, EmailRow, MetadataRow, PlanRow
from segmentr.segments.pushdown import translate_source
from segmentr.segments.simple import to_stof
from segmentr.stof import compile
from segmentr.stof.stdlib import set_clock
from segmentr.store.sql_predicates import compile_predicate

POPULATION = generate(600)

SCALARS: list[Any] = [
    v for v in VALUES if v is not MISSING and v is not None and not isinstance(v, list | dict)
]
STRINGS: list[str] = [v for v in SCALARS if isinstance(v, str)]


def _rows_for_every_operator() -> list[Any]:
    rows: list[Any] = [
        PlanRow(op="==", value="growth"),
        PlanRow(op="!=", value="growth"),
        PlanRow(op="==", value=""),
        PlanRow(op="in", value=["growth", "enterprise"]),
        PlanRow(op="not_in", value=["growth", "enterprise", "ünï plan"]),
        CustomerTypeRow(op="==", value="org"),
        CustomerTypeRow(op="!=", value="org"),
        CreatedRow(op="before", value=NOW_MS - 100 * 86_400_000),
        CreatedRow(op="after", value=NOW_MS - 100 * 86_400_000),
        CreatedRow(op="within_last_days", value=7),
        CreatedRow(op="within_last_days", value=30),
    ]
    rows += [EmailRow(op=op, value=v) for op in ("==", "!=", "contains", "starts_with", "ends_with")
             for v in ("ann@acme.io", "@acme.io", "", "ol")]  # fmt: skip
    for key in ("k", "tier", "billing-tier", "null"):
        rows += [MetadataRow(key=key, op=op) for op in ("is_set", "is_not_set")]
        rows += [MetadataRow(key=key, op=op, value=v) for op in ("contains", "starts_with", "ends_with")
                 for v in ("gold", "ol", "", "ü", "5")]  # fmt: skip
        values = [5, 5.5, 0, -0.5, 20, True, False, "gold", "b", "", "ünïcode", 1e16]
        rows += [
            MetadataRow(key=key, op=op, value=v) for op in ("==", "!=", "<", "<=", ">", ">=") for v in values
        ]
    return rows


EVERY_ROW = _rows_for_every_operator()

HAND_TYPED = [
    'data.k == "gold"',
    "data.k != 5 && customer.plan == 'growth'",
    'customer.plan == "growth" || customer.plan == "enterprise"',
    '("growth" == customer.plan || customer.plan == "free") && data.seats >= 20',
    "data.seats > 5",  # unguarded: null > 5 is false
    "data.seats < 5",  # unguarded: null < 5 is true
    "data.seats <= 5.5 || data.flag == true",
    '!(customer.type == "org") && (?data.tier.contains("ol") ?? false)',
    '(?customer.metadata.get("billing-tier") ?? null) == "gold"',
    '(?data.get("billing-tier") ?? null) > 3',
    '(?customer.metadata.get("billing-tier").starts_with("go") ?? false)',
    "customer.metadata.nested.k == 5",
    'customer.metadata.nested.k < "c"',
    "customer.metadata.nested == null",
    'customer.label == "Acme" && customer.id != "c00001"',
    "customer.cloud_updated > 1e12",
    "const ts: ms = Time.now() - 7days;\ncustomer.cloud_created != null && customer.cloud_created > ts",
    "const ts: ms = Time.now() - 30days;\ncustomer.cloud_updated != null && customer.cloud_updated >= ts",
    "const ts: ms = Time.now() - 30days;\ncustomer.cloud_updated != null && customer.cloud_updated < ts",
    "customer.cloud_created > (Time.now() - 36hr as ms)",
    "true",
    "false || data.k >= false",
    "data.k > true",
    "data.k <= true",
]


def _stof_members(source: str) -> list[str]:
    condition = compile(source)
    return sorted(
        c["id"]
        for c in POPULATION
        if condition.matches({"customer": c, "data": c["metadata"], "policy": None})
    )


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    set_clock(lambda: float(NOW_MS))
    yield
    set_clock(None)


class Database:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)
        self.table = make_table(MetaData())
        store(self.engine, self.table, POPULATION)

    def members(self, source: str) -> list[str]:
        predicate = translate_source(source)
        assert predicate is not None, f"not pushed down: {source}"
        clause = compile_predicate(predicate, self.table, self.engine.dialect.name)
        return ids_where(self.engine, self.table, clause)


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('parity') / 'customers.db'}")
    yield database
    database.engine.dispose()


@pytest.fixture(scope="module")
def postgres_db(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    yield database
    database.table.metadata.drop_all(database.engine)
    database.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(f"{request.param}_db")


def _id(row: Any) -> str:
    return f"{row.type}-{getattr(row, 'key', '')}{row.op}{row.value!r}"


@pytest.mark.parametrize("row", EVERY_ROW, ids=_id)
def test_every_simple_row_gives_the_same_members(database: Database, row: Any) -> None:
    source = to_stof([row])
    assert database.members(source) == _stof_members(source)


@pytest.mark.parametrize("source", HAND_TYPED)
def test_hand_typed_conditions_give_the_same_members(database: Database, source: str) -> None:
    assert database.members(source) == _stof_members(source)


def test_population_is_not_trivial() -> None:
    # the members sets above are neither empty nor everyone for most rows
    sizes = [len(_stof_members(to_stof([row]))) for row in EVERY_ROW]
    assert sum(1 for size in sizes if 0 < size < len(POPULATION)) > len(sizes) * 0.7


_values = st.one_of(
    st.sampled_from(SCALARS),
    st.integers(-50, 50),
    st.floats(-100, 100, allow_nan=False),
    st.text(max_size=4),
)
_rows = st.one_of(
    st.builds(PlanRow, op=st.sampled_from(["==", "!="]), value=st.sampled_from(PLANS)),
    st.builds(PlanRow, op=st.sampled_from(["in", "not_in"]), value=st.lists(st.sampled_from(PLANS), min_size=1, max_size=3)),
    st.builds(CustomerTypeRow, op=st.sampled_from(["==", "!="]), value=st.sampled_from(TYPES)),
    st.builds(EmailRow, op=st.sampled_from(["==", "!=", "contains", "starts_with", "ends_with"]), value=st.sampled_from(STRINGS)),
    st.builds(MetadataRow, key=st.sampled_from([k for k in KEYS if k != "email"]),
              op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), value=_values),
    st.builds(MetadataRow, key=st.sampled_from([k for k in KEYS if k != "email"]),
              op=st.sampled_from(["contains", "starts_with", "ends_with"]), value=st.sampled_from(STRINGS)),
    st.builds(MetadataRow, key=st.sampled_from(KEYS), op=st.sampled_from(["is_set", "is_not_set"])),
    st.builds(CreatedRow, op=st.sampled_from(["before", "after"]), value=st.integers(NOW_MS - 400 * 86_400_000, NOW_MS)),
    st.builds(CreatedRow, op=st.just("within_last_days"), value=st.integers(1, 400)),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_rows, min_size=1, max_size=3))
def test_random_rows_give_the_same_members(database: Database, rows: list[Any]) -> None:
    source = to_stof(rows)
    if "\x00" in source:  # PostgreSQL text cannot hold NUL: never pushed down, the evaluator streams it
        assert translate_source(source) is None
        return
    assert database.members(source) == _stof_members(source)
