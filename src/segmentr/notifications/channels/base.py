"""The seam every channel sits behind: ``send`` one delivery, answer ``SendResult`` or raise ``DeliveryError``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from segmentr.notifications.deliveries import Delivery

__all__ = ["EXCERPT_BYTES", "Channel", "SendResult"]

EXCERPT_BYTES = 1024  # of a receiver's answer, kept with the attempt


@dataclass(frozen=True, slots=True)
class SendResult:
    """A successful send: the receiver's status (HTTP or SMTP; None for in-app) and an excerpt of its answer."""

    status: int | None = None
    excerpt: str = ""


class Channel(Protocol):
    """Sends deliveries of one channel type (``webhook``, ``slack``, ``email``, ``in_app``).

    ``send`` raises a ``segmentr.notifications.errors.DeliveryError`` for every failure, never the library's
    own exception; ``now_ms`` is the attempt's time (webhook signatures, alert times).
    """

    type: str

    def send(self, delivery: Delivery, *, now_ms: int) -> SendResult: ...
