"""A small typed Python client of the segmentr HTTP API (api.md), on httpx, sync and async.

For the calls an integrating application makes: record usage, check a decision, read an entitlement, upsert
a customer, evaluate a segment and page its members. Errors are typed from the error object (one class per
``type``, with ``code``, ``param`` and ``request_id`` kept); calls are retried on connection errors, 5xx and 429
with the same ``Idempotency-Key``, so a retried ``usage`` never meters twice.

    from segmentr.client import Client

    with Client("http://127.0.0.1:8000", "sk_live_…") as segmentr:
        decision = segmentr.usage("cus_42", "api_calls", 1)
"""

from segmentr.client.asynchronous import AsyncClient
from segmentr.client.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ClientError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from segmentr.client.models import Entitlement, Evaluation, MembersPage, UsageDecision
from segmentr.client.sync import Client

__all__ = [
    "APIConnectionError",
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ClientError",
    "ConflictError",
    "Entitlement",
    "Evaluation",
    "InvalidRequestError",
    "MembersPage",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UsageDecision",
]
