"""The relay over an in-memory outbox: attempts logged, the retry schedule, Retry-After, 410, manual retry."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notification_doubles import NOW, Clock, MemoryAlerts, MemoryOutbox, Receiver

from segmentr.notifications import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE_S,
    AlertState,
    DeliveryRejected,
    EndpointGone,
    InAppTarget,
    Notification,
    Relay,
    RetryLater,
    WebhookTarget,
    next_attempt_at,
    webhook_body,
)
from segmentr.notifications.channels import InAppChannel, MockChannel, SendResult, WebhookChannel
from segmentr.notifications.deliveries import Delivery
from segmentr.notifications.events import MeterOverage


def deliveries(notification: Notification, event_id: str = "evt_1", at: int = NOW) -> list[Delivery]:
    event = MeterOverage(id=event_id, environment="live", customer_id="acme", at=at,
                         payload={"meter": {"old": 900.0, "value": 1200.0, "limit": 1000.0}, "overage": 200.0,
                                  "remaining": -200.0, "customer": "acme", "entitlement": "api", "plan": "growth",
                                  "credit": {"id": "request", "label": "Request"}},
                         entitlement_name="api", plan="growth")
    body = webhook_body(event, notification, None, {"id": "acme", "plan": "growth", "label": "Acme"})
    return [Delivery.decide(event, notification, i, body=body, now=at) for i in range(len(notification.channels))]


def hook_notification(url: str = "https://hooks.example.com/x") -> Notification:
    return Notification(id="ntf_hook", name="Hook", events=["meter-overage"], channels=[WebhookTarget(url=url)])


def test_the_schedule_is_five_seconds_to_ten_hours_with_jitter() -> None:
    assert RETRY_SCHEDULE_S == (5, 300, 1800, 7200, 18000, 36000, 36000) and MAX_ATTEMPTS == 8
    rng = random.Random(7)
    for attempts, base in enumerate(RETRY_SCHEDULE_S, start=1):
        due = next_attempt_at(attempts, 0, rng=rng)
        assert due is not None and base * 800 <= due <= base * 1200
    assert next_attempt_at(MAX_ATTEMPTS, 0) is None


@given(st.integers(1, MAX_ATTEMPTS - 1), st.floats(0, 10**6, allow_nan=False))
def test_retry_after_is_a_minimum_capped_at_the_longest_delay(attempts: int, retry_after: float) -> None:
    due = next_attempt_at(attempts, 0, retry_after=retry_after, rng=random.Random(1))
    assert due is not None
    assert due >= min(retry_after, 36000) * 1000 - 1
    assert due <= max(RETRY_SCHEDULE_S[attempts - 1] * 1200, 36000 * 1000)


def test_a_failing_delivery_follows_the_schedule_then_fails_and_can_be_retried_by_hand() -> None:
    clock = Clock()
    outbox = MemoryOutbox()
    outbox.add(deliveries(hook_notification()))

    def refuse(delivery: Delivery) -> SendResult:
        raise DeliveryRejected("answered 500", status=500, excerpt="boom")

    relay = Relay(outbox, {"webhook": MockChannel("webhook", refuse)}, clock=clock, rng=random.Random(3))
    (row,) = outbox.rows.values()
    gaps = []
    for _ in range(MAX_ATTEMPTS):
        clock.now = row.due
        report = relay.run_once()
        assert report.claimed == 1
        gaps.append(row.due - clock.now)
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS
    for gap, base in zip(gaps, RETRY_SCHEDULE_S):
        assert base * 800 <= gap <= base * 1200
    assert [a.number for a in row.log] == list(range(1, MAX_ATTEMPTS + 1))
    attempt = row.log[0]
    assert (attempt.status, attempt.excerpt, attempt.at) == (500, "boom", NOW)
    assert attempt.error is not None and "500" in attempt.error and attempt.duration_ms >= 0
    assert relay.run_once().claimed == 0  # failed: nothing is due
    outbox.retry_by_hand(row.delivery.id, clock.now)
    assert relay.run_once().claimed == 1 and row.state == "failed" and row.attempts == MAX_ATTEMPTS + 1


def test_nothing_is_claimed_before_it_is_due_or_while_leased() -> None:
    clock = Clock()
    outbox = MemoryOutbox()
    outbox.add(deliveries(hook_notification()))
    assert outbox.claim(now=NOW - 1, limit=10, lease_ms=1000) == []
    (claim,) = outbox.claim(now=NOW, limit=10, lease_ms=1000)
    assert outbox.claim(now=NOW + 999, limit=10, lease_ms=1000) == []
    (again,) = outbox.claim(now=NOW + 1000, limit=10, lease_ms=1000)  # the first relay "crashed"
    relay = Relay(outbox, {"webhook": MockChannel()}, clock=clock)
    attempt, outcome = relay.deliver(claim)
    assert outbox.record(claim, attempt, outcome) is False  # its lease was lost: nothing applied
    assert outbox.record(again, *relay.deliver(again)) is True


def test_the_same_delivery_added_twice_is_kept_once() -> None:
    outbox = MemoryOutbox()
    outbox.add(deliveries(hook_notification()))
    outbox.add(deliveries(hook_notification()))
    assert len(outbox.rows) == 1


def test_retry_after_pushes_the_next_attempt(receiver: Receiver) -> None:
    clock = Clock(int(time.time() * 1000))
    receiver.verify = False
    receiver.script["/busy"] = [(429, {"Retry-After": "120"}, b"slow down")]
    outbox = MemoryOutbox()
    outbox.add(deliveries(hook_notification(receiver.url("/busy")), at=clock.now))
    relay = Relay(outbox, {"webhook": WebhookChannel(allow_private=True)}, clock=clock)
    report = relay.run_once()
    (row,) = outbox.rows.values()
    assert report.retrying == 1 and row.state == "pending" and row.due >= clock.now + 120_000
    assert row.log[0].status == 429 and "RetryLater" in (row.log[0].error or "")
    clock.now = row.due
    assert relay.run_once().delivered == 1 and row.state == "delivered" and len(receiver.received) == 2


def test_410_fails_the_delivery_disables_the_channel_and_raises_an_alert(receiver: Receiver) -> None:
    clock = Clock(int(time.time() * 1000))
    receiver.verify = False
    receiver.script["/gone"] = [(410, {}, b"")]
    outbox = MemoryOutbox()
    notification = hook_notification(receiver.url("/gone"))
    outbox.add(deliveries(notification, "evt_1", clock.now) + deliveries(notification, "evt_2", clock.now))
    alerts = MemoryAlerts()
    relay = Relay(outbox, {"webhook": WebhookChannel(allow_private=True)}, alerts=alerts, clock=clock,
                  batch_size=1)
    report = relay.run_once()
    assert report.disabled == 1 and report.failed == 1
    assert ("ntf_hook", 0) in outbox.disabled
    (alert,) = alerts.alerts.values()
    assert alert.kind == "endpoint_disabled" and alert.state is AlertState.NEW and "410" in alert.message
    assert relay.run_once().claimed == 0  # the other delivery to the gone endpoint is not sent
    assert len(receiver.received) == 1 and all(r.state == "failed" for r in outbox.rows.values())


def test_a_refused_target_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGMENTR_ALLOW_PRIVATE_WEBHOOKS", raising=False)
    outbox = MemoryOutbox()
    outbox.add(deliveries(hook_notification("http://127.0.0.1:9/hook")))
    report = Relay(outbox, {"webhook": WebhookChannel()}, clock=Clock()).run_once()
    (row,) = outbox.rows.values()
    assert report.failed == 1 and row.state == "failed" and "TargetRefused" in (row.log[0].error or "")


def test_a_missing_channel_or_a_channel_bug_is_retried_not_raised() -> None:
    outbox = MemoryOutbox()
    notification = Notification(id="ntf_x", name="x", events=["meter-overage"],
                                channels=[InAppTarget(), WebhookTarget(url="https://e.com/x")])
    outbox.add(deliveries(notification))

    def bug(delivery: Delivery) -> SendResult:
        raise KeyError("oops")

    report = Relay(outbox, {"webhook": MockChannel("webhook", bug)}, clock=Clock()).run_once()
    assert report.retrying == 2 and all(r.state == "pending" for r in outbox.rows.values())
    errors = sorted(r.log[0].error or "" for r in outbox.rows.values())
    assert "no in_app channel" in errors[0] and "internal error: KeyError" in errors[1]


def test_in_app_deliveries_become_alerts_with_the_limitr_detail() -> None:
    clock = Clock()
    outbox = MemoryOutbox()
    notification = Notification(id="ntf_app", name="Overage", events=["meter-overage"], channels=[InAppTarget()])
    outbox.add(deliveries(notification))
    alerts = MemoryAlerts()
    assert Relay(outbox, {"in_app": InAppChannel(alerts)}, clock=clock).run_once().delivered == 1
    (alert,) = alerts.alerts.values()
    detail = alert.detail
    assert (detail.credit, detail.entitlement, detail.plan) == ("request", "api", "growth")
    assert (detail.previous, detail.current, detail.limit, detail.remaining, detail.overage) == (
        900.0, 1200.0, 1000.0, -200.0, 200.0)
    assert detail.percent_of_limit == 120.0 and detail.customer["id"] == "acme"
    assert detail.event["overage"] == 200.0 and alert.state is AlertState.NEW
    assert "api: 1200 of 1000 (120% of the limit)" in alert.title


def test_delivery_records_round_trip() -> None:
    (delivery,) = deliveries(hook_notification())
    assert Delivery.from_record(delivery.to_record()) == delivery


def test_end_to_end_decided_deliveries_reach_the_receiver_once_per_webhook_id(receiver: Receiver) -> None:
    clock = Clock(int(time.time() * 1000))
    notification = hook_notification(receiver.url("/flaky"))
    target = notification.channels[0]
    assert isinstance(target, WebhookTarget)
    receiver.secrets = [target.secret]
    receiver.script["/flaky"] = [(500, {}, b""), (503, {}, b""), (502, {}, b"")]
    outbox = MemoryOutbox()
    for index in range(5):
        outbox.add(deliveries(notification, f"evt_{index}", clock.now))
    relay = Relay(outbox, {"webhook": WebhookChannel(allow_private=True)})
    for _ in range(10):
        relay.run_once()
        for row in outbox.rows.values():  # skip the wait (the receiver checks timestamps against real time)
            row.due = min(row.due, int(time.time() * 1000))
    assert all(r.state == "delivered" for r in outbox.rows.values())
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {r.delivery.webhook_id for r in outbox.rows.values()} and receiver.failures == []


def test_rejected_errors_say_why() -> None:
    assert not EndpointGone("gone", status=410).retryable and RetryLater("x", status=429).retryable


@given(st.lists(st.sampled_from(["ok", "fail", "busy", "crash"]), min_size=1, max_size=60),
       st.integers(1, 6))
def test_with_failures_and_crashed_relays_every_delivery_arrives_or_fails_after_the_last_attempt(
        script: list[str], count: int) -> None:
    """A receiver that fails as scripted and relays that crash after sending (before recording): afterwards
    every delivery is delivered (seen at least once by the receiver) or failed after all its attempts, and
    deduplicated by webhook-id the receiver saw exactly the delivered ones."""
    clock = Clock()
    outbox = MemoryOutbox()
    notification = hook_notification()
    for index in range(count):
        outbox.add(deliveries(notification, f"evt_{index}"))
    plan = iter(script)
    seen: list[str] = []

    class Crash(BaseException):  # like a kill: not an error the relay handles
        pass

    def answer(delivery: Delivery) -> SendResult:
        step = next(plan, "ok")
        if step == "fail":
            raise DeliveryRejected("answered 500", status=500)
        if step == "busy":
            raise RetryLater("answered 429", status=429, retry_after=60)
        seen.append(delivery.webhook_id)
        if step == "crash":
            raise Crash  # the relay dies after the receiver got it, before recording
        return SendResult(200)

    relay = Relay(outbox, {"webhook": MockChannel("webhook", answer)}, clock=clock, rng=random.Random(0),
                  lease_ms=60_000)
    for _ in range(400):
        due = [r for r in outbox.rows.values() if r.state == "pending"]
        if not due:
            break
        clock.now = max(clock.now, min(max(r.due, r.lease_until) for r in due))
        for claim in outbox.claim(now=clock.now, limit=10, lease_ms=relay.lease_ms):
            try:
                attempt, outcome = relay.deliver(claim)
            except Crash:
                continue  # never recorded: the lease runs out and another relay takes it
            outbox.record(claim, attempt, outcome)
    states = {r.delivery.webhook_id: r for r in outbox.rows.values()}
    assert all(r.state in ("delivered", "failed") for r in states.values())
    for row in states.values():
        if row.state == "failed":
            assert row.attempts == MAX_ATTEMPTS
    assert set(seen) >= {w for w, r in states.items() if r.state == "delivered"}
    assert set(seen) <= set(states)


@pytest.mark.parametrize("event_type", ["meter-overage", "customer-set", "segment-entered"])
def test_a_test_sends_one_delivery_on_every_channel(receiver: Receiver, event_type: str) -> None:
    from segmentr.notifications import EmailTarget, deliveries_for_test

    hook = WebhookTarget(url=receiver.url("/t"))
    notification = Notification(id="ntf_t", name="T", events=[event_type], segment="seg_x",
                                channels=[hook, InAppTarget(), EmailTarget(to=["a@example.com"])])
    made = deliveries_for_test(notification, environment="test", customer={"id": "acme", "plan": "growth"},
                           now=int(time.time() * 1000))
    assert [d.channel.type for d in made] == ["webhook", "in_app", "email"]
    assert all(d.body["data"]["event"]["test"] is True and d.event_type == event_type for d in made)
    receiver.secrets = [hook.secret]
    WebhookChannel(allow_private=True).send(made[0], now_ms=int(time.time() * 1000))
    assert receiver.failures == [] and receiver.received[0].json["type"] == event_type
    again = deliveries_for_test(notification, environment="test", customer={"id": "acme"}, now=NOW)
    assert again[0].webhook_id != made[0].webhook_id
