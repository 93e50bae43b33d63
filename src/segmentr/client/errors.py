"""The client's errors, one class per error ``type`` of api.md §3, under segmentr's one error root.

    ClientError (segmentr.errors.SegmentrError)
     ├── APIConnectionError        the server could not be reached (after the retries)
     └── APIStatusError            the server answered with an error object: status, type, code, param, request_id
          ├── InvalidRequestError      invalid_request_error (400, 413, 422): ``diagnostics`` when a condition
          ├── AuthenticationError      authentication_error (401)
          ├── PermissionDeniedError    permission_error (403), e.g. ``environment_mismatch``
          ├── NotFoundError            not_found (404)
          ├── ConflictError            conflict (409), e.g. ``idempotency_key_reused``
          ├── RateLimitError           rate_limit_error (429): ``retry_after`` seconds
          └── APIError                 api_error (5xx) and anything unexpected
"""

from __future__ import annotations

from typing import Any

from segmentr import errors

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "AuthenticationError",
    "ClientError",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "error_from_response",
]


class ClientError(errors.SegmentrError):
    """Root of the client's errors."""

    code = "client_error"


class APIConnectionError(ClientError):
    """The request did not get an answer (connection refused, reset, timed out) after every retry."""

    code = "connection_error"


class APIStatusError(ClientError):
    """The server answered with an error object."""

    type = "api_error"

    def __init__(self, status: int, error: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.error = error
        self.param: str | None = error.get("param")
        self.request_id: str | None = error.get("request_id")
        self.diagnostics: list[dict[str, Any]] = list(error.get("diagnostics") or [])
        self.headers = headers or {}
        super().__init__(str(error.get("message") or f"HTTP {status}"), code=str(error.get("code") or "unknown"))

    def __str__(self) -> str:
        return f"{self.status} {self.type}/{self.code}: {self.message} (request {self.request_id})"


class InvalidRequestError(APIStatusError):
    type = "invalid_request_error"


class AuthenticationError(APIStatusError):
    type = "authentication_error"


class PermissionDeniedError(APIStatusError):
    type = "permission_error"


class NotFoundError(APIStatusError):
    type = "not_found"


class ConflictError(APIStatusError):
    type = "conflict"


class RateLimitError(APIStatusError):
    type = "rate_limit_error"

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class APIError(APIStatusError):
    type = "api_error"


_BY_TYPE: dict[str, type[APIStatusError]] = {
    cls.type: cls
    for cls in (
        InvalidRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        RateLimitError,
        APIError,
    )
}


def error_from_response(status: int, body: Any, headers: dict[str, str]) -> APIStatusError:
    """The typed error of an answer: by the error object's ``type``; a body that is not one is an ``APIError``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"type": "api_error", "code": "unexpected_response", "message": f"HTTP {status}", "param": None,
                 "request_id": headers.get("request-id")}  # fmt: skip
    cls = _BY_TYPE.get(str(error.get("type")), APIError)
    return cls(status, error, headers)
