"""Usage through the service on both databases: atomic with its idempotency record, replayed on retry, never
metered twice by concurrent calls with one key; batches answer each record; roles and environments apply."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from segmentr.errors import IdempotencyKeyReused, InvalidInput, NotFound, PermissionDenied
from segmentr.service import Actor, CustomerService, Services, UsageRecord
from segmentr.store import Store, auth, idempotency


def _customer(store: Store, env: str = "live") -> tuple[str, str]:
    """A customer of the sample policy and one of its plan's metered entitlements."""
    customer = store.list_customers(env, limit=1)[0]
    plan = store.live_policy(env).plans()[customer["plan"]]
    return customer["id"], next(iter(plan["entitlements"]))


def _meter(store: Store, customer_id: str, entitlement: str, env: str = "live") -> float:
    """The meter's value this period, as the engine reads it (a period that ended reads 0)."""
    policy = store.live_policy(env).with_customers({customer_id: store.get_customer(env, customer_id)})
    return float(policy.value(customer_id, entitlement) or 0)


def _records(store: Store, workspace_id: str) -> int:
    with store.session() as session:
        return session.execute(
            idempotency.select(idempotency._C.key).where(idempotency._C.workspace_id == workspace_id)  # type: ignore[attr-defined]
        ).all().__len__()


@pytest.fixture
def customers(services: Services, owner: Actor) -> CustomerService:
    return services.customers(owner)


