"""The webhook channel: the body of api.md §5, signed the Standard Webhooks way (``standardwebhooks``).

Headers: ``webhook-id`` (the delivery's, the same on every retry), ``webhook-timestamp`` (this attempt, unix
seconds), ``webhook-signature`` (``v1,<base64>``; during a secret rotation the current and the previous secret's
signatures, space-separated).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import httpx
from standardwebhooks import Webhook

from segmentr.notifications.channels.addresses import Resolver, allow_private_from_env, system_resolver
from segmentr.notifications.channels.base import SendResult
from segmentr.notifications.channels.transport import TIMEOUT_SECONDS, HttpPoster
from segmentr.notifications.errors import DeliveryError
from segmentr.notifications.model import WebhookTarget

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["USER_AGENT", "WebhookChannel", "encode_body", "signature_header"]

USER_AGENT = "segmentr-webhooks/1"


@lru_cache(maxsize=256)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def encode_body(body: object) -> str:
    """The exact text that is signed and sent (compact JSON, UTF-8)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def signature_header(target: WebhookTarget, message_id: str, timestamp: int, data: str, now_ms: int) -> str:
    """``webhook-signature``: one ``v1,…`` per signing secret, space-separated."""
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return " ".join(_signer(secret).sign(message_id, when, data) for secret in target.signing_secrets(now_ms))


class WebhookChannel:
    type = "webhook"

    def __init__(self, *, allow_private: bool | None = None, client: httpx.Client | None = None,
                 resolve: Resolver = system_resolver, timeout: float = TIMEOUT_SECONDS) -> None:
        """``allow_private`` None reads ``SEGMENTR_ALLOW_PRIVATE_WEBHOOKS``."""
        self._poster = HttpPoster(allow_private=allow_private_from_env() if allow_private is None else allow_private,
                                  client=client, resolve=resolve, timeout=timeout)

    def close(self) -> None:
        self._poster.close()

    def send(self, delivery: Delivery, *, now_ms: int) -> SendResult:
        target = delivery.channel
        if not isinstance(target, WebhookTarget):
            raise DeliveryError(f"delivery {delivery.id} is for {target.type}, not a webhook")
        data = encode_body(delivery.body)
        timestamp = now_ms // 1000
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(target, delivery.webhook_id, timestamp, data, now_ms),
        }
        return self._poster.post(target.url, data.encode(), headers)
