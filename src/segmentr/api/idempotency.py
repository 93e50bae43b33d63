"""``Idempotency-Key`` on every POST (api.md §3), at the HTTP edge.

``IdempotentRoute`` wraps each POST route: under a key, the first call's response is kept for 24 h and replayed
to every retry of the same request (``Idempotent-Replayed: true``); the same key with another request is 409
``idempotency_key_reused``; a retry while the first call still runs is 409 ``idempotency_in_progress``. Keys are
the caller's own (per API key or member). A call that fails with an error keeps nothing, so its retry runs again.

Routes whose service records the key in the same transaction as the work (usage: the meter and its record
commit together, so a crash can never leave one without the other) are marked ``@keyed_in_service`` and get
the key from ``idempotency_key()`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from segmentr.api.deps import authenticate, get_services
from segmentr.service import fingerprint

__all__ = ["IDEMPOTENCY_HEADER", "IdempotencyKey", "IdempotentRoute", "keyed_in_service", "request_fingerprint"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
F = TypeVar("F", bound=Callable[..., Any])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Retry-safe: the same key with the same request replays the first response (24 h).",
        max_length=255,
    ),
]


def keyed_in_service(endpoint: F) -> F:
    """Mark a route whose service takes the ``Idempotency-Key`` itself (in the work's own transaction)."""
    endpoint.__dict__["keyed_in_service"] = True
    return endpoint


def request_fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and body."""
    return fingerprint(request.method, request.url.path, request.url.query, body.decode("utf-8", "replace"))


async def _declared(idempotency_key: IdempotencyKey = None) -> None:
    """Declares the header on every POST in OpenAPI (the route class reads it)."""


class IdempotentRoute(APIRoute):
    """A route whose POST honours ``Idempotency-Key``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if "POST" in (kwargs.get("methods") or ()) and not getattr(endpoint, "keyed_in_service", False):
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or []), Depends(_declared)]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if "POST" not in self.methods or getattr(self.endpoint, "keyed_in_service", False):
            return handler

        async def idempotent(request: Request) -> Response:
            key = request.headers.get(IDEMPOTENCY_HEADER)
            if key is None:
                return await handler(request)
            actor = await run_in_threadpool(authenticate, request)
            records = get_services(request).idempotency
            body = await request.body()
            request_id = request_fingerprint(request, body)
            stored = await run_in_threadpool(records.begin, actor, key, request_id)
            if stored is not None:
                return JSONResponse(stored.body, status_code=stored.status, headers={REPLAYED_HEADER: "true"})
            try:
                response = await handler(request)
            except BaseException:
                await run_in_threadpool(records.abandon, actor, key)
                raise
            if response.status_code >= 300 or response.media_type != "application/json":
                await run_in_threadpool(records.abandon, actor, key)
                return response
            kept = orjson.loads(bytes(response.body))
            await run_in_threadpool(records.finish, actor, key, response.status_code, kept)
            return response

        return idempotent