def test_usage_meters_and_a_retry_replays(customers: CustomerService, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    before = _meter(store, customer_id, entitlement)
    first = customers.record_usage("live", customer_id, entitlement, 2, idempotency_key="req-1")
    assert first.allowed and first.value == before + 2 and not first.replayed
    assert "meter-changed" in [event["type"] for event in first.events]
    again = customers.record_usage("live", customer_id, entitlement, 2, idempotency_key="req-1")
    assert again.replayed and again.to_dict() == first.to_dict()
    assert _meter(store, customer_id, entitlement) == before + 2
    with pytest.raises(IdempotencyKeyReused) as refused:
        customers.record_usage("live", customer_id, entitlement, 3, idempotency_key="req-1")
    assert refused.value.code == "idempotency_key_reused"
    assert _meter(store, customer_id, entitlement) == before + 2


def test_a_failed_usage_call_keeps_neither_meter_nor_record(
    customers: CustomerService, store: Store, owner: Actor
) -> None:
    customer_id, entitlement = _customer(store)
    with pytest.raises(InvalidInput) as refused:
        customers.record_usage("live", customer_id, "no_such_entitlement", 1, idempotency_key="bad")
    assert refused.value.field == "entitlement"
    with pytest.raises(NotFound):
        customers.record_usage("live", "no-such-customer", entitlement, 1, idempotency_key="bad2")
    assert _records(store, owner.workspace_id) == 0
    # the key was not spent: the corrected call runs
    assert not customers.record_usage("live", customer_id, entitlement, 1, idempotency_key="bad").replayed


def test_concurrent_calls_with_one_key_meter_once(customers: CustomerService, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    before = _meter(store, customer_id, entitlement)
    callers = 6
    barrier = threading.Barrier(callers)
    results: list[Any] = []

    def call() -> None:
        barrier.wait()
        try:
            results.append(customers.record_usage("live", customer_id, entitlement, 1, idempotency_key="same"))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _meter(store, customer_id, entitlement) == before + 1
    answers = [r for r in results if not isinstance(r, Exception)]
    assert len([a for a in answers if not a.replayed]) == 1
    assert all(a.value == before + 1 for a in answers)
    assert all(getattr(r, "code", None) == "idempotency_in_progress" for r in results if isinstance(r, Exception))


def test_concurrent_calls_without_a_key_all_meter(customers: CustomerService, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    before = _meter(store, customer_id, entitlement)
    threads = [
        threading.Thread(target=customers.record_usage, args=("live", customer_id, entitlement, 1)) for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _meter(store, customer_id, entitlement) == before + 5


def test_a_batch_answers_each_record_in_order(customers: CustomerService, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    before = _meter(store, customer_id, entitlement)
    items = customers.batch_usage(
        "live",
        [
            UsageRecord(customer_id, entitlement, 1, idempotency_key="b1"),
            UsageRecord("ghost", entitlement, 1),
            UsageRecord(customer_id, "nope", 1),
            UsageRecord(customer_id, entitlement, True),  # type: ignore[arg-type]
            UsageRecord(customer_id, entitlement, 2),
        ],
    )
    assert [item.error is None for item in items] == [True, False, False, False, True]
    assert isinstance(items[1].error, NotFound) and isinstance(items[2].error, InvalidInput)
    assert items[0].result is not None and items[0].result.value == before + 1
    assert items[4].result is not None and items[4].result.value == before + 3
    assert _meter(store, customer_id, entitlement) == before + 3
    replayed = customers.batch_usage("live", [UsageRecord(customer_id, entitlement, 1, idempotency_key="b1")])
    assert replayed[0].result is not None and replayed[0].result.replayed
    assert _meter(store, customer_id, entitlement) == before + 3
    with pytest.raises(InvalidInput):
        customers.batch_usage("live", [UsageRecord(customer_id, entitlement, 1)] * 1001)


def test_a_batch_record_has_its_own_events_and_its_own_failure(
    services: Services, owner: Actor, customers: CustomerService, store: Store
) -> None:
    """The batch meters every record on one bound policy: a record's events are its own, a failed record (its
    customer, entitlement or value) leaves none behind for the next, and repeats of a failure fail alike."""
    customer_id, entitlement = _customer(store)
    before = _meter(store, customer_id, entitlement)
    items = customers.batch_usage(
        "live",
        [
            UsageRecord(customer_id, entitlement, 1, event_data={"n": 1}),
            UsageRecord(customer_id, "nope", 1),
            UsageRecord(customer_id, "nope", 1),
            UsageRecord("ghost", entitlement, 1),
            UsageRecord("ghost", entitlement, 1),
            UsageRecord(customer_id, entitlement, "not a quantity"),
            UsageRecord(customer_id, entitlement, 2, event_data={"n": 2}, idempotency_key="own-1"),
            UsageRecord(customer_id, entitlement, 3, event_data={"n": 3}),
        ],
    )
    assert [item.error is None for item in items] == [True, False, False, False, False, False, True, True]
    assert all(isinstance(items[i].error, InvalidInput) for i in (1, 2, 5))
    assert all(isinstance(items[i].error, NotFound) for i in (3, 4))
    values = {0: 1, 6: 2, 7: 3}
    for index, value in values.items():
        result = items[index].result
        assert result is not None
        changed = [event for event in result.events if event["type"] == "meter-changed"]
        assert len(changed) == 1, result.events
        assert changed[0]["data"]["meter"]["diff"] == value and changed[0]["data"]["event_data"] == {"n": value}
        assert all(event["data"]["customer"] == customer_id for event in result.events)
    assert items[7].result is not None and items[7].result.value == before + 6
    replayed = customers.batch_usage("live", [UsageRecord(customer_id, entitlement, 2, event_data={"n": 2},
                                                          idempotency_key="own-1")])  # fmt: skip
    assert replayed[0].result is not None and replayed[0].result.replayed
    assert items[6].result is not None and replayed[0].result.to_dict() == items[6].result.to_dict()
    logged = services.events(owner).list("live", customer=customer_id, types=["meter-changed"], limit=10).data
    assert sorted(event.payload["meter"]["diff"] for event in logged) == [1, 2, 3]


def test_check_and_entitlement_change_nothing(customers: CustomerService, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    before = store.get_customer("live", customer_id)
    checked = customers.check_usage("live", customer_id, entitlement, 1)
    reading = customers.entitlement("live", customer_id, entitlement)
    assert checked.value == reading.value and reading.entitlement == entitlement
    assert store.get_customer("live", customer_id) == before
    with pytest.raises(NotFound):
        customers.entitlement("live", customer_id, "nope")


def test_viewers_and_other_environments_cannot_meter(services: Services, owner: Actor, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    viewer = services.authenticate_key(services.keys(owner).create("v", environment="live", role="viewer").secret)
    with pytest.raises(PermissionDenied):
        services.customers(viewer).record_usage("live", customer_id, entitlement, 1)
    assert services.customers(viewer).check_usage("live", customer_id, entitlement, 1) is not None
    test_key = services.authenticate_key(services.keys(owner).create("t", environment="test", role="editor").secret)
    with pytest.raises(PermissionDenied) as refused:
        services.customers(test_key).record_usage("live", customer_id, entitlement, 1)
    assert refused.value.code == "environment_mismatch"


def test_keys_and_members_have_their_own_idempotency_keys(services: Services, owner: Actor, store: Store) -> None:
    customer_id, entitlement = _customer(store)
    key = services.authenticate_key(services.keys(owner).create("k", environment="live", role="editor").secret)
    before = _meter(store, customer_id, entitlement)
    services.customers(owner).record_usage("live", customer_id, entitlement, 1, idempotency_key="shared")
    services.customers(key).record_usage("live", customer_id, entitlement, 1, idempotency_key="shared")
    assert _meter(store, customer_id, entitlement) == before + 2
    with store.session() as session:
        assert auth.list_api_keys(session=session, workspace_id=owner.workspace_id)


def test_a_keyed_batch_commits_its_meters_and_its_record_together(
    customers: CustomerService, store: Store, owner: Actor
) -> None:
    """The call-level key is claimed and completed in the batch's transaction: a crash before the answer is kept
    leaves neither the meters nor a claim (the retry runs at once, no stale claim to wait out), and the kept
    answer then replays without metering."""
    customer_id, entitlement = _customer(store)
    before = _meter(store, customer_id, entitlement)
    batch = [UsageRecord(customer_id, entitlement, 1, idempotency_key="rec"), UsageRecord(customer_id, entitlement, 2)]

    def crash(_: list[Any]) -> Any:
        raise RuntimeError("the process died while answering")

    with pytest.raises(RuntimeError):
        customers.batch_usage_keyed("live", batch, idempotency_key="call", request="fp", answer=crash)
    assert _meter(store, customer_id, entitlement) == before and _records(store, owner.workspace_id) == 0

    def answer(items: list[Any]) -> Any:
        return [item.result.value for item in items]

    first = customers.batch_usage_keyed("live", batch, idempotency_key="call", request="fp", answer=answer)
    assert not first.replayed and first.body == [before + 1, before + 3]
    again = customers.batch_usage_keyed("live", batch, idempotency_key="call", request="fp", answer=crash)
    assert again.replayed and again.body == first.body
    assert _meter(store, customer_id, entitlement) == before + 3
    with pytest.raises(IdempotencyKeyReused):
        customers.batch_usage_keyed("live", batch, idempotency_key="call", request="other", answer=answer)
