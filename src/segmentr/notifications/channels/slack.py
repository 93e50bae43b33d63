"""The Slack channel: a readable message to an incoming-webhook URL (customer, meter against limit, a link)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from segmentr.notifications.channels.addresses import Resolver, allow_private_from_env, system_resolver
from segmentr.notifications.channels.base import SendResult
from segmentr.notifications.channels.transport import TIMEOUT_SECONDS, HttpPoster
from segmentr.notifications.errors import DeliveryError
from segmentr.notifications.messages import summary
from segmentr.notifications.model import SlackTarget

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["SlackChannel", "slack_message"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(delivery: Delivery, dashboard_url: str | None = None) -> dict[str, Any]:
    """``text`` (the notification fallback) and blocks: the headline, the facts, the dashboard link."""
    text = summary(delivery, dashboard_url)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": text.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(_escape(line) for line in text.lines)}},
    ]
    if text.link:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{text.link}|Open the customer>"}})
    return {"text": text.title, "blocks": blocks}


class SlackChannel:
    type = "slack"

    def __init__(self, *, dashboard_url: str | None = None, allow_private: bool | None = None,
                 client: httpx.Client | None = None, resolve: Resolver = system_resolver,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._dashboard_url = dashboard_url
        self._poster = HttpPoster(allow_private=allow_private_from_env() if allow_private is None else allow_private,
                                  client=client, resolve=resolve, timeout=timeout)

    def close(self) -> None:
        self._poster.close()

    def send(self, delivery: Delivery, *, now_ms: int) -> SendResult:
        target = delivery.channel
        if not isinstance(target, SlackTarget):
            raise DeliveryError(f"delivery {delivery.id} is for {target.type}, not Slack")
        content = json.dumps(slack_message(delivery, self._dashboard_url)).encode()
        return self._poster.post(target.url, content, {"content-type": "application/json"})
