"""Email to a real SMTP server (aiosmtpd: plain, STARTTLS with login) and Slack to the local receiver."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from notification_doubles import NOW, Mailbox, Receiver, free_port

from segmentr.notifications import (
    DeliveryRejected,
    DeliveryUnreachable,
    EmailTarget,
    Notification,
    SlackTarget,
    webhook_body,
)
from segmentr.notifications.channels import EmailChannel, SlackChannel, SmtpSettings
from segmentr.notifications.deliveries import Delivery
from segmentr.notifications.events import MeterOverage


def delivery(target: Any) -> Delivery:
    notification = Notification(id="ntf_ops", name="Ops overage", events=["meter-overage"], channels=[target])
    event = MeterOverage(id="evt_1", environment="live", customer_id="acme", at=NOW,
                         payload={"meter": {"value": 1200.0, "limit": 1000.0}, "overage": 200.0,
                                  "customer": "acme", "entitlement": "api", "plan": "growth"},
                         entitlement_name="api", plan="growth")
    body = webhook_body(event, notification, None, {"id": "acme", "label": "Acme Inc", "plan": "growth"})
    return Delivery.decide(event, notification, 0, body=body, now=NOW)


def parsed(envelope: Any) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)  # type: ignore[return-value]


def test_an_email_has_plain_text_and_html(smtp_server: tuple[Controller, Mailbox]) -> None:
    controller, mailbox = smtp_server
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, starttls=False, sender="alerts@example.com")
    target = EmailTarget(to=["ops@example.com", "cto@example.com"])
    sent = delivery(target)
    result = EmailChannel(settings, dashboard_url="https://app.example.com").send(sent, now_ms=NOW)
    assert result.status == 250
    (envelope,) = mailbox.messages
    assert envelope.mail_from == "alerts@example.com" and envelope.rcpt_tos == ["ops@example.com", "cto@example.com"]
    message = parsed(envelope)
    assert message["Message-ID"] == f"<{sent.id}@segmentr>"
    assert message["Subject"] == "meter-overage: Acme Inc (acme), api: 1200 of 1000 (120% of the limit)"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Overage: 200" in text and "https://app.example.com/live/customers/acme" in text
    assert "<li>Overage: 200</li>" in html and 'href="https://app.example.com/live/customers/acme"' in html


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[Controller, Mailbox, ssl.SSLContext]]:
    """aiosmtpd with STARTTLS required before AUTH (a self-signed certificate for 127.0.0.1)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    mailbox = Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = auth_data.login == b"segmentr" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), tls_context=server_tls,
                            require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        yield controller, mailbox, client_tls
    finally:
        controller.stop()


def test_starttls_and_login(tls_smtp: tuple[Controller, Mailbox, ssl.SSLContext]) -> None:
    controller, mailbox, client_tls = tls_smtp
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, starttls=True, username="segmentr",
                            password="s3cret")
    EmailChannel(settings, tls_context=client_tls).send(delivery(EmailTarget(to=["ops@example.com"])), now_ms=NOW)
    assert len(mailbox.messages) == 1


def test_wrong_credentials_are_a_rejected_delivery(tls_smtp: tuple[Controller, Mailbox, ssl.SSLContext]) -> None:
    controller, mailbox, client_tls = tls_smtp
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, username="segmentr", password="wrong")
    with pytest.raises(DeliveryRejected) as caught:
        EmailChannel(settings, tls_context=client_tls).send(delivery(EmailTarget(to=["a@example.com"])), now_ms=NOW)
    assert caught.value.status == 535 and mailbox.messages == []


def test_without_starttls_a_server_that_requires_it_refuses(
        tls_smtp: tuple[Controller, Mailbox, ssl.SSLContext]) -> None:
    controller, _, _ = tls_smtp
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, starttls=False)
    with pytest.raises(DeliveryRejected) as caught:
        EmailChannel(settings).send(delivery(EmailTarget(to=["a@example.com"])), now_ms=NOW)
    assert caught.value.status == 530


def test_no_smtp_server_is_unreachable() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=2)
    with pytest.raises(DeliveryUnreachable):
        EmailChannel(settings).send(delivery(EmailTarget(to=["a@example.com"])), now_ms=NOW)


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGMENTR_SMTP_HOST", raising=False)
    assert SmtpSettings.from_env() is None
    monkeypatch.setenv("SEGMENTR_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("SEGMENTR_SMTP_PORT", "2525")
    monkeypatch.setenv("SEGMENTR_SMTP_STARTTLS", "0")
    monkeypatch.setenv("SEGMENTR_SMTP_USERNAME", "u")
    assert SmtpSettings.from_env() == SmtpSettings(host="mail.example.com", port=2525, starttls=False, username="u")


def test_slack_gets_a_readable_message(receiver: Receiver) -> None:
    receiver.verify = False
    channel = SlackChannel(allow_private=True, dashboard_url="https://app.example.com/")
    channel.send(delivery(SlackTarget(url=receiver.url("/slack"))), now_ms=int(time.time() * 1000))
    (got,) = receiver.received
    message = got.json
    assert message["text"] == "meter-overage: Acme Inc (acme), api: 1200 of 1000 (120% of the limit)"
    facts = message["blocks"][1]["text"]["text"]
    assert "Customer: Acme Inc (acme)" in facts and "Plan: growth" in facts and "Overage: 200" in facts
    assert message["blocks"][2]["text"]["text"] == "<https://app.example.com/live/customers/acme|Open the customer>"


def test_slack_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> None:
    monkeypatch.delenv("SEGMENTR_ALLOW_PRIVATE_WEBHOOKS", raising=False)
    from segmentr.notifications import TargetRefused

    with pytest.raises(TargetRefused):
        SlackChannel().send(delivery(SlackTarget(url=receiver.url("/slack"))), now_ms=NOW)
