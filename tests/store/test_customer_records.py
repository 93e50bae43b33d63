"""Customers: CRUD with store-maintained timestamps, paging, and the CustomerSource the segments package reads."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from store_fixtures import TINY_POLICY, ManualClock

from segmentr.store import AlreadyExists, CustomerSource, InvalidData, NotFound, Store


def _meters() -> dict[str, dict[str, float]]:
    return {name: {"credit": "request", "started": 1, "value": float(i), "overhead": 0.0} for i, name in
            enumerate(("a", "b", "c", "d", "e"))}


def test_create_fills_defaults_and_sets_timestamps(store: Store, clock: ManualClock) -> None:
    created = store.create_customer("live", {"id": "c1", "cloud_created": 1, "cloud_updated": 2})
    assert created["plan"] == "" and created["type"] == "user" and created["label"] == "User"
    assert created["alt_ids"] == [] and created["meters"] == {} and created["metadata"] is None
    assert created["cloud_created"] == created["cloud_updated"] == clock.now  # set by the store, not the caller
    assert store.get_customer("live", "c1") == created
    with pytest.raises(AlreadyExists):
        store.create_customer("live", {"id": "c1"})


@pytest.mark.parametrize(
    "change",
    [
        {"plan": "pro"},
        {"metadata": {"tier": "gold"}},
        {"meters": {"api": {"credit": "request", "started": 1, "value": 3.0, "overhead": 0}}},
        {"grants": {"g1": {"id": "g1", "credit": "ai_token", "value": 10}}},
    ],
)
def test_every_change_moves_cloud_updated(store: Store, clock: ManualClock, change: dict) -> None:
    created = store.create_customer("live", {"id": "c1", "plan": "free"})
    clock.advance(1000)
    updated = store.update_customer("live", "c1", **change)
    assert updated["cloud_updated"] == created["cloud_updated"] + 1000
    assert updated["cloud_created"] == created["cloud_created"]
    stored = store.get_customer("live", "c1")
    assert stored == updated
    clock.advance(1000)
    assert store.update_customer("live", "c1", **change)["cloud_updated"] == updated["cloud_updated"]  # no-op


def test_update_rejects_unknown_fields_and_bad_types(store: Store) -> None:
    store.create_customer("live", {"id": "c1"})
    with pytest.raises(InvalidData):
        store.update_customer("live", "c1", cloud_created=5)
    with pytest.raises(InvalidData):
        store.update_customer("live", "c1", metadata=[1, 2])
    with pytest.raises(NotFound):
        store.update_customer("live", "ghost", plan="pro")


def test_delete_and_environment_isolation(store: Store) -> None:
    store.create_customer("live", {"id": "c1", "plan": "pro"})
    store.create_customer("test", {"id": "c1", "plan": "free"})
    store.delete_customer("live", "c1")
    with pytest.raises(NotFound):
        store.get_customer("live", "c1")
    assert store.get_customer("test", "c1")["plan"] == "free"
    with pytest.raises(NotFound):
        store.delete_customer("live", "c1")


def test_paging_is_keyset_by_id(store: Store) -> None:
    for index in range(25):
        store.create_customer("live", {"id": f"c{index:02d}"})
    first = store.list_customers("live", limit=10)
    second = store.list_customers("live", after=first[-1]["id"], limit=10)
    third = store.list_customers("live", after=second[-1]["id"], limit=10)
    ids = [c["id"] for c in first + second + third]
    assert ids == [f"c{index:02d}" for index in range(25)]
    assert store.count_customers("live") == 25


def test_metadata_keeps_json_types(store: Store) -> None:
    metadata = {"email": "a@b.io", "seats": "12", "n": 3, "f": 1.5, "ok": True, "none": None, "deep": {"x": [1]}}
    store.create_customer("live", {"id": "c1", "metadata": metadata})
    assert store.get_customer("live", "c1")["metadata"] == metadata


def test_customer_source(store: Store) -> None:
    store.put_policy("live", TINY_POLICY)
    for index in range(7):
        store.create_customer("live", {"id": f"c{index}", "plan": "pro", "meters": _meters()})
    source = store.customers()
    assert isinstance(source, CustomerSource)
    assert source.policy("live").plans().keys() == {"free", "pro"}
    loaded = source.load("live", "c3")
    assert loaded is not None and set(loaded["meters"]) == {"a", "b", "c", "d", "e"}
    assert "cloud_created" in loaded and "cloud_updated" in loaded
    assert source.load("live", "nobody") is None
    assert source.load("test", "c3") is None
    batches = list(source.stream("live", batch_size=3))
    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert [c["id"] for batch in batches for c in batch] == [f"c{index}" for index in range(7)]


def test_loading_a_customer_is_one_query_whatever_its_meters(store: Store) -> None:
    store.create_customer("live", {"id": "few", "meters": {}})
    store.create_customer("live", {"id": "many", "meters": _meters()})
    source = store.customers()
    source.load("live", "few")  # resolves and caches the environment id
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        source.load("live", "few")
        few = len(statements)
        statements.clear()
        source.load("live", "many")
        many = len(statements)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert few == many
    assert len(selects) == 1
