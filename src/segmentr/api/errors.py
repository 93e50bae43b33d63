"""The one error shape of api.md §3, and the error tree mapped to HTTP in one table.

Every 4xx/5xx leaves as ``{"error": {"type", "code", "message", "param", "request_id"}}`` (a condition's
problems add ``diagnostics``): errors of the service and the store through ``ERROR_TABLE``, request validation
(422 naming the field in ``param``), FastAPI's and Starlette's own errors (404 of an unknown path, 405), and
``ApiError``, what the HTTP edge says itself (limits, environment paths). Anything else is a 500 ``api_error``
whose message says nothing about the internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from segmentr import errors, web

__all__ = [
    "ERROR_TABLE",
    "ApiError",
    "ErrorKind",
    "error_response",
    "install_error_handlers",
    "request_id_of",
    "tree_error_detail",
]

log = logging.getLogger("segmentr.api")

INVALID = "invalid_request_error"


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """How one class of error leaves the API: its status, ``type`` and default ``code``."""

    status: int
    type: str
    code: str


# The error tree -> HTTP, in one table, by kind (segmentr.errors). The most specific class along an error's
# MRO wins; the error's own ``code`` is the API's code (``condition_invalid``, ``segment_in_use``…).
ERROR_TABLE: dict[type[BaseException], ErrorKind] = {
    errors.InvalidInput: ErrorKind(422, INVALID, "invalid_input"),
    errors.NotFound: ErrorKind(404, "not_found", "not_found"),
    errors.Conflict: ErrorKind(409, "conflict", "conflict"),
    errors.AuthenticationFailed: ErrorKind(401, "authentication_error", "authentication_failed"),
    errors.PermissionDenied: ErrorKind(403, "permission_error", "permission_denied"),
    errors.RateLimited: ErrorKind(429, "rate_limit_error", "rate_limited"),
    errors.NotInitialised: ErrorKind(503, "api_error", "not_initialised"),
    errors.Unavailable: ErrorKind(503, "api_error", "unavailable"),
    errors.SegmentrError: ErrorKind(500, "api_error", "internal_error"),
}


class ApiError(Exception):
    """An error the HTTP edge raises itself, already in HTTP terms (status, ``type``, ``code``)."""

    def __init__(
        self,
        status: int,
        type: str,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def kind_of(exc: BaseException) -> ErrorKind | None:
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return None


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "")


def error_body(
    request_id: str, type: str, code: str, message: str, param: str | None = None, **extra: Any
) -> dict[str, Any]:
    error = {"type": type, "code": code, "message": message, "param": param, **extra, "request_id": request_id}
    return {"error": error}


def error_response(
    request: Request,
    status: int,
    type: str,
    code: str,
    message: str,
    param: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = error_body(request_id_of(request), type, code, message, param, **extra)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def diagnostic(problem: errors.Problem) -> dict[str, Any]:
    """A problem as the API shows it (``Diagnostic`` of the schemas)."""
    return {
        "severity": problem.severity,
        "field": problem.field,
        "line": problem.line,
        "column": problem.column,
        "end_line": problem.end_line,
        "end_column": problem.end_column,
        "message": problem.message,
    }


def tree_error_detail(exc: errors.SegmentrError, request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """An error of the tree as (status, the error object's inner dict, headers): the one table's reading."""
    kind = kind_of(exc) or ERROR_TABLE[errors.SegmentrError]
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    param = None
    if isinstance(exc, errors.InvalidInput):
        param = exc.field
        if exc.problems:
            extra["diagnostics"] = [diagnostic(problem) for problem in exc.problems]
    if isinstance(exc, errors.SegmentInUse):
        extra["references"] = exc.references
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    body = error_body(request_id, kind.type, exc.code or kind.code, exc.message, param, **extra)
    return kind.status, body["error"], headers


def _tree_error(request: Request, exc: Exception) -> JSONResponse:
    kind = kind_of(exc)
    if kind is None or kind.status == 500 or not isinstance(exc, errors.SegmentrError):
        return _unexpected(request, exc)
    status, error, headers = tree_error_detail(exc, request_id_of(request))
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _unexpected(request: Request, exc: BaseException) -> JSONResponse:
    log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request, 500, "api_error", "internal_error", "something went wrong on our side; the request id identifies it"
    )


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        request, exc.status, exc.type, exc.code, exc.message, exc.param, headers=exc.headers, **exc.extra
    )


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and web.wants_page(request):  # a browser's unknown page: the dashboard's 404 page
        return web.page_not_found(request)
    if exc.status_code == 404:
        return error_response(
            request, 404, "not_found", "unknown_path", f"no such path: {request.method} {request.url.path}"
        )
    if exc.status_code == 405:
        return error_response(
            request, 405, INVALID, "method_not_allowed",
            f"{request.method} is not allowed on {request.url.path}", headers=headers,
        )
    if exc.status_code == 400:
        return error_response(request, 400, INVALID, "invalid_body", "the request body could not be read")
    kind = "api_error" if exc.status_code >= 500 else INVALID
    return error_response(request, exc.status_code, kind, "http_error", str(exc.detail), headers=headers)


def param_of(location: Sequence[Any]) -> str | None:
    """``("body", "simple", 0, "op")`` -> ``"simple[0].op"``; the request part (body, query, path…) is dropped."""
    parts = list(location[1:]) if location and location[0] in {"body", "query", "path", "header", "cookie"} else list(location)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(
            request, 400, INVALID, "invalid_json", f"the body is not valid JSON: {first.get('ctx', {}).get('error', first['msg'])}"
        )
    if tuple(first.get("loc", ())) == ("path", "environment"):
        return error_response(
            request, 404, "not_found", "unknown_environment", "no such environment: use test or live", "environment"
        )
    code = {
        "missing": "parameter_missing",
        "extra_forbidden": "parameter_unknown",
    }.get(str(first.get("type")), "parameter_invalid")
    param = param_of(first.get("loc", ()))
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if code == "parameter_unknown":
        message = f"unknown field {param!r}"
    elif param:
        message = f"{param}: {message}"
    details = [{"param": param_of(error.get("loc", ())), "message": str(error.get("msg", ""))} for error in errors[1:]]
    extra = {"errors": details} if details else {}
    return error_response(request, 422, INVALID, code, message, param, **extra)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(errors.SegmentrError, _tree_error)
