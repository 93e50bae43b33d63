"""Webhooks to a real receiver on 127.0.0.1 that verifies every signature with standardwebhooks."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from notification_doubles import NOW, Receiver

from segmentr.notifications import (
    DeliveryRejected,
    DeliveryTimeout,
    DeliveryUnreachable,
    EndpointGone,
    Notification,
    RetryLater,
    TargetRefused,
    WebhookTarget,
    rotate_secret,
)
from segmentr.notifications.channels import WebhookChannel, encode_body, pin, retry_after_seconds
from segmentr.notifications.deliveries import Delivery
from segmentr.notifications.events import MeterOverage


def delivery_to(target: WebhookTarget, event_id: str = "evt_1") -> Delivery:
    notification = Notification(id="ntf_hook", name="Hook", events=["meter-overage"], channels=[target])
    event = MeterOverage(id=event_id, environment="live", customer_id="acme", at=NOW,
                         payload={"meter": {"value": 12.0, "limit": 10.0}, "overage": 2.0, "customer": "acme",
                                  "entitlement": "api", "plan": "growth"},
                         entitlement_name="api", plan="growth")
    from segmentr.notifications import webhook_body

    return Delivery.decide(event, notification, 0, body=webhook_body(event, notification, None, {"id": "acme"}),
                           now=NOW)


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_delivery_arrives_signed_with_the_api_format(receiver: Receiver) -> None:
    target = WebhookTarget(url=receiver.url())
    receiver.secrets = [target.secret]
    delivery = delivery_to(target)
    result = WebhookChannel(allow_private=True).send(delivery, now_ms=now_ms())
    assert result.status == 200 and result.excerpt == "ok"
    (got,) = receiver.received
    assert receiver.failures == []
    assert got.headers["webhook-id"] == delivery.webhook_id
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 5
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.body.decode() == encode_body(delivery.body)
    assert got.json["type"] == "meter-overage" and got.json["data"]["event"]["overage"] == 2.0


def test_every_retry_carries_the_same_id_and_body(receiver: Receiver) -> None:
    target = WebhookTarget(url=receiver.url())
    receiver.secrets = [target.secret]
    channel = WebhookChannel(allow_private=True)
    delivery = delivery_to(target)
    channel.send(delivery, now_ms=now_ms())
    channel.send(delivery, now_ms=now_ms() + 1000)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert receiver.failures == []


def test_during_a_rotation_both_secrets_verify(receiver: Receiver) -> None:
    old = WebhookTarget(url=receiver.url())
    rotated = rotate_secret(old, now_ms=now_ms())
    receiver.secrets = [old.secret, rotated.secret]  # a receiver on either secret accepts the message
    WebhookChannel(allow_private=True).send(delivery_to(rotated), now_ms=now_ms())
    (got,) = receiver.received
    assert receiver.failures == [] and len(got.headers["webhook-signature"].split(" ")) == 2


def test_after_the_overlap_only_the_new_secret_signs(receiver: Receiver) -> None:
    rotated = rotate_secret(WebhookTarget(url=receiver.url()), now_ms=now_ms() - 25 * 3600 * 1000)
    receiver.secrets = [rotated.secret]
    WebhookChannel(allow_private=True).send(delivery_to(rotated), now_ms=now_ms())
    (got,) = receiver.received
    assert receiver.failures == [] and len(got.headers["webhook-signature"].split(" ")) == 1
    old = rotated.previous_secret
    assert old is not None
    receiver.secrets = [old]
    WebhookChannel(allow_private=True).send(delivery_to(rotated), now_ms=now_ms())
    assert len(receiver.failures) == 1  # the old secret no longer verifies


def test_410_is_endpoint_gone(receiver: Receiver) -> None:
    target = WebhookTarget(url=receiver.url("/gone"))
    receiver.verify = False
    receiver.script["/gone"] = [(410, {}, b"unsubscribed")]
    with pytest.raises(EndpointGone) as caught:
        WebhookChannel(allow_private=True).send(delivery_to(target), now_ms=now_ms())
    assert caught.value.status == 410 and caught.value.excerpt == "unsubscribed" and not caught.value.retryable


@pytest.mark.parametrize(("status", "header", "expected"), [
    (429, "30", 30.0), (503, "7", 7.0), (429, None, None), (503, "soon", None)])
def test_429_and_503_carry_retry_after(receiver: Receiver, status: int, header: str | None,
                                       expected: float | None) -> None:
    receiver.verify = False
    receiver.script["/busy"] = [(status, {"Retry-After": header} if header else {}, b"busy")]
    with pytest.raises(RetryLater) as caught:
        WebhookChannel(allow_private=True).send(delivery_to(WebhookTarget(url=receiver.url("/busy"))),
                                                now_ms=now_ms())
    assert caught.value.status == status and caught.value.retry_after == expected and caught.value.retryable


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    assert retry_after_seconds(formatdate(now + 120, usegmt=True), now=now) == pytest.approx(120, abs=1)
    assert retry_after_seconds(formatdate(now - 120, usegmt=True), now=now) == 0.0


def test_other_statuses_are_rejected_and_retryable(receiver: Receiver) -> None:
    receiver.verify = False
    receiver.script["/err"] = [(500, {}, b"x" * 5000)]
    with pytest.raises(DeliveryRejected) as caught:
        WebhookChannel(allow_private=True).send(delivery_to(WebhookTarget(url=receiver.url("/err"))),
                                                now_ms=now_ms())
    assert caught.value.status == 500 and caught.value.retryable and len(caught.value.excerpt) == 1024


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.verify = False
    receiver.script["/moved"] = [(302, {"Location": "http://169.254.169.254/latest"}, b"")]
    with pytest.raises(DeliveryRejected) as caught:
        WebhookChannel(allow_private=True).send(delivery_to(WebhookTarget(url=receiver.url("/moved"))),
                                                now_ms=now_ms())
    assert caught.value.status == 302 and len(receiver.received) == 1


def test_loopback_is_refused_unless_allowed(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGMENTR_ALLOW_PRIVATE_WEBHOOKS", raising=False)
    with pytest.raises(TargetRefused) as caught:
        WebhookChannel().send(delivery_to(WebhookTarget(url=receiver.url())), now_ms=now_ms())
    assert "SEGMENTR_ALLOW_PRIVATE_WEBHOOKS" in str(caught.value) and not caught.value.retryable
    assert receiver.received == []
    monkeypatch.setenv("SEGMENTR_ALLOW_PRIVATE_WEBHOOKS", "1")
    receiver.verify = False
    WebhookChannel().send(delivery_to(WebhookTarget(url=receiver.url())), now_ms=now_ms())
    assert len(receiver.received) == 1


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"])
def test_private_loopback_and_link_local_addresses_are_refused(address: str) -> None:
    with pytest.raises(TargetRefused):
        pin("https://hooks.example.com/x", allow_private=False, resolve=lambda host, port: [address])


def test_every_resolved_address_is_checked() -> None:
    with pytest.raises(TargetRefused):
        pin("https://hooks.example.com/x", allow_private=False,
            resolve=lambda host, port: ["93.184.216.34", "10.0.0.5"])


def test_the_checked_address_is_the_one_connected_to(receiver: Receiver) -> None:
    """A name resolved once: the request goes to the checked address with the original Host header, so a
    second, different DNS answer (rebinding) is never asked for."""
    answers = iter([["127.0.0.1"], ["203.0.113.9"]])
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    receiver.verify = False
    channel = WebhookChannel(allow_private=True, resolve=resolve)
    url = f"http://hooks.example.test:{receiver.port}/pinned"
    channel.send(delivery_to(WebhookTarget(url=url)), now_ms=now_ms())
    (got,) = receiver.received
    assert calls == ["hooks.example.test"] and got.headers["host"] == f"hooks.example.test:{receiver.port}"
    pinned = pin("https://hooks.example.com/a", allow_private=False, resolve=lambda h, p: ["93.184.216.34"])
    assert str(pinned.url) == "https://93.184.216.34/a" and pinned.sni_hostname == "hooks.example.com"
    assert pinned.host_header == "hooks.example.com"


def test_an_unresolvable_or_closed_target_is_unreachable(receiver: Receiver) -> None:
    with pytest.raises(DeliveryUnreachable):
        WebhookChannel(allow_private=True).send(delivery_to(WebhookTarget(url="http://nowhere.invalid/x")),
                                                now_ms=now_ms())
    receiver.stop()
    with pytest.raises(DeliveryUnreachable):
        WebhookChannel(allow_private=True).send(delivery_to(WebhookTarget(url=receiver.url())), now_ms=now_ms())


def test_a_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.verify = False
    receiver.delays["/slow"] = 1.0
    channel = WebhookChannel(allow_private=True, timeout=0.2)
    with pytest.raises(DeliveryTimeout):
        channel.send(delivery_to(WebhookTarget(url=receiver.url("/slow"))), now_ms=now_ms())
