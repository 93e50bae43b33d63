"""A route's answer as its response model's JSON, written by the route itself.

A route that returns a pydantic model has FastAPI validate it again against ``response_model`` and serialise it
(for a plain ``def`` route, one more hop through the thread pool per request). The hot routes build their model
from the service's own result, so they return its JSON directly: the same bytes, and ``response_model`` stays
declared, so the OpenAPI schema is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel

__all__ = ["model_response"]


def model_response(model: BaseModel, *, headers: Mapping[str, str] | None = None) -> Response:
    """``model``'s JSON (by alias, as FastAPI writes a response model) as an ``application/json`` response."""
    return Response(
        model.__pydantic_serializer__.to_json(model, by_alias=True), media_type="application/json", headers=headers
    )
