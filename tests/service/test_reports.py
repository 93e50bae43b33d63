"""The dashboard's reports on both databases: pages filtered by the active segment (SQL and evaluated), the
indexed search, the customer detail, margin and usage totals, and the roll-up cache's change mark."""

from __future__ import annotations

import pytest
from service_helpers import SQL_CONDITION, STREAM_CONDITION, expected_members
from sqlalchemy import text

from segmentr.errors import NotFound
from segmentr.policy import Policy
from segmentr.sample import sample_policy
from segmentr.service import Actor, InvalidRequest, ReportService, SegmentChanges, SegmentInput, Services
from segmentr.service import reports as reports_module
from segmentr.store import Store


def _all_ids(report: ReportService, env: str = "live", search: str | None = None, limit: int = 7) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = report.customers(env, search=search, after=cursor, limit=limit)
        ids.extend(row.id for row in page.rows)
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def _every_customer(store: Store, env: str = "live") -> list[dict]:
    return [customer for batch in store.customers().stream(env, 1000) for customer in batch]


def _bound(store: Store, env: str = "live") -> Policy:
    return store.customers().policy(env).with_customers({c["id"]: c for c in _every_customer(store, env)})


def test_without_an_active_segment_every_customer_in_id_order(services: Services, owner: Actor, store: Store) -> None:
    report = services.reports(owner)
    first = report.customers("live", limit=10)
    assert first.segment is None
    assert len(first.rows) == 10 and first.next_cursor == first.rows[-1].id
    assert _all_ids(report) == sorted(c["id"] for c in _every_customer(store))
    assert report.member_count("live") == len(_every_customer(store))
    assert _all_ids(report, "test") == sorted(c["id"] for c in _every_customer(store, "test"))


