"""``GET /healthz``: is the server up and its database reachable (load balancers and `segmentr serve` checks)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from segmentr import errors
from segmentr.api.deps import ServicesDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]


@router.get("/healthz", operation_id="health", response_model=Health, responses={503: {"model": Health}})
def health(services: ServicesDep) -> Health | JSONResponse:
    """200 when the database answers, 503 otherwise (never an error object: monitors read ``status``)."""
    try:
        services.check_database()
    except (errors.SegmentrError, OSError):
        return JSONResponse({"status": "degraded", "database": "unavailable"}, status_code=503)
    return Health(status="ok", database="ok")
