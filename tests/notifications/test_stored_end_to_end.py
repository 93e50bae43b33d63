"""Stored end to end: usage through the service → event log → outbox → worker → a real receiver that verifies
every signature with standardwebhooks, on SQLite and PostgreSQL."""

from __future__ import annotations

from notification_doubles import Receiver
from stored_helpers import GROWTH_OR_ENTERPRISE, Stored, customer, drain, webhook_worker


def test_the_seeds_example_fires_for_growth_not_free_then_after_the_upgrade(stored: Stored,
                                                                           receiver: Receiver) -> None:
    segment = stored.segment("Growth or Enterprise", GROWTH_OR_ENTERPRISE)
    notification = stored.webhook(receiver.url(), events=["meter-overage"], segment=segment)
    receiver.secrets = [notification.channels[0].secret]
    stored.customers.put("live", customer("grow", "growth"))
    stored.customers.put("live", customer("free", "free"))

    stored.customers.record_usage("live", "grow", "api", 1100)
    stored.customers.record_usage("live", "free", "api", 150)
    worker = webhook_worker(stored.store)
    drain(worker)
    assert receiver.failures == []
    assert [r.json["data"]["customer"]["id"] for r in receiver.received] == ["grow"]
    body = receiver.received[0].json
    assert body["type"] == "meter-overage"
    assert body["data"]["notification"] == {"id": notification.id, "name": "Hook"}
    assert body["data"]["segment"] == {"id": segment, "name": "Growth or Enterprise"}
    assert body["data"]["environment"] == "live"
    assert body["data"]["event"]["meter"]["value"] == 1100

    stored.customers.patch("live", "free", {"plan": "growth"})
    stored.customers.record_usage("live", "free", "api", 1200)
    drain(worker)
    assert receiver.failures == []
    assert [r.json["data"]["customer"]["id"] for r in receiver.received] == ["grow", "free"]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 2


def test_every_event_is_logged_with_or_without_notifications(stored: Stored) -> None:
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.record_usage("live", "c1", "api", 5)
    stored.customers.patch("live", "c1", {"plan": "growth", "metadata": {"tier": "gold"}})
    stored.customers.remove("live", "c1")
    page = stored.events.list("live", customer="c1", limit=100)
    types = [event.type for event in reversed(page.data)]
    assert types[0] == "customer-set"
    assert "meter-changed" in types
    assert types[-3:] == ["customer-plan-changed", "customer-set", "customer-removed"]
    assert stored.events.list("test", limit=100).data == []
    only = stored.events.list("live", types=["customer-removed"]).data
    assert [e.type for e in only] == ["customer-removed"]


def test_a_delivery_is_written_in_the_usage_transaction_and_a_retry_fails_over(stored: Stored,
                                                                              receiver: Receiver) -> None:
    notification = stored.webhook(receiver.url("/flaky"), events=["meter-changed"])
    receiver.secrets = [notification.channels[0].secret]
    receiver.script["/flaky"] = [(500, {}, b"nope")]
    stored.customers.put("live", customer("c1", "free"))
    stored.customers.record_usage("live", "c1", "api", 1)
    page = stored.notifications.deliveries(notification.id)
    (delivery,) = page.data
    assert delivery.state == "pending" and delivery.attempts == 0
    worker = webhook_worker(stored.store)
    report = worker.run_once()
    assert report.retrying == 1
    (delivery,) = stored.notifications.deliveries(notification.id).data
    assert delivery.state == "pending" and delivery.attempts == 1
    assert delivery.attempt_log[0].status == 500 and "500" in (delivery.attempt_log[0].error or "")
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > stored.store.now() + 3000
    stored.notifications.retry(delivery.id)  # by hand, now
    drain(worker)
    (delivery,) = stored.notifications.deliveries(notification.id).data
    assert delivery.state == "delivered" and [a.status for a in delivery.attempt_log] == [500, 200]
    assert receiver.failures == []
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
