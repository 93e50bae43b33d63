"""What the OpenAPI document declares beyond the routes: the error responses, with the error object's schema."""

from __future__ import annotations

from typing import Any

from segmentr.api.schemas.common import ErrorObject

__all__ = ["errors"]

_DESCRIPTIONS = {
    400: "Invalid request (bad JSON, bad arguments)",
    401: "No, unknown or revoked credentials",
    403: "The role or environment does not allow this",
    404: "No such resource (or another workspace's)",
    409: "Conflicts with the current state (taken name, reused idempotency key, in use)",
    413: "Request body too large",
    422: "Validation failed; `param` names the field",
    429: "Rate limited; see `Retry-After`",
    500: "Unexpected server error",
    503: "The database is unavailable",
}
# Every route can answer these (authentication, validation, limits, the unexpected).
COMMON = (400, 401, 403, 413, 422, 429, 500)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: the common errors plus ``statuses``, each with the error object."""
    return {
        status: {"model": ErrorObject, "description": _DESCRIPTIONS[status]}
        for status in sorted({*COMMON, *statuses})
    }
