"""segment-entered / segment-exited from previous and new membership."""

from __future__ import annotations

from notification_doubles import NOW, Clock, MemoryArmStates, MemoryMemberships, make_policy

from segmentr.notifications import (
    InAppTarget,
    Notification,
    SegmentRef,
    decide,
    membership_changes,
    watched_segments,
)
from segmentr.notifications.events import SegmentEntered, SegmentExited

PAID = SegmentRef("seg_paid", "Paid", 'customer.plan == "growth" || customer.plan == "enterprise"')
HEAVY = SegmentRef("seg_heavy", "Heavy", "customer.meters.api.value > 500")


def test_watched_segments_are_those_enter_exit_notifications_reference() -> None:
    notifications = [
        Notification(name="a", events=["segment-entered"], segment="seg_paid", channels=[InAppTarget()]),
        Notification(name="b", events=["meter-overage"], segment="seg_heavy", channels=[InAppTarget()]),
        Notification(name="c", events=["segment-exited"], segment="seg_x", channels=[InAppTarget()],
                     environment="test"),
        Notification(name="d", events=["segment-exited"], segment="seg_y", channels=[InAppTarget()], enabled=False),
    ]
    assert watched_segments(notifications, "live") == {"seg_paid"}
    assert watched_segments(notifications, "test") == {"seg_paid", "seg_x"}


def test_an_upgrade_enters_and_a_downgrade_exits() -> None:
    policy = make_policy(Clock())
    policy.create_customer("acme", "free")
    store = MemoryMemberships()

    def change(cause: str) -> list[object]:
        decision = membership_changes(environment="live", customer_id="acme", customer=policy.customer("acme"),
                                      policy=policy, watched=[PAID, HEAVY], previous=store.of("live", "acme"),
                                      cause_id=cause, at=NOW, memberships=store)
        assert decision.problems == []
        return decision.events

    assert change("evt_0") == []
    policy.set_customer_plan("acme", "growth")
    (entered,) = change("evt_1")
    assert isinstance(entered, SegmentEntered) and entered.segment_id == "seg_paid"
    assert entered.payload["segment"] == {"id": "seg_paid", "name": "Paid"}
    assert store.of("live", "acme") == {"seg_paid": NOW}
    assert change("evt_2") == []  # still in: nothing
    policy.set_customer_plan("acme", "starter")
    (exited,) = change("evt_3")
    assert isinstance(exited, SegmentExited) and store.of("live", "acme") == {}


def test_a_removed_customer_exits_every_segment_it_was_in() -> None:
    policy = make_policy(Clock())
    decision = membership_changes(environment="live", customer_id="gone", customer=None, policy=policy,
                                  watched=[PAID, HEAVY], previous={"seg_paid": 1}, cause_id="evt_9", at=NOW)
    assert [(type(e), e.segment_id) for e in decision.events] == [(SegmentExited, "seg_paid")]  # type: ignore[attr-defined]


def test_a_failing_segment_keeps_membership_and_is_reported() -> None:
    policy = make_policy(Clock())
    policy.create_customer("acme", "growth")
    broken = SegmentRef("seg_bad", "Broken", "customer.plan.nope(1)")
    decision = membership_changes(environment="live", customer_id="acme", customer=policy.customer("acme"),
                                  policy=policy, watched=[broken], previous={"seg_bad": 1}, cause_id="evt_1", at=NOW)
    assert decision.events == [] and [p.kind for p in decision.problems] == ["segment_failed"]


def test_membership_events_have_ids_from_their_cause_and_fire_notifications() -> None:
    policy = make_policy(Clock())
    policy.create_customer("acme", "growth")
    args = dict(environment="live", customer_id="acme", customer=policy.customer("acme"), policy=policy,
                watched=[PAID], previous={}, cause_id="evt_cause", at=NOW)
    first, again = membership_changes(**args).events, membership_changes(**args).events  # type: ignore[arg-type]
    assert [e.id for e in first] == [e.id for e in again]
    welcome = Notification(name="Welcome to paid", events=["segment-entered"], segment="seg_paid",
                           channels=[InAppTarget()])
    decision = decide(first[0], customer=policy.customer("acme"), policy=policy, notifications=[welcome],
                      segments={PAID.id: PAID}, arm_states=MemoryArmStates(), now=NOW)
    assert decision.fired == [welcome.id]


def test_an_exit_fires_the_notification_scoped_to_the_segment_left_and_no_other() -> None:
    policy = make_policy(Clock())
    policy.create_customer("acme", "free")
    args = dict(environment="live", customer_id="acme", customer=policy.customer("acme"), policy=policy,
                watched=[PAID], previous={"seg_paid": 1}, cause_id="evt_left", at=NOW)
    (left,) = membership_changes(**args).events  # type: ignore[arg-type]
    goodbye = Notification(name="Left paid", events=["segment-exited"], segment="seg_paid", channels=[InAppTarget()])
    elsewhere = Notification(name="Left heavy", events=["segment-exited"], segment=HEAVY.id,
                             channels=[InAppTarget()])
    decision = decide(left, customer=policy.customer("acme"), policy=policy, notifications=[goodbye, elsewhere],
                      segments={PAID.id: PAID, HEAVY.id: HEAVY}, arm_states=MemoryArmStates(), now=NOW)
    assert decision.fired == [goodbye.id] and decision.problems == []
