"""Channels: one seam (``Channel.send``) for webhook, Slack, email and in-app, and a ``MockChannel`` for tests.

httpx and smtplib are used here and nowhere else in the package; their errors leave as ``DeliveryError``s.
"""

from segmentr.notifications.channels.addresses import ALLOW_PRIVATE_ENV, PinnedTarget, Resolver, pin
from segmentr.notifications.channels.base import Channel, SendResult
from segmentr.notifications.channels.email import EmailChannel, SmtpSettings, email_message
from segmentr.notifications.channels.in_app import InAppChannel
from segmentr.notifications.channels.mock import MockChannel
from segmentr.notifications.channels.slack import SlackChannel, slack_message
from segmentr.notifications.channels.transport import TIMEOUT_SECONDS, retry_after_seconds
from segmentr.notifications.channels.webhook import WebhookChannel, encode_body, signature_header

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "TIMEOUT_SECONDS",
    "Channel",
    "EmailChannel",
    "InAppChannel",
    "MockChannel",
    "PinnedTarget",
    "Resolver",
    "SendResult",
    "SlackChannel",
    "SmtpSettings",
    "WebhookChannel",
    "email_message",
    "encode_body",
    "pin",
    "retry_after_seconds",
    "signature_header",
    "slack_message",
]
