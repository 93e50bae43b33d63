"""The notification model: validation with field paths, channel targets, secret rotation."""

from __future__ import annotations

import pytest

from segmentr.notifications import (
    NotificationInvalid,
    WebhookTarget,
    parse_notification,
    rotate_secret,
)
from segmentr.notifications.model import ROTATION_OVERLAP_MS


def base(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {"name": "Overage", "events": ["meter-overage"],
                               "channels": [{"type": "webhook", "url": "https://example.com/hook"}]}
    data.update(fields)
    return data


def test_a_valid_notification_gets_an_id_and_a_webhook_secret() -> None:
    notification = parse_notification(base(channels=[
        {"type": "webhook", "url": "https://example.com/hook"}, {"type": "email", "to": ["ops@example.com"]},
        {"type": "slack", "url": "https://hooks.slack.com/services/T/B/X"}, {"type": "in_app"}]))
    assert notification.id.startswith("ntf_") and notification.environment == "both"
    webhook = notification.channels[0]
    assert isinstance(webhook, WebhookTarget) and webhook.secret.startswith("whsec_")
    assert [c.type for c in notification.channels] == ["webhook", "email", "slack", "in_app"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"events": ["meter-overflow"]}, "events"),
    ({"events": []}, "events"),
    ({"name": "  "}, "name"),
    ({"environment": "prod"}, "environment"),
    ({"channels": []}, "channels"),
    ({"channels": [{"type": "webhook", "url": "ftp://example.com"}]}, "channels.0.webhook.url"),
    ({"channels": [{"type": "email", "to": ["not-an-address"]}]}, "channels.0.email.to"),
    ({"channels": [{"type": "pager"}]}, "channels.0"),
    ({"channels": [{"type": "webhook", "url": "https://e.com", "secret": "hunter2"}]}, "channels.0.webhook.secret"),
])
def test_invalid_definitions_name_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(NotificationInvalid) as caught:
        parse_notification(base(**fields))
    assert field in [p.field for p in caught.value.problems], caught.value.problems


def test_a_condition_that_does_not_parse_is_refused_with_its_position() -> None:
    with pytest.raises(NotificationInvalid) as caught:
        parse_notification(base(condition="event.meter.value >=\n  "))
    (problem, *_) = caught.value.problems
    assert problem.field == "condition" and problem.line >= 1 and problem.column >= 1
    assert "condition:" in str(caught.value)


def test_a_blank_condition_is_no_condition() -> None:
    assert parse_notification(base(condition="  ")).condition is None


def test_rotation_signs_with_both_secrets_for_a_day() -> None:
    target = WebhookTarget(url="https://example.com/hook")
    rotated = rotate_secret(target, now_ms=1000)
    assert rotated.signing_secrets(1000) == [rotated.secret, target.secret]
    assert rotated.signing_secrets(1000 + ROTATION_OVERLAP_MS) == [rotated.secret]
    assert target.signing_secrets(1000) == [target.secret]
