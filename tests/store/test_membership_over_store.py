"""The segments package's membership over the store's CustomerSource: SQL pushdown and streaming agree."""

from __future__ import annotations

import pytest

from segmentr.sample import generate_customers, sample_policy
from segmentr.segments import membership
from segmentr.stof import compile
from segmentr.store import Store

NOW = 1_760_000_000_000

CONDITIONS = [
    'customer.plan == "growth" && customer.metadata.billing_tier == "standard"',
    '(customer.plan == "growth" || customer.plan == "enterprise") && customer.type == "org"',
    "(customer.metadata.seats != null && customer.metadata.seats > 10)",
    '(?customer.metadata.email.ends_with(".io") ?? false)',
    "customer.metadata.account_manager == null",
]


@pytest.fixture
def populated(store: Store) -> Store:
    store.put_policy("live", sample_policy())
    store.import_customer_dicts("live", generate_customers(600, seed=11, now_ms=NOW))
    return store


@pytest.mark.parametrize("condition", CONDITIONS)
def test_pushdown_and_streaming_agree_over_the_store(populated: Store, condition: str) -> None:
    source = populated.customers()
    sql = membership.count(condition, source, "live")
    # the same condition, made opaque to pushdown by a policy call, goes through the evaluator
    streamed = membership.count(f"({condition}) && (policy != null || true)", source, "live")
    assert (sql.method, streamed.method) == ("sql", "stream")
    assert sql.n == streamed.n and streamed.errors == 0


def test_paging_members_covers_everyone_once(populated: Store) -> None:
    source = populated.customers()
    seen: list[str] = []
    after = None
    while True:
        page = membership.members('customer.type != "user"', source, "live", after=after, limit=97)
        seen.extend(page.ids)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == sorted(set(seen))
    assert len(seen) == membership.count('customer.type != "user"', source, "live").n


def test_streaming_from_a_cursor(populated: Store) -> None:
    source = populated.customers()
    everyone = [c["id"] for batch in source.stream("live", 100) for c in batch]
    rest = [c["id"] for batch in source.stream("live", 100, after=everyone[249]) for c in batch]
    assert rest == everyone[250:]


def test_a_condition_with_a_nul_character_streams_instead_of_failing_in_sql(populated: Store) -> None:
    # PostgreSQL text cannot hold NUL: as a SQL parameter it is an error, so such a condition is not pushed down
    source = populated.customers()
    customers = populated.list_customers("live", limit=10_000)
    for condition in ('customer.metadata.billing_tier < "\x00"', 'customer.plan != "growth\x00"'):
        counted = membership.count(condition, source, "live")
        expected = sum(compile(condition).matches_customer(customer) for customer in customers)
        assert (counted.method, counted.n, counted.errors) == ("stream", expected, 0)
    assert expected == len(customers) == 600
