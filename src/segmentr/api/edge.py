"""The HTTP edge, as ASGI middleware: a ``Request-Id`` on every response, the last word on unexpected errors,
request body limits (enforced while the body streams in, never after reading it all) and the per-key rate limit
(shared by every process on the database).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import orjson

if TYPE_CHECKING:
    from segmentr.service import RateLimits

__all__ = ["BodyLimit", "EdgeErrors", "RateLimit", "TokenBucket"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("segmentr.api")


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


async def send_error(
    send: Send, scope: Scope, status: int, type: str, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """An error in api.md §3's shape, sent by the edge itself (before or instead of the application)."""
    request_id = str(_state(scope).get("request_id", ""))
    body = orjson.dumps(
        {"error": {"type": type, "code": code, "message": message, "param": None, "request_id": request_id}}
    )
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class EdgeErrors:
    """Outermost: gives the request its id (``Request-Id`` on the response, ``request.state.request_id``) and
    answers 500 ``api_error`` for anything that escaped the application, without a word about the internals.
    ``Server-Timing: app;dur=…`` says how long the application took until it answered (ms), so a caller can
    tell the server's time from the network's and its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = new_request_id()
        _state(scope)["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                timing = f"app;dur={(time.perf_counter() - began) * 1000:.2f}".encode()
                message["headers"] = [*message.get("headers", []), (b"request-id", request_id.encode()),
                                      (b"server-timing", timing)]  # fmt: skip
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s (%s)", scope.get("method"), scope.get("path"), request_id)
            if not started:
                await send_error(
                    send_with_id, scope, 500, "api_error", "internal_error",
                    "something went wrong on our side; the request id identifies it",
                )


class _TooLarge(Exception):
    pass


class BodyLimit:
    """413 for a body over the limit: at once from ``Content-Length``, else as soon as the streamed chunks pass
    it (the application's answer is then replaced by the 413). Imports have a larger limit of their own."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes

    def limit_for(self, path: str) -> int:
        return self.max_import_bytes if path.endswith("/customers/import") else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(scope, send, limit)
                    return
        received = 0
        overflowed = False

        async def counting_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _TooLarge()
            return message

        response_started = False

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if overflowed:
                return  # the application's answer to a body it could not read whole: replaced by the 413
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if overflowed and not response_started:
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        await send_error(
            send, scope, 413, "invalid_request_error", "body_too_large",
            f"the request body is larger than {limit // (1024 * 1024)} MiB",
        )


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; ``take`` answers 0 (go) or the seconds until a token is there."""

    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimit:
    """429 ``rate_limit_error`` with ``Retry-After`` once a caller's bucket is empty.

    The caller is its API key (the bearer token, hashed), else its session cookie, else its address. The
    bucket is shared by every process on the database (``limits()``: the service's ``RateLimits``, leased a few
    tokens at a time so most requests cost no database work); ``/healthz`` is never limited. When the shared
    bucket cannot be reached (a store error, or no ``limits`` yet) the limit **fails open** to this process's
    own bucket: a database hiccup must not refuse traffic, and a runaway client is still held to the rate here.
    """

    MAX_BUCKETS = 100_000
    WARN_EVERY_S = 60.0

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: float,
        burst: int,
        session_cookie: str,
        limits: Callable[[], RateLimits | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self.session_cookie = session_cookie.encode()
        self.limits = limits
        self.clock = clock
        self._buckets: dict[bytes, TokenBucket] = {}
        self._lock = threading.Lock()
        self._warned_at = -math.inf

    def caller(self, scope: Scope) -> bytes:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                return b"k" + hashlib.blake2b(value, digest_size=16).digest()
            if name == b"cookie" and self.session_cookie in value:
                return b"s" + hashlib.blake2b(value, digest_size=16).digest()
        client = scope.get("client") or ("", 0)
        return b"a" + hashlib.blake2b(str(client[0]).encode(), digest_size=16).digest()

    def local_take(self, key: bytes) -> float:
        """This process's own bucket (the fallback)."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.MAX_BUCKETS:
                    self._buckets.clear()  # bounded memory: forgetting a bucket only ever lets a caller through
                bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, now)
            return bucket.take(now)

    async def wait_for(self, key: bytes) -> float:
        limits = self.limits()
        if limits is None:
            return self.local_take(key)
        wait = limits.try_take(key)  # memory only: the common case
        if wait is not None:
            return wait
        try:
            return await anyio.to_thread.run_sync(limits.take, key)
        except Exception as exc:  # any failure of the shared bucket fails open (see the class doc)
            now = self.clock()
            if now - self._warned_at >= self.WARN_EVERY_S:
                self._warned_at = now
                log.warning("shared rate limit unavailable, limiting per process: %s", exc)
            return self.local_take(key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0 or scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        wait = await self.wait_for(self.caller(scope))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            await send_error(
                send, scope, 429, "rate_limit_error", "rate_limited",
                f"too many requests: at most {self.rate:g} a second (burst {self.burst}); retry after {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )
            return
        await self.app(scope, receive, send)
