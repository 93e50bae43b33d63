"""Typed events: what the policy engine sends becomes typed events, collected during one change."""

from __future__ import annotations

import pytest
from notification_doubles import NOW, Clock, make_policy

from segmentr.notifications import EVENT_TYPES, EventCollector, from_policy
from segmentr.notifications.events import (
    CustomerPlanChanged,
    CustomerRemoved,
    CustomerSet,
    CustomerTopupGranted,
    MeterChanged,
    MeterLimit,
    MeterOverage,
    MeterReset,
    SegmentEntered,
)


def test_a_metering_call_collects_typed_meter_events() -> None:
    clock = Clock()
    policy = make_policy(clock)
    policy.create_customer("acme", "growth")
    state = policy.export_customer("acme")
    collector = EventCollector("live", clock=policy.now)
    bound = policy.with_customers({"acme": state}, subscribers=[collector])
    assert bound.allow("acme", "api", 10)
    assert bound.allow("acme", "api", 1000)
    changed, overage = collector.drain()
    assert isinstance(changed, MeterChanged) and changed.type == "meter-changed"
    assert isinstance(overage, MeterOverage)
    assert (overage.customer_id, overage.environment, overage.at) == ("acme", "live", NOW)
    assert (overage.entitlement, overage.plan, overage.previous, overage.value, overage.limit) == (
        "api", "growth", 10.0, 1010.0, 1000.0)
    assert overage.payload["overage"] == 10.0
    assert overage.id.startswith("evt_") and overage.id != changed.id
    assert collector.events == []


def test_a_new_period_sends_meter_reset_before_the_meter_event() -> None:
    clock = Clock()
    policy = make_policy(clock)
    policy.create_customer("acme", "growth")
    collector = EventCollector("test", clock=policy.now)
    bound = policy.with_customers({"acme": policy.export_customer("acme")}, subscribers=[collector])
    bound.allow("acme", "api", 5)
    clock.now += 3_600_001  # past the hour (the period boundary itself still belongs to the old one)
    bound.allow("acme", "api", 5)
    kinds = [type(e) for e in collector.drain()]
    assert kinds == [MeterChanged, MeterReset, MeterChanged]


def test_a_hard_limit_refusal_is_meter_limit() -> None:
    policy = make_policy(Clock())
    document = policy.to_document()
    document["policy"]["plans"]["free"]["entitlements"]["api"]["limit"]["mode"] = "hard"
    hard = type(policy).from_document(document, clock=Clock())
    hard.create_customer("c", "free")
    collector = EventCollector("live")
    bound = hard.with_customers({"c": hard.export_customer("c")}, subscribers=[collector])
    assert not bound.allow("c", "api", 500)
    (event,) = collector.drain()
    assert isinstance(event, MeterLimit) and event.value == 0.0 and event.payload["invalid_value"] == 500.0


def test_customer_events_are_typed_with_their_fields() -> None:
    policy = make_policy(Clock())
    collector = EventCollector("live")
    policy.subscribe(collector)
    policy.create_customer("acme", "free")
    policy.set_customer_plan("acme", "growth")
    policy.delete_customer("acme")
    events = collector.drain()
    assert [type(e) for e in events] == [CustomerSet, CustomerSet, CustomerPlanChanged, CustomerRemoved]
    plan_changed = events[2]
    assert isinstance(plan_changed, CustomerPlanChanged)
    assert (plan_changed.previous_plan, plan_changed.new_plan, plan_changed.customer_id) == ("free", "growth", "acme")
    assert events[0].customer_id == "acme" and events[0].payload["plan"] == "free"


def test_topup_granted_names_its_topup() -> None:
    event = from_policy("customer-topup-granted", {"customer": "acme", "topup_name": "boost", "plan_name": "growth",
                                                   "topup": {}}, environment="live", at=NOW, id="evt_1")
    assert isinstance(event, CustomerTopupGranted) and (event.topup_name, event.plan_name) == ("boost", "growth")


@pytest.mark.parametrize("name", sorted(EVENT_TYPES - {"segment-entered", "segment-exited"}))
def test_every_policy_event_type_converts_with_a_stable_type(name: str) -> None:
    event = from_policy(name, {"customer": {"id": "holder"}, "entitlement": "api"}, environment="live", at=1,
                        id="evt_x")
    assert event is not None and event.type == name
    assert event.customer_id == ("" if name.startswith("plan-") else "holder")


def test_cloud_internal_events_are_not_typed() -> None:
    assert from_policy("internal-policy-updated", {}, environment="live", at=1, id="evt_x") is None


def test_segment_events_are_types_too() -> None:
    assert {"segment-entered", "segment-exited"} <= EVENT_TYPES
    assert SegmentEntered.type == "segment-entered"


def test_a_collector_can_keep_the_ids_a_replay_gives() -> None:
    ids = iter(["evt_a", "evt_b"])
    collector = EventCollector("live", ids=lambda at: next(ids))
    collector("customer-set", {"id": "c"})
    collector("customer-removed", {"id": "c"})
    assert [e.id for e in collector.drain()] == ["evt_a", "evt_b"]
