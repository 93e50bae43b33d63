"""What a request depends on: the store the application opened, the acting caller, its services.

FastAPI runs these per request; a route asks for the service it calls and never touches the store itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Request

from segmentr import service
from segmentr.service import SegmentService
from segmentr.store import Store

__all__ = ["Environment", "SegmentsDep", "StoreDep", "get_store", "segment_service"]

def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


# An unknown environment in a path is answered 404 by the validation handler (errors.py).
Environment = Annotated[Literal["test", "live"], Path(description="the environment: `test` or `live`")]


def segment_service(store: StoreDep) -> SegmentService:
    return service.service_for(store)


SegmentsDep = Annotated[SegmentService, Depends(segment_service)]