@pytest.mark.parametrize(("condition", "sql"), [(SQL_CONDITION, True), (STREAM_CONDITION, False)])
def test_the_active_segment_filters_pages(services: Services, owner: Actor, store: Store, condition: str,
                                          sql: bool, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # a small scan budget: evaluated segments come back in partial pages that go on where they stopped
    monkeypatch.setattr(reports_module, "SCAN_BUDGET", 9)
    services.segments(owner).create(SegmentInput(name="Chosen", condition=condition))
    services.segments(owner).set_active_segment("Chosen")
    report = services.reports(owner)
    page = report.customers("live", limit=5)
    assert page.segment is not None and page.segment.name == "Chosen" and page.segment.sql is sql
    expected = expected_members(store, condition, "live")
    assert 0 < len(expected) < 120
    assert _all_ids(report, limit=5) == expected
    assert report.member_count("live") == len(expected)
    if not sql:
        assert report.customers("live", limit=50).partial


def test_search_is_a_case_insensitive_prefix_of_id_name_or_email(services: Services, owner: Actor,
                                                                 store: Store) -> None:  # fmt: skip
    report = services.reports(owner)
    everyone = _every_customer(store)
    someone = next(c for c in everyone if (c.get("metadata") or {}).get("email"))

    def expected(prefix: str, among: list[dict] = everyone) -> list[str]:
        prefix = prefix.lower()
        return sorted(
            c["id"] for c in among
            if any(isinstance(v, str) and v.lower().startswith(prefix)
                   for v in (c["id"], c.get("label"), (c.get("metadata") or {}).get("email")))
        )  # fmt: skip

    for prefix in (someone["id"].upper(), someone["label"][:3].upper(), someone["metadata"]["email"][:5], "cus_00000"):
        found = _all_ids(report, search=prefix, limit=4)
        assert found == expected(prefix), prefix
        assert someone["id"] in found or not someone["id"].lower().startswith(prefix.lower())
    assert _all_ids(report, search="%") == expected("%")
    assert _all_ids(report, search="_") == expected("_")
    assert report.customers("live", search="   ").search is None

    services.segments(owner).create(SegmentInput(name="Paid", condition=SQL_CONDITION))
    services.segments(owner).set_active_segment("Paid")
    members = set(expected_members(store, SQL_CONDITION, "live"))
    assert _all_ids(report, search="cus_0000") == expected("cus_0000", [c for c in everyone if c["id"] in members])


def test_search_uses_the_indexes(store: Store) -> None:
    from segmentr.store import report_queries

    environment_id = store.environment("live").id
    with store.session() as session:
        query = report_queries._search_ids(environment_id, "ada", store.dialect)
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if store.dialect == "sqlite":
            plan = " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(str(row[0]) for row in session.execute(text(f"EXPLAIN {compiled}")))
    for index in ("ix_customers_search_id", "ix_customers_search_label", "ix_customers_search_email"):
        assert index in plan, plan


def test_customer_detail(services: Services, owner: Actor, store: Store) -> None:
    services.segments(owner).create(SegmentInput(name="Paid", condition=SQL_CONDITION))
    services.segments(owner).create(SegmentInput(name="Heavy", condition=STREAM_CONDITION))
    services.segments(owner).set_active_segment("Paid")
    report = services.reports(owner)
    customer = next(c for c in _every_customer(store) if c["plan"] == "growth")
    detail = report.customer("live", customer["id"])
    policy = _bound(store)
    assert detail.customer["id"] == customer["id"]
    assert [m.entitlement for m in detail.meters] == list(policy.plan("growth")["entitlements"])
    for meter in detail.meters:
        assert meter.limit == policy.limit(customer["id"], meter.entitlement)
        assert meter.value == (policy.value(customer["id"], meter.entitlement) or 0.0)
    assert detail.margin == services.customers(owner).get("live", customer["id"]).margin
    assert len(detail.grants) == len(customer["grants"])
    by_name = {m.name: m.matched for m in detail.segments}
    for name in ("Paid", "Heavy"):
        assert by_name[name] == services.segments(owner).evaluate(name, customer["id"], "live").matched
    assert detail.in_active is True and detail.active is not None and detail.active.name == "Paid"
    with pytest.raises(NotFound):
        report.customer("live", "cus_missing")


@pytest.mark.parametrize("condition", [None, SQL_CONDITION, STREAM_CONDITION])
def test_margin_and_usage_totals_equal_the_engine_over_the_members(services: Services, owner: Actor, store: Store,
                                                                   condition: str | None) -> None:  # fmt: skip
    if condition is not None:
        services.segments(owner).create(SegmentInput(name="Chosen", condition=condition))
        services.segments(owner).set_active_segment("Chosen")
    members = expected_members(store, condition or "true", "live")
    policy = _bound(store)
    snapshots = [policy.customer_local_margin_breakdown(cid) for cid in members]
    rollup = services.reports(owner).rollup("live")
    assert rollup.members == len(members)
    assert rollup.margin.revenue == pytest.approx(sum(s["revenue"] for s in snapshots if s))
    assert rollup.margin.cost == pytest.approx(sum(s["cost"] for s in snapshots if s))
    assert rollup.margin.without_revenue == sum(1 for s in snapshots if not s or s["revenue"] <= 0)
    assert sum(count for _, count in rollup.margin.buckets) == len(members) - rollup.margin.without_revenue
    lowest = rollup.margin.lowest
    assert [row.margin for row in lowest] == sorted(row.margin for row in lowest)
    everyone = {c["id"]: c for c in _every_customer(store)}
    for usage in rollup.usage:
        having = [cid for cid in members if usage.entitlement in (policy.plan(everyone[cid]["plan"]) or {}).get(
            "entitlements", {})]  # fmt: skip
        assert usage.customers == len(having)
        assert usage.used == pytest.approx(sum(policy.value(cid, usage.entitlement) or 0 for cid in having))
        limits = [(policy.value(cid, usage.entitlement) or 0, policy.limit(cid, usage.entitlement)) for cid in having]
        assert usage.over == sum(1 for value, limit in limits if limit and value >= limit)
        assert sum(usage.distribution) == usage.limited == sum(1 for _, limit in limits if limit)

    page = services.reports(owner).margin_page("live", limit=5)
    for row in page.rows:
        snapshot = policy.customer_local_margin_breakdown(row.id)
        assert (row.revenue, row.cost, row.margin) == (snapshot["revenue"], snapshot["cost"], snapshot["margin"])
    usage_page = services.reports(owner).usage_page("live", "api_requests", limit=5)
    assert [row.id for row in usage_page.rows] == [row.id for row in page.rows]


def test_the_rollup_is_cached_until_something_changes(services: Services, owner: Actor, store: Store) -> None:
    services.report_cache.fresh_ms = 0  # no fresh window: any change recomputes
    report = services.reports(owner)
    first = report.rollup("live")
    assert not first.cached
    assert report.rollup("live").cached
    customer = _every_customer(store)[0]
    services.customers(owner).patch("live", customer["id"], {"label": "Changed label"})
    assert not report.rollup("live").cached  # the change mark moved
    assert report.rollup("live").cached
    services.customers(owner).remove("live", customer["id"])
    after = report.rollup("live")
    assert not after.cached and after.members == first.members - 1
    services.segments(owner).create(SegmentInput(name="Paid", condition=SQL_CONDITION))
    services.segments(owner).set_active_segment("Paid")
    assert not report.rollup("live").cached  # another segment: another entry
    services.segments(owner).edit("Paid", SegmentChanges(condition='customer.plan == "growth"'))
    edited = report.rollup("live")
    assert not edited.cached
    assert edited.members == len(expected_members(store, 'customer.plan == "growth"', "live"))


def test_keys_see_everyone_viewers_read_and_unknowns_are_clear(services: Services, owner: Actor, store: Store) -> None:
    services.segments(owner).create(SegmentInput(name="Paid", condition=SQL_CONDITION))
    services.segments(owner).set_active_segment("Paid")
    created = services.keys(owner).create("reports", environment="test", role="viewer")
    key_actor = services.authenticate_key(created.secret)
    report = services.reports(key_actor)
    assert report.active_segment() is None
    assert _all_ids(report, "test") == sorted(c["id"] for c in _every_customer(store, "test"))
    with pytest.raises(Exception, match="test environment"):
        report.customers("live")
    with pytest.raises(NotFound):
        services.reports(owner).usage_page("live", "no_such_entitlement")
    with pytest.raises(InvalidRequest, match="buckets"):
        services.reports(owner).usage_over_time("live", "api_requests", buckets=0)
    with pytest.raises(InvalidRequest, match="since < until"):
        services.reports(owner).usage_over_time("live", "api_requests", since_ms=10, until_ms=10)
    assert [name for name, _ in services.reports(owner).entitlements("live")][:2] == ["api_requests", "ai_tokens"]


def test_within_the_fresh_window_a_change_serves_the_rollup_as_stale(services: Services, owner: Actor,
                                                                      store: Store) -> None:  # fmt: skip
    report = services.reports(owner)
    first = report.rollup("live")
    customer = _every_customer(store)[0]
    services.customers(owner).patch("live", customer["id"], {"label": "Changed again"})
    again = report.rollup("live")
    assert again.cached and again.stale and again.computed_at == first.computed_at
    store.put_policy("live", sample_policy(), import_customers=False)  # a new policy version: computed again
    assert not report.rollup("live").cached
    services.report_cache.fresh_ms = 0
    services.customers(owner).patch("live", customer["id"], {"label": "And again"})
    assert not report.rollup("live").cached


def test_hostile_input_is_a_clear_refusal(services: Services, owner: Actor) -> None:
    from segmentr.service import InvalidRequest

    report = services.reports(owner)
    with pytest.raises(InvalidRequest):
        report.customers("live", search="a\x00b")
    with pytest.raises(InvalidRequest):
        report.customers("live", after="cus\x00")
    with pytest.raises(InvalidRequest):
        report.customers("live", limit=0)
    with pytest.raises(NotFound):
        report.customer("live", "cus\x00")
    assert report.customers("live", search="%' OR 1=1 --").rows == []
    assert report.customers("live", search="x" * 5000).rows == []


def test_search_bounds_and_letters_beyond_ascii(services: Services, owner: Actor, store: Store) -> None:
    from segmentr.store.report_queries import search_bounds

    assert search_bounds("Ab", "sqlite") == ("ab", "ac")
    assert search_bounds("\ud7ff", "postgresql")[1] == "\ue000"  # never a surrogate
    assert search_bounds("\U0010ffff", "sqlite") == ("\U0010ffff", None)
    assert search_bounds("É", "sqlite")[0] == "É" and search_bounds("É", "postgresql")[0] == "é"
    services.customers(owner).put("live", {"id": "cus_émile", "plan": "free", "label": "Émile Zola",
                                           "metadata": {"email": "Emile@Example.org"}})  # fmt: skip
    report = services.reports(owner)
    assert _all_ids(report, search="Émile") == ["cus_émile"]  # as written: both databases
    assert _all_ids(report, search="emile@example") == ["cus_émile"]
    assert _all_ids(report, search="CUS_é") == ["cus_émile"]
    # lower case of a non-ASCII letter: PostgreSQL folds it, SQLite (ASCII-only lower()) does not
    assert _all_ids(report, search="émile") == (["cus_émile"] if store.dialect == "postgresql" else [])


def test_the_cache_is_bounded_and_ages(services: Services, owner: Actor) -> None:
    from segmentr.service import ReportCache

    rollup = services.reports(owner).rollup("live")
    cache = ReportCache(max_entries=2, ttl_ms=1000, fresh_ms=100)
    cache.put(("a",), "mark", 0, rollup)
    assert cache.get(("a",), "mark", 1000) == (rollup, False)  # the same mark: up to the TTL
    assert cache.get(("a",), "mark", 1001) is None
    assert cache.get(("a",), "moved", 100) == (rollup, True)  # the mark moved: within the fresh window, stale
    assert cache.get(("a",), "moved", 101) is None
    cache.computing(("a",))
    cache.put(("b",), "mark", 0, rollup)
    cache.put(("c",), "mark", 0, rollup)  # "a" is the least recently used: out, with its lock
    assert cache.get(("a",), "mark", 0) is None and cache.get(("c",), "mark", 0) is not None
    assert ("a",) not in cache._computing


def test_margins_are_priced_with_effective_prices(services: Services, owner: Actor, store: Store) -> None:
    """A pricing rule on a segment and a customer's own override change the margins as metering prices them."""
    services.segments(owner).create(SegmentInput(name="Paid", condition=SQL_CONDITION))
    report = services.reports(owner)
    before = report.rollup("live")
    services.pricing(owner).create("live", {"name": "Dear storage", "segment": "Paid", "priority": 10,
                                            "overrides": {"credit:storage_gb": {"amount": 5}}})  # fmt: skip
    # meters that do not reset (storage) hold usage past soft limits at the fixtures' time
    someone = next(c["id"] for c in _every_customer(store) if c["plan"] == "starter"
                   and (c["meters"].get("storage_gb") or {}).get("value", 0) > 10)  # fmt: skip
    services.pricing(owner).set_price_overrides("live", someone, {"credit:storage_gb": {"amount": 7}})
    after = report.rollup("live")
    assert not after.cached and after.margin.revenue > before.margin.revenue
    customer_service = services.customers(owner)
    ids = [cid for cid in expected_members(store, "true", "live")]
    expected_revenue = sum((customer_service.margin("live", cid) or {}).get("revenue", 0) for cid in ids)
    assert after.margin.revenue == pytest.approx(expected_revenue)
    for row in report.margin_page("live", limit=50).rows:
        assert (row.revenue, row.cost) == (customer_service.margin("live", row.id)["revenue"],
                                           customer_service.margin("live", row.id)["cost"])  # fmt: skip
    assert report.customer("live", someone).margin == customer_service.margin("live", someone)


def _used(services: Services, owner: Actor, env: str, customer_id: str, entitlement: str) -> float:
    return services.customers(owner).entitlement(env, customer_id, entitlement).value or 0


def test_usage_over_time_sums_the_event_log_filtered_by_the_active_segment(
    services: Services, owner: Actor, store: Store
) -> None:
    customers = services.customers(owner)
    every = _every_customer(store)
    growth = {c["id"] for c in every if c["plan"] in ("growth", "enterprise")}
    moved: dict[str, float] = {}
    for index, customer in enumerate(every[:12]):
        before = _used(services, owner, "live", customer["id"], "api_requests")
        result = customers.record_usage("live", customer["id"], "api_requests", index + 1)
        after = _used(services, owner, "live", customer["id"], "api_requests")
        if result.allowed and after != before:
            moved[customer["id"]] = after - before
    assert moved, "the sample's first customers meter api_requests"
    report = services.reports(owner)
    series = report.usage_over_time("live", "api_requests")
    assert len(series.x) == len(series.values) == 30 and series.width_ms == 86_400_000
    # everything was recorded now: the last daily bucket holds it all, summed by the database
    assert series.values[-1] == pytest.approx(sum(moved.values())) and sum(series.values[:-1]) == 0
    assert series.customers == len(moved) and not series.partial
    assert report.usage_over_time("live", "seats").values == [0.0] * 30  # no seat was recorded
    # a window that ends before the usage: nothing
    early = report.usage_over_time("live", "api_requests", since_ms=0, until_ms=1_000, buckets=4)
    assert early.values == [0.0] * 4 and early.x == [0, 0, 0, 0]

    # a SQL segment joins the customers in the query; an evaluated one is evaluated for the customers who used it
    services.segments(owner).create(SegmentInput(name="Paid", condition=SQL_CONDITION))
    services.segments(owner).set_active_segment("Paid")
    paid = report.usage_over_time("live", "api_requests")
    assert paid.values[-1] == pytest.approx(sum(v for cid, v in moved.items() if cid in growth))
    evaluated = 'customer.plan == "growth" || customer.plan.len() == 10'  # `.len()`: not a SQL shape
    services.segments(owner).create(SegmentInput(name="Evaluated", condition=evaluated))
    services.segments(owner).set_active_segment("Evaluated")
    members = set(expected_members(store, evaluated, "live"))
    assert report.usage_over_time("live", "api_requests").values[-1] == pytest.approx(
        sum(v for cid, v in moved.items() if cid in members))

    # the customer detail's events, newest first, each with its line
    first = next(iter(moved))
    events = report.recent_events("live", first)
    assert events and events[0].type in ("meter-changed", "meter-overage")
    assert events[0].summary.startswith("api_requests +")
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
