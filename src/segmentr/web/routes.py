"""The dashboard's own routes: the bundle under ``/static/`` and the environment switch."""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

from .assets import BUILD_HINT, Bundle, is_content_hashed
from .session_cookies import remember_environment
from .view_models import ENVIRONMENTS, Environment

LONG_CACHE = "public, max-age=31536000, immutable"
MAX_FORM_BYTES = 4096


def _local_path(target: str | None) -> str:
    """A redirect target on this site only (``/customers?page=2``); anything else goes to ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def router(*, bundle: Bundle | None = None) -> APIRouter:
    """The dashboard's router, to include at ``/``: ``GET /static/{file}`` and ``POST /environment``."""
    assets = bundle or Bundle()
    routes = APIRouter(include_in_schema=False)

    @routes.get("/static/{path:path}", name="dashboard_static")
    def static_file(path: str) -> Response:
        file = assets.file(path)
        if file is None:
            missing = "" if assets.ready else f" (the dashboard bundle is not built: {BUILD_HINT})"
            return PlainTextResponse(f"not found{missing}", status_code=404)
        cache = LONG_CACHE if is_content_hashed(file.name) else "no-cache"
        return FileResponse(file, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})

    @routes.post("/environment", name="dashboard_environment")
    async def switch_environment(request: Request) -> Response:
        body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", errors="replace")
        form = parse_qs(body, keep_blank_values=True)
        chosen = (form.get("environment") or [""])[0]
        target = _local_path((form.get("next") or [None])[0])
        if chosen not in ENVIRONMENTS:
            return PlainTextResponse("environment must be test or live", status_code=422)
        response = RedirectResponse(target, status_code=303)
        remember_environment(response, cast(Environment, chosen), secure=request.url.scheme == "https")
        return response

    return routes


__all__ = ["LONG_CACHE", "router"]
