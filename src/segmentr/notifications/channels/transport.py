"""One checked POST for the HTTP channels (webhook, Slack): pinned address, timeout, status → outcome.

2xx is success; 410 is ``EndpointGone``; 429 and 503 are ``RetryLater`` with the ``Retry-After`` the receiver
sent (seconds or an HTTP date); any other status is ``DeliveryRejected``. Redirects are not followed (a
redirect could lead past the address check); httpx's own errors become ``DeliveryTimeout`` or
``DeliveryUnreachable``. Only the first ``EXCERPT_BYTES`` of an answer are read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import httpx

from segmentr.notifications.channels.addresses import Resolver, pin, system_resolver
from segmentr.notifications.channels.base import EXCERPT_BYTES, SendResult
from segmentr.notifications.errors import (
    DeliveryRejected,
    DeliveryTimeout,
    DeliveryUnreachable,
    EndpointGone,
    RetryLater,
)

__all__ = ["TIMEOUT_SECONDS", "HttpPoster", "retry_after_seconds"]

TIMEOUT_SECONDS = 15.0


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds from now (delay-seconds or an HTTP date); None if absent or unusable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class HttpPoster:
    """POSTs through one ``httpx.Client`` (kept-alive connections); ``allow_private`` lifts the address check."""

    def __init__(self, *, allow_private: bool, client: httpx.Client | None = None,
                 resolve: Resolver = system_resolver, timeout: float = TIMEOUT_SECONDS) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                              trust_env=False)

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, content: bytes, headers: Mapping[str, str]) -> SendResult:
        target = pin(url, allow_private=self.allow_private, resolve=self._resolve)
        sent_headers = {**headers, "Host": target.host_header}
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        try:
            with self._client.stream("POST", target.url, content=content, headers=sent_headers,
                                     extensions=extensions) as response:
                excerpt = _excerpt(response)
        except httpx.TimeoutException as exc:
            raise DeliveryTimeout(f"no answer from {target.host_header} in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise DeliveryUnreachable(f"cannot reach {target.host_header}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(status, excerpt)
        message = f"{target.host_header} answered {status}"
        if status == 410:
            raise EndpointGone(message + " (gone)", status=status, excerpt=excerpt)
        if status in (429, 503):
            raise RetryLater(message, status=status, excerpt=excerpt,
                             retry_after=retry_after_seconds(response.headers.get("retry-after")))
        raise DeliveryRejected(message, status=status, excerpt=excerpt)


def _excerpt(response: httpx.Response) -> str:
    buffer = bytearray()
    for chunk in response.iter_bytes():
        buffer += chunk
        if len(buffer) >= EXCERPT_BYTES:
            break
    return bytes(buffer[:EXCERPT_BYTES]).decode("utf-8", errors="replace")
