"""Pages from view-models: the Jinja2 environment, the layout's context, the headers every page carries."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .assets import BUILD_HINT, Bundle
from .session_cookies import FLASH_COOKIE, forget_flashes, take_flashes
from .view_models import ENVIRONMENTS, Layout

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# Scripts only from our own origin (the bundle), never inline: a condition or a customer's metadata shown on a
# page can never run. Styles allow inline because CodeMirror and uPlot set element styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def create_templates(*extra_dirs: Path, bundle: Bundle | None = None) -> Jinja2Templates:
    """A template set: ``extra_dirs`` first (pages of their own), then the package's layout and components."""
    loader = jinja2.ChoiceLoader([
        *(jinja2.FileSystemLoader(str(directory)) for directory in extra_dirs),
        jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
    ])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    assets = bundle or Bundle()
    env.globals.update(asset_url=assets.url, bundle=assets, bundle_hint=BUILD_HINT, environments=ENVIRONMENTS)
    env.filters["count"] = _count
    return Jinja2Templates(env=env)


def _count(number: int, singular: str, plural: str | None = None) -> str:
    """``1 customer`` / ``2,400 customers``."""
    word = singular if number == 1 else (plural or f"{singular}s")
    return f"{number:,} {word}"


def render(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    *,
    layout: Layout | None = None,
    status_code: int = 200,
    context: Mapping[str, Any] | None = None,
) -> HTMLResponse:
    """Render template ``name`` with ``layout`` (the page's chrome) and the page's own ``context``.

    Flash messages queued by the previous response are shown once and cleared.
    """
    queued = take_flashes(request)
    if layout is not None and queued:
        layout = dataclasses.replace(layout, flashes=(*layout.flashes, *queued))
    page_context: dict[str, Any] = {"layout": layout, "current_path": request.url.path, **(context or {})}
    response = templates.TemplateResponse(request, name, page_context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    if FLASH_COOKIE in request.cookies:
        forget_flashes(response)
    return response


__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_HEADERS", "TEMPLATES_DIR", "create_templates", "render"]
