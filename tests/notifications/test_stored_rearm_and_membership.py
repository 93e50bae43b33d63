"""Stored decisions: re-arm per crossing (and on a meter reset), replays that never fire twice, segment-entered /
-exited on a change, on an edit of the segment and on the sweep, and a deleted segment's notification flagged."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from notification_doubles import NOW, Clock
from stored_helpers import Stored, customer, open_store

from segmentr.errors import SegmentInUse
from segmentr.notifications.events import MeterChanged
from segmentr.service import SegmentChanges
from segmentr.service.decisions import decider_for

THRESHOLD = "event.meter.value >= event.meter.limit * 0.8"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def timed(db_url: str, clock: Clock) -> Iterator[Stored]:
    store = open_store(db_url, clock=clock)
    try:
        yield Stored(store)
    finally:
        store.close()


def in_app(stored: Stored, *, events: list[str], segment: str | None = None, condition: str | None = None,
           environment: str = "live") -> str:
    return stored.notifications.create({
        "name": "Watch", "environment": environment, "events": events, "segment": segment, "condition": condition,
        "channels": [{"type": "in_app"}],
    }).notification.id


def decided(stored: Stored, notification_id: str) -> list[str]:
    """Event types of the notification's deliveries, oldest first."""
    page = stored.notifications.deliveries(notification_id, limit=100)
    return [d.event_type for d in reversed(page.data)]


def test_a_threshold_fires_once_per_crossing_and_rearms_on_the_way_down_and_on_reset(timed: Stored,
                                                                                    clock: Clock) -> None:
    notification = in_app(timed, events=["meter-changed"], condition=THRESHOLD)
    timed.customers.put("live", customer("c1", "free"))  # limit 100, resets hourly
    timed.customers.record_usage("live", "c1", "api", 50)
    assert decided(timed, notification) == []
    timed.customers.record_usage("live", "c1", "api", 35)  # 85: crosses 80
    timed.customers.record_usage("live", "c1", "api", 5)  # 90: still past, quiet
    assert decided(timed, notification) == ["meter-changed"]
    timed.customers.record_usage("live", "c1", "api", -30)  # 60: below, re-armed
    timed.customers.record_usage("live", "c1", "api", 25)  # 85: crosses again
    assert decided(timed, notification) == ["meter-changed"] * 2
    clock.now += 3_600_001  # a new period: the meter resets, the threshold re-arms
    timed.customers.record_usage("live", "c1", "api", 90)
    assert decided(timed, notification) == ["meter-changed"] * 3


def test_replays_never_fire_twice(stored: Stored) -> None:
    notification = in_app(stored, events=["meter-changed"], condition=THRESHOLD)
    stored.customers.put("live", customer("c1", "free"))
    first = stored.customers.record_usage("live", "c1", "api", 90, idempotency_key="k1")
    again = stored.customers.record_usage("live", "c1", "api", 90, idempotency_key="k1")
    assert again.replayed and again.events == first.events
    assert decided(stored, notification) == ["meter-changed"]
    # the same event decided again (a redelivered change): no second delivery, no new log entry
    event = stored.events.list("live", types=["meter-changed"]).data[0]
    replay = MeterChanged(id=event.id, environment="live", customer_id="c1", at=event.at, payload=event.payload,
                          entitlement_name="api", plan="free")
    store = stored.store
    environment_id = store.environment_record(stored.owner.workspace_id, "live").id
    for _ in range(2):
        with store.transaction(write=True) as uow:
            policy = uow.live_policy(environment_id)
            state = dict(stored.customers.get("live", "c1").customer)
            outcome = decider_for(store).after_change(
                uow, workspace_id=stored.owner.workspace_id, environment="live", environment_id=environment_id,
                customer_id="c1", customer=state, policy=policy.with_customers({"c1": state}), events=[replay])
            assert outcome.deliveries == []  # the arm state has seen it
    assert decided(stored, notification) == ["meter-changed"]
    assert len(stored.events.list("live", types=["meter-changed"]).data) == 1


