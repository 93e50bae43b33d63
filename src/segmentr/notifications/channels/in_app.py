"""The in-app channel: the delivery becomes an alert in the dashboard, through an ``AlertSink``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segmentr.notifications.alerts import AlertSink, alert_for_delivery
from segmentr.notifications.channels.base import SendResult

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["InAppChannel"]


class InAppChannel:
    type = "in_app"

    def __init__(self, sink: AlertSink) -> None:
        self._sink = sink

    def send(self, delivery: Delivery, *, now_ms: int) -> SendResult:
        alert = alert_for_delivery(delivery, now_ms)
        self._sink.add(alert)
        return SendResult(None, alert.id)
