"""``MockChannel``: a channel that calls a handler instead of the network (like httpx's ``MockTransport``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from segmentr.notifications.channels.base import SendResult

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["MockChannel"]


class MockChannel:
    """Records every delivery sent; ``handler`` answers (a ``SendResult``, None for 200) or raises a
    ``DeliveryError`` to play a failure."""

    def __init__(self, type: str = "webhook",
                 handler: Callable[[Delivery], SendResult | None] | None = None) -> None:
        self.type = type
        self.sent: list[Delivery] = []
        self._handler = handler

    def send(self, delivery: Delivery, *, now_ms: int) -> SendResult:
        self.sent.append(delivery)
        result = self._handler(delivery) if self._handler is not None else None
        return result if result is not None else SendResult(200, "")
