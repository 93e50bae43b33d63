"""The HTTP API (api.md): a FastAPI application over ``segmentr.service``.

``create_app`` builds it: pydantic models for every request and response (``schemas/``), one route module per
resource (``routes/``), the request's dependencies (``deps.py``: the store, the actor, the services), the one
error shape of api.md §3 (``errors.py``: the error tree mapped to HTTP in one table) and the edge's limits
(``edge.py``: request ids, body sizes, the per-key rate limit).
"""

from segmentr.api.app import create_app
from segmentr.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