def test_enter_and_exit_on_customer_changes(stored: Stored) -> None:
    growth = stored.segment("Growth", 'customer.plan == "growth"')
    stored.customers.put("live", customer("early", "growth"))  # a member before anyone watches
    notification = in_app(stored, events=["segment-entered", "segment-exited"], segment=growth)
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.patch("live", "c1", {"plan": "growth"})
    stored.customers.patch("live", "c1", {"metadata": {"x": 1}})  # still in: nothing
    stored.customers.patch("live", "c1", {"plan": "free"})
    stored.customers.patch("live", "c1", {"plan": "growth"})
    stored.customers.remove("live", "c1")
    stored.customers.remove("live", "early")  # seeded as a member: it leaves
    assert decided(stored, notification) == ["segment-entered", "segment-exited", "segment-entered",
                                              "segment-exited", "segment-exited"]
    events = stored.events.list("live", types=["segment-entered", "segment-exited"], limit=100).data
    assert {e.payload["segment"]["id"] for e in events} == {growth}


def test_enter_and_exit_through_an_edit_of_the_segment(stored: Stored) -> None:
    segment = stored.segment("Gold", 'customer.metadata?.tier == "gold"')
    stored.customers.put("live", customer("gold1", "free", tier="gold"))
    stored.customers.put("live", customer("plain", "free"))
    notification = in_app(stored, events=["segment-entered", "segment-exited"], segment=segment)
    stored.segments.edit(segment, SegmentChanges(condition='customer.metadata?.tier != "gold"'))
    page = stored.notifications.deliveries(notification, limit=100).data
    assert sorted((d.event_type, d.customer_id) for d in page) == [
        ("segment-entered", "plain"), ("segment-exited", "gold1")]
    # the edit's events are stable: reconciling the same version again decides nothing new
    decider_for(stored.store).reconcile(stored.owner.workspace_id, segment, cause=f"edit:{segment}@2")
    assert len(stored.notifications.deliveries(notification, limit=100).data) == 2


def test_the_sweep_notices_time_passing(stored: Stored) -> None:
    recent = stored.segment("Recently created",
                            "const ts: ms = Time.now() - 2s;\n"
                            "customer.cloud_created != null && customer.cloud_created > ts")
    notification = in_app(stored, events=["segment-exited"], segment=recent)
    stored.customers.put("live", customer("new", "free"))
    assert decided(stored, notification) == []
    decider_for(stored.store).sweep()
    assert decided(stored, notification) == []
    time.sleep(2.2)
    decider_for(stored.store).sweep()
    assert decided(stored, notification) == ["segment-exited"]
    decider_for(stored.store).sweep()
    assert decided(stored, notification) == ["segment-exited"]


def test_a_deleted_segment_never_fires_and_is_flagged(stored: Stored) -> None:
    growth = stored.segment("Growth", 'customer.plan == "growth"')
    notification = in_app(stored, events=["meter-changed"], segment=growth)
    stored.customers.put("live", customer("c1", "growth"))
    with pytest.raises(SegmentInUse) as refused:
        stored.segments.delete(growth)
    assert refused.value.references == [
        {"type": "notification", "environment": "live", "id": notification, "name": "Watch"}]
    assert stored.segments.usage(growth).references == refused.value.references
    stored.segments.delete(growth, force=True)
    stored.customers.record_usage("live", "c1", "api", 1)
    assert decided(stored, notification) == []
    view = stored.notifications.get(notification)
    assert view.segment_deleted
    assert view.error_count == 1 and "segment_deleted" in (view.last_error or "")


def test_a_failing_condition_does_not_fire_is_recorded_and_never_fails_the_usage_call(stored: Stored) -> None:
    failing = stored.segment("Broken", "customer.plan.nope()")
    notification = in_app(stored, events=["meter-changed"], segment=failing)
    other = in_app(stored, events=["meter-changed"], condition="event.meter.value.nope()")
    stored.customers.put("live", customer("c1", "growth"))
    result = stored.customers.record_usage("live", "c1", "api", 1)
    assert result.allowed
    assert decided(stored, notification) == [] and decided(stored, other) == []
    assert stored.segments.get(failing).error_count >= 1
    assert stored.notifications.get(notification).error_count == 1
    assert stored.notifications.get(other).error_count == 1


def test_a_deleted_watched_segment_forgets_its_members_and_decides_nothing(stored: Stored) -> None:
    from sqlalchemy import text

    growth = stored.segment("Growth", 'customer.plan == "growth"')
    notification = in_app(stored, events=["segment-entered", "segment-exited"], segment=growth)
    stored.customers.put("live", customer("c1", "growth"))
    assert decided(stored, notification) == ["segment-entered"]
    stored.segments.delete(growth, force=True)
    with stored.store.engine.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM segment_memberships")).scalar()
    assert left == 0
    stored.customers.patch("live", "c1", {"plan": "free"})
    assert decided(stored, notification) == ["segment-entered"]
