"""Deciding: segment at the moment of the event, then the condition, through re-arm; failures reported."""

from __future__ import annotations

from typing import Any

from notification_doubles import NOW, Clock, MemoryArmStates, make_policy

from segmentr.notifications import (
    CompiledConditions,
    EventCollector,
    InAppTarget,
    Notification,
    SegmentRef,
    WebhookTarget,
    condition_bindings,
    decide,
)
from segmentr.notifications.events import MeterOverage

GROWTH_OR_ENTERPRISE = SegmentRef("seg_paid", "Growth or Enterprise",
                                  'customer.plan == "growth" || customer.plan == "enterprise"', 1)
SEGMENTS = {GROWTH_OR_ENTERPRISE.id: GROWTH_OR_ENTERPRISE}
HOOK = WebhookTarget(url="https://hooks.example.com/segmentr")


def overage_notification(**fields: Any) -> Notification:
    values: dict[str, Any] = {"id": "ntf_overage", "name": "Paid customers in overage", "events": ["meter-overage"],
                              "segment": "seg_paid", "channels": [HOOK, InAppTarget()], "environment": "live"}
    values.update(fields)
    return Notification(**values)


class Scenario:
    """A live environment over the real policy engine: usage runs like the store will run it."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.policy = make_policy(self.clock)
        self.arm = MemoryArmStates()
        self.conditions = CompiledConditions()

    def create(self, customer_id: str, plan: str) -> None:
        self.policy.create_customer(customer_id, plan)

    def use(self, customer_id: str, value: float, notifications: list[Notification]) -> list[Any]:
        state = self.policy.customer(customer_id)
        assert state is not None
        collector = EventCollector("live", clock=self.policy.now)
        self.policy.with_customers({customer_id: state}, subscribers=[collector]).allow(customer_id, "api", value)
        decisions = []
        for event in collector.drain():
            decisions.append(decide(event, customer=state, policy=self.policy, notifications=notifications,
                                    segments=SEGMENTS, arm_states=self.arm, now=self.clock.now,
                                    conditions=self.conditions))
        return decisions

    def fired(self, customer_id: str, value: float, notifications: list[Notification]) -> list[str]:
        return [n for d in self.use(customer_id, value, notifications) for n in d.fired]


def test_the_seed_example_growth_in_overage_fires_free_does_not_until_it_upgrades() -> None:
    world = Scenario()
    notification = overage_notification()
    world.create("growth_co", "growth")
    world.create("free_co", "free")
    assert world.fired("growth_co", 1500, [notification]) == ["ntf_overage"]
    assert world.fired("free_co", 150, [notification]) == []  # in overage too, but not in the segment
    world.policy.set_customer_plan("free_co", "growth")  # meter kept at 150; growth's limit is 1000
    assert world.fired("free_co", 1000, [notification]) == ["ntf_overage"]  # at once, no re-sync


def test_a_fired_notification_writes_one_delivery_per_channel_with_stable_ids() -> None:
    world = Scenario()
    world.create("acme", "growth")
    (decision,) = world.use("acme", 1200, [overage_notification()])
    webhook, in_app = decision.deliveries
    assert (webhook.channel_index, in_app.channel_index) == (0, 1)
    assert webhook.id.startswith("dlv_") and webhook.webhook_id.startswith("msg_") and webhook.id != in_app.id
    body = webhook.body
    assert body["type"] == "meter-overage" and body["timestamp"] == "2024-06-01T00:00:00.000Z"
    data = body["data"]
    assert data["environment"] == "live" and data["id"] == webhook.event_id
    assert data["notification"] == {"id": "ntf_overage", "name": "Paid customers in overage"}
    assert data["segment"] == {"id": "seg_paid", "name": "Growth or Enterprise"}
    assert data["customer"]["id"] == "acme" and data["customer"]["plan"] == "growth"
    assert data["event"]["meter"]["value"] == 1200.0 and data["event"]["overage"] == 200.0


def test_the_same_event_decided_twice_gives_the_same_delivery_ids() -> None:
    world = Scenario()
    world.create("acme", "growth")
    state = world.policy.customer("acme")
    event = MeterOverage(id="evt_fixed", environment="live", customer_id="acme", at=NOW,
                         payload={"meter": {"value": 2000, "limit": 1000}}, entitlement_name="api", plan="growth")
    first, second = (decide(event, customer=state, policy=world.policy, notifications=[overage_notification()],
                            segments=SEGMENTS, arm_states=world.arm, now=NOW) for _ in range(2))
    assert [d.id for d in first.deliveries] == [d.id for d in second.deliveries]


def test_a_deleted_segment_never_matches_and_is_flagged() -> None:
    world = Scenario()
    world.create("acme", "growth")
    notification = overage_notification(segment="seg_gone")
    (decision,) = world.use("acme", 1500, [notification])
    assert decision.fired == [] and decision.deliveries == []
    (problem,) = decision.problems
    assert (problem.kind, problem.notification_id, problem.segment_id) == ("segment_deleted", "ntf_overage",
                                                                           "seg_gone")


def test_a_failing_segment_does_not_fire_and_is_reported() -> None:
    world = Scenario()
    world.create("acme", "growth")
    broken = {"seg_bad": SegmentRef("seg_bad", "Broken", "customer.plan.nope(1, 2, 3)", 1)}
    notification = overage_notification(segment="seg_bad")
    state = world.policy.customer("acme")
    collector = EventCollector("live", clock=world.policy.now)
    world.policy.with_customers({"acme": state}, subscribers=[collector]).allow("acme", "api", 1500)
    (event,) = collector.drain()
    decision = decide(event, customer=state, policy=world.policy, notifications=[notification], segments=broken,
                      arm_states=world.arm, now=NOW)
    assert decision.fired == []
    (problem,) = decision.problems
    assert problem.kind == "segment_failed" and problem.segment_id == "seg_bad" and problem.message


def test_a_condition_that_fails_at_run_time_is_reported_not_raised() -> None:
    world = Scenario()
    world.create("acme", "growth")
    notification = overage_notification(segment=None, condition="customer.meters.api.value / nope()")
    (decision,) = world.use("acme", 1500, [notification])
    assert decision.fired == []
    assert [p.kind for p in decision.problems] == ["condition_failed"]


def test_disabled_notifications_other_events_and_other_environments_do_not_fire() -> None:
    world = Scenario()
    world.create("acme", "growth")
    notifications = [
        overage_notification(id="ntf_off", enabled=False),
        overage_notification(id="ntf_changed", events=["meter-changed"]),
        overage_notification(id="ntf_test", environment="test"),
        overage_notification(id="ntf_both", environment="both"),
    ]
    assert world.fired("acme", 1500, notifications) == ["ntf_both"]


def test_a_disabled_channel_gets_no_delivery() -> None:
    world = Scenario()
    world.create("acme", "growth")
    notification = overage_notification(channels=[HOOK.model_copy(update={"disabled": True}), InAppTarget()])
    (decision,) = world.use("acme", 1500, [notification])
    assert decision.fired == ["ntf_overage"] and [d.channel.type for d in decision.deliveries] == ["in_app"]


def test_a_threshold_fires_once_per_crossing_and_rearms_when_it_turns_false() -> None:
    world = Scenario()
    world.create("acme", "growth")
    notification = overage_notification(events=["meter-changed", "meter-overage"], segment=None,
                                        condition="customer.meters.api.value >= 800")
    assert world.fired("acme", 700, [notification]) == []
    assert world.fired("acme", 150, [notification]) == ["ntf_overage"]  # 850: crossed
    assert world.fired("acme", 100, [notification]) == []  # 950: still past the line
    assert world.fired("acme", -300, [notification]) == []  # 650: turned false, re-armed
    assert world.fired("acme", 200, [notification]) == ["ntf_overage"]  # 850: crossed again


def test_a_meter_reset_rearms_the_threshold() -> None:
    world = Scenario()
    world.create("acme", "growth")
    notification = overage_notification(events=["meter-changed", "meter-overage"], segment=None,
                                        condition="customer.meters.api.value >= 5")
    assert world.fired("acme", 10, [notification]) == ["ntf_overage"]
    assert world.fired("acme", 10, [notification]) == []
    world.clock.now += 3_600_001  # a new period: the meter restarts at 0, this call takes it to 10
    assert world.fired("acme", 10, [notification]) == ["ntf_overage"]


def test_conditions_see_event_customer_data_and_policy() -> None:
    world = Scenario()
    world.create("acme", "growth")
    state = world.policy.customer("acme")
    assert state is not None
    state["metadata"] = {"tier": "pilot"}
    event = MeterOverage(id="evt_1", environment="live", customer_id="acme", at=NOW,
                         payload={"meter": {"value": 5}}, entitlement_name="api", plan="growth")
    bindings = condition_bindings(event, state, "policy-view")
    assert bindings == {"event": event.payload, "customer": state, "data": {"tier": "pilot"}, "policy": "policy-view"}
    notification = overage_notification(segment=None, condition='data.tier == "pilot" && '
                                        '?policy.limit(customer.id, "api") == 1000')
    decision = decide(event, customer=state, policy=world.policy, notifications=[notification], segments=SEGMENTS,
                      arm_states=world.arm, now=NOW)
    assert decision.fired == ["ntf_overage"]


def test_compiled_conditions_are_cached_by_source_and_remember_syntax_errors() -> None:
    conditions = CompiledConditions()
    assert conditions.get("customer.plan == 1") is conditions.get("customer.plan == 1")
    error = conditions.get("customer.plan ==")
    assert isinstance(error, Exception) and conditions.get("customer.plan ==") is error


def test_a_removed_customer_is_matched_on_the_state_it_was_removed_in() -> None:
    world = Scenario()
    world.create("acme", "growth")
    collector = EventCollector("live")
    world.policy.subscribe(collector)
    world.policy.delete_customer("acme")
    (removed,) = collector.drain()
    farewell = overage_notification(events=["customer-removed"])
    decision = decide(removed, customer=None, policy=world.policy, notifications=[farewell], segments=SEGMENTS,
                      arm_states=world.arm, now=NOW)
    assert decision.fired == ["ntf_overage"] and decision.deliveries[0].customer["plan"] == "growth"
