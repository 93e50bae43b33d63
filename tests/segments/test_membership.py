"""Membership over a real SQLite customers table: members pages, counts, previews and change previews agree
between the SQL path and the streaming path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from segments_policy import NOW_MS, make_policy
from segments_population import generate, ids_where, make_table, store
from sqlalchemy import Engine, MetaData, create_engine, func, select

from segmentr.policy import Policy
from segmentr.segments.membership import change_preview, count, members, preview
from segmentr.segments.pushdown import Predicate
from segmentr.stof.stdlib import set_clock
from segmentr.store.sql_predicates import compile_predicate

POPULATION = generate(700, seed=11)


class TableCustomers:
    """A CustomerSource over one real customers table (environment 1 is "live")."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table = make_table(MetaData())
        store(engine, self.table, POPULATION)
        self.by_id = {c["id"]: c for c in POPULATION}
        self.streamed = 0

    def policy(self, env: str) -> Policy:
        return make_policy()

    def load(self, env: str, customer_id: str) -> dict[str, Any] | None:
        return self.by_id.get(customer_id)

    def stream(
        self, env: str, batch_size: int, *, after: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        query = select(self.table.c.customer_id).order_by(self.table.c.customer_id)
        if after is not None:
            query = query.where(self.table.c.customer_id > after)
        with self.engine.connect() as connection:
            ids = list(connection.scalars(query))
        for start in range(0, len(ids), batch_size):
            self.streamed += 1
            yield [self.by_id[cid] for cid in ids[start : start + batch_size]]

    def count_where(self, env: str, predicate: Predicate) -> int:
        clause = compile_predicate(predicate, self.table, "sqlite")
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(self.table).where(clause)) or 0)

    def ids_where(
        self, env: str, predicate: Predicate, *, after: str | None = None, limit: int | None = None
    ) -> list[str]:
        clause = compile_predicate(predicate, self.table, "sqlite")
        if after is not None:
            clause = clause & (self.table.c.customer_id > after)
        found = ids_where(self.engine, self.table, clause)
        return found[:limit] if limit is not None else found


@pytest.fixture
def source(sqlite_url: str) -> Iterator[TableCustomers]:
    set_clock(lambda: float(NOW_MS))
    customers = TableCustomers(create_engine(sqlite_url))
    yield customers
    set_clock(None)
    customers.engine.dispose()


PUSHED = '(customer.plan == "growth" || customer.plan == "enterprise") &&\ncustomer.metadata.tier != null'
# the same condition, written so the translator cannot state it: it streams
STREAMED = (
    '(customer.plan == "growth" || customer.plan == "enterprise") && !!(customer.metadata.tier != null)'
)
STREAMED = "const unused = 1;\n" + STREAMED


def _all_pages(condition: str, source: TableCustomers, limit: int) -> tuple[list[str], set[str]]:
    ids: list[str] = []
    methods: set[str] = set()
    after: str | None = None
    while True:
        page = members(condition, source, "live", after=after, limit=limit)
        ids += page.ids
        methods.add(page.method)
        if page.next_cursor is None:
            return ids, methods
        after = page.next_cursor


def test_sql_and_stream_agree_on_count_and_pages(source: TableCustomers) -> None:
    sql_count, stream_count = count(PUSHED, source, "live"), count(STREAMED, source, "live")
    assert sql_count.method == "sql" and stream_count.method == "stream"
    assert sql_count.n == stream_count.n > 0
    sql_ids, sql_methods = _all_pages(PUSHED, source, 17)
    stream_ids, stream_methods = _all_pages(STREAMED, source, 17)
    assert sql_methods == {"sql"} and stream_methods == {"stream"}
    assert sql_ids == stream_ids == sorted(sql_ids)
    assert len(sql_ids) == sql_count.n


def test_errors_are_counted_not_raised(source: TableCustomers) -> None:
    result = count('customer.metadata.tier.len() > 0 || customer.plan == "free"', source, "live")
    assert result.method == "stream"
    assert result.errors > 0 and result.last_error is not None
    assert result.n > 0


def test_preview_of_an_unsaved_condition(source: TableCustomers) -> None:
    shown = preview(PUSHED, source, "live", sample=5)
    assert shown.count.n == count(PUSHED, source, "live").n
    assert len(shown.sample) == 5
    streamed = preview(STREAMED, source, "live", sample=5)
    assert streamed.sample == shown.sample and streamed.count.n == shown.count.n


def test_change_preview_lists_who_enters_and_who_leaves(source: TableCustomers) -> None:
    old = 'customer.plan == "growth"'
    new = 'customer.plan == "growth" && customer.type == "org" || customer.plan == "enterprise"'
    entered, left = change_preview(old, new, source, "live")
    growth = {c["id"] for c in POPULATION if c["plan"] == "growth"}
    enterprise = {c["id"] for c in POPULATION if c["plan"] == "enterprise"}
    growth_orgs = {c["id"] for c in POPULATION if c["plan"] == "growth" and c["type"] == "org"}
    assert entered == sorted(enterprise)
    assert left == sorted(growth - growth_orgs)
    # the same through the streaming path
    streamed = change_preview("const a = 1;\n" + old, "const b = 1;\n" + new, source, "live")
    assert streamed == (entered, left)
    assert change_preview(None, old, source, "live").entered == sorted(growth)
