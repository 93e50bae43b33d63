"""The worker over the stored outbox: batches, leases shared by several workers, a crashed claim returning after
its lease, 410 disabling the channel with an in-app alert, Retry-After, email to a real SMTP server, pruning."""

from __future__ import annotations

import threading
from typing import Any

from aiosmtpd.controller import Controller
from notification_doubles import Mailbox, Receiver
from stored_helpers import Stored, customer, drain, webhook_worker

from segmentr.notifications.channels import EmailChannel, SmtpSettings
from segmentr.service import Worker, WorkerSettings


def hook(stored: Stored, receiver: Receiver, path: str = "/hook", **fields: Any) -> Any:
    notification = stored.webhook(receiver.url(path), events=["meter-changed"], **fields)
    receiver.secrets = [notification.channels[0].secret]
    return notification


def test_several_workers_share_the_outbox_and_send_each_delivery_once(stored: Stored, receiver: Receiver) -> None:
    hook(stored, receiver)
    stored.customers.put("live", customer("c1", "growth"))
    for _ in range(60):
        stored.customers.record_usage("live", "c1", "api", 1)
    workers = [webhook_worker(stored.store, batch_size=7) for _ in range(3)]
    threads = [threading.Thread(target=drain, args=(worker, 50)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert receiver.failures == [] and len(ids) == 60 and len(set(ids)) == 60


def test_a_crashed_workers_claim_comes_back_after_its_lease(stored: Stored, receiver: Receiver) -> None:
    notification = hook(stored, receiver)
    stored.customers.put("live", customer("c1", "growth"))
    stored.customers.record_usage("live", "c1", "api", 1)
    crashed = Worker(stored.store, settings=WorkerSettings(lease_ms=2000), housekeeping=False)
    assert len(crashed.claim()) == 1  # claimed, then the process "dies" before sending or recording
    other = webhook_worker(stored.store)
    assert other.run_once().claimed == 0  # leased: nobody else takes it
    import time

    time.sleep(2.1)
    assert other.run_once().delivered == 1
    (delivery,) = stored.notifications.deliveries(notification.id).data
    assert delivery.state == "delivered" and len(delivery.attempt_log) == 1 and len(receiver.received) == 1


def test_a_gone_endpoint_disables_the_channel_and_raises_an_alert(stored: Stored, receiver: Receiver) -> None:
    notification = hook(stored, receiver, "/gone")
    receiver.script["/gone"] = [(410, {}, b"gone")]
    stored.customers.put("live", customer("c1", "growth"))
    stored.customers.record_usage("live", "c1", "api", 1)
    stored.customers.record_usage("live", "c1", "api", 1)
    worker = webhook_worker(stored.store, concurrency=1, batch_size=1)
    report = worker.run_once()
    assert report.disabled == 1 and report.failed == 1
    assert stored.notifications.get(notification.id).notification.channels[0].disabled
    (alert,) = stored.alerts.list("live").data
    assert alert.kind == "endpoint_disabled" and receiver.url("/gone") in alert.message
    drain(worker)  # the second delivery is failed, not sent, now that the channel is disabled
    states = sorted(d.state for d in stored.notifications.deliveries(notification.id).data)
    assert states == ["failed", "failed"] and len(receiver.received) == 1


def test_retry_after_is_honoured(stored: Stored, receiver: Receiver) -> None:
    notification = hook(stored, receiver, "/busy")
    receiver.script["/busy"] = [(429, {"Retry-After": "120"}, b"slow down")]
    stored.customers.put("live", customer("c1", "growth"))
    stored.customers.record_usage("live", "c1", "api", 1)
    webhook_worker(stored.store).run_once()
    (delivery,) = stored.notifications.deliveries(notification.id).data
    assert delivery.state == "pending" and delivery.attempt_log[0].status == 429
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at >= stored.store.now() + 110_000


def test_email_reaches_a_real_smtp_server(stored: Stored, smtp_server: tuple[Controller, Mailbox]) -> None:
    controller, mailbox = smtp_server
    stored.notifications.create({"name": "Mail", "environment": "live", "events": ["meter-changed"],
                                 "channels": [{"type": "email", "to": ["ops@example.com"]}]})
    stored.customers.put("live", customer("c1", "growth"))
    stored.customers.record_usage("live", "c1", "api", 7)
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, starttls=False)
    worker = webhook_worker(stored.store, email=EmailChannel(settings))
    assert worker.run_once().delivered == 1
    (message,) = mailbox.messages
    assert message.rcpt_tos == ["ops@example.com"] and b"c1" in message.content


def test_pruning_keeps_the_retention(stored: Stored) -> None:
    stored.customers.put("live", customer("c1", "growth"))
    worker = Worker(stored.store, settings=WorkerSettings(retention_days=0), housekeeping=False)
    assert worker.prune() >= 1
    assert stored.events.list("live").data == []
    kept = Worker(stored.store, settings=WorkerSettings(retention_days=90), housekeeping=False)
    stored.customers.put("live", customer("c2", "growth"))
    assert kept.prune() == 0 and len(stored.events.list("live").data) == 1


def test_slack_gets_a_readable_message(stored: Stored, receiver: Receiver) -> None:
    stored.notifications.create({"name": "Slack", "environment": "live", "events": ["meter-overage"],
                                 "channels": [{"type": "slack", "url": receiver.url("/slack")}]})
    stored.customers.put("live", customer("acme", "free"))
    stored.customers.record_usage("live", "acme", "api", 150)  # limit 100: an overage
    receiver.verify = False  # Slack's incoming webhooks are not signed
    from segmentr.notifications.channels import SlackChannel

    worker = webhook_worker(stored.store, slack=SlackChannel(allow_private=True))
    assert worker.run_once().delivered == 1
    (got,) = receiver.received
    text = got.json["text"]
    assert got.path == "/slack" and "acme" in text and "150" in text and "100" in text


def test_the_last_attempt_fails_the_delivery_and_a_retry_by_hand_sends_it_again(stored: Stored,
                                                                               receiver: Receiver) -> None:
    from segmentr.notifications import MAX_ATTEMPTS

    notification = hook(stored, receiver, "/down")
    receiver.script["/down"] = [(500, {}, b"down")] * MAX_ATTEMPTS
    stored.customers.put("live", customer("c1", "growth"))
    stored.customers.record_usage("live", "c1", "api", 1)
    worker = webhook_worker(stored.store)
    for _ in range(MAX_ATTEMPTS):
        (delivery,) = stored.notifications.deliveries(notification.id).data
        assert delivery.state == "pending"
        stored.notifications.retry(delivery.id)  # due now instead of in minutes or hours
        worker.run_once()
    (delivery,) = stored.notifications.deliveries(notification.id).data
    assert delivery.state == "failed" and len(delivery.attempt_log) == MAX_ATTEMPTS
    assert [a.number for a in delivery.attempt_log] == list(range(1, MAX_ATTEMPTS + 1))
    stored.notifications.retry(delivery.id)
    assert worker.run_once().delivered == 1
    (delivery,) = stored.notifications.deliveries(notification.id).data
    assert delivery.state == "delivered" and len(delivery.attempt_log) == MAX_ATTEMPTS + 1
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1 and receiver.failures == []


def test_a_rotated_secret_signs_beside_the_old_one(stored: Stored, receiver: Receiver) -> None:
    notification = hook(stored, receiver)
    old = notification.channels[0].secret
    rotated = stored.notifications.edit(notification.id, {}, rotate_secrets=True).notification
    new = rotated.channels[0].secret
    assert new != old and rotated.channels[0].previous_secret == old
    receiver.secrets = [old, new]  # the receiver verifies each: both signatures are on the message
    stored.customers.put("live", customer("c1", "growth"))
    stored.customers.record_usage("live", "c1", "api", 1)
    assert webhook_worker(stored.store).run_once().delivered == 1
    (got,) = receiver.received
    assert receiver.failures == [] and len(got.headers["webhook-signature"].split(" ")) == 2
