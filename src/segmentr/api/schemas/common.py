"""What every resource's models share: the strict base (unknown fields refused), text without NUL characters,
the list envelope of api.md §3 and the error object."""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "MAX_LIMIT",
    "ApiModel",
    "Diagnostic",
    "ErrorDetail",
    "ErrorObject",
    "JsonObject",
    "ListOf",
    "Text",
]

MAX_LIMIT = 100
T = TypeVar("T")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters (\\u0000)")
    return value


def _no_nul_inside(value: Any) -> Any:
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite (JSON has no NaN or Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul_inside(item)
    elif isinstance(value, list):
        for item in value:
            _no_nul_inside(item)
    return value


# Every string a request carries: PostgreSQL cannot store a NUL, and no field means one.
Text = Annotated[str, AfterValidator(_no_nul)]
# Free-form JSON (metadata, event data), with the same rule for every string inside (and finite numbers).
JsonObject = Annotated[dict[str, Any], AfterValidator(_no_nul_inside)]


class ApiModel(BaseModel):
    """Requests refuse unknown fields (422 naming it); responses are plain data."""

    model_config = ConfigDict(extra="forbid")


class ListOf(BaseModel, Generic[T]):
    """A keyset-paged list: pass the last ``id`` of ``data`` as ``starting_after`` for the next page."""

    object: Literal["list"] = "list"
    data: list[T]
    has_more: bool


class Diagnostic(BaseModel):
    """One problem in a condition, with 1-based positions (``end_*`` just past the span)."""

    severity: Literal["error", "warning", "info"] = "error"
    line: int | None
    column: int | None
    end_line: int | None
    end_column: int | None
    message: str
    field: str | None = Field(default=None, description="the segment field the problem is about")


class ErrorDetail(BaseModel):
    type: Literal[
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found",
        "conflict",
        "rate_limit_error",
        "api_error",
    ]
    code: str
    message: str
    param: str | None
    request_id: str
    diagnostics: list[Diagnostic] | None = None
    model_config = ConfigDict(extra="allow")


class ErrorObject(BaseModel):
    """Every 4xx/5xx answer (api.md §3)."""

    error: ErrorDetail
