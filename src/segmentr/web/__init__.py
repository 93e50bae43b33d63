"""segmentr.web: the dashboard, server-rendered (FastAPI + Jinja2, htmx for partial updates).

What it offers the application (``segmentr.api.create_app`` includes it at ``/``):

* ``pages()`` — the page routes (sign-in, Customer Segments, the segment editor); an unauthenticated page
  raises ``SignInRequired``, which the application answers with ``sign_in_redirect``;
* ``router()`` — an ``APIRouter`` serving the front-end bundle under ``/static/`` (content-hashed names,
  cached for a year) and ``POST /environment`` (the test/live switch, remembered in a cookie);
* ``templates`` — the Jinja2 template set: ``base.html`` (the layout: navigation, workspace, environment
  switcher, theme toggle, active segment, flash messages), ``public.html`` and ``sign_in.html``, the
  ``components.html`` macros (the condition editor, badges, progress bars, empty states…);
  ``create_templates(*dirs)`` makes one with pages of its own in front;
* ``render(templates, request, name, layout=Layout(...), context={...})`` — a page from its view-models,
  with the security headers every page carries;
* the view-models: ``Layout``, ``MemberView``, ``ActiveSegmentView``, ``Flash``, ``NAVIGATION``;
* ``current_environment(request)`` and ``flash(response, kind, message)``;
* ``wants_page(request)`` / ``page_not_found(request)``: an unknown path a browser asks for is a page, not JSON.

The front end (CodeMirror 6 with the Stof mode, uPlot, htmx, the design system's CSS) lives in ``frontend/``
at the repository's root and is bundled by esbuild into ``static/dist/`` (``make bundle``; not committed).
Data comes from ``segmentr.service`` only.
"""

from __future__ import annotations

from .assets import BUILD_HINT, Bundle
from .page_errors import page_not_found, wants_page
from .pages import pages
from .rendering import CONTENT_SECURITY_POLICY, create_templates, render
from .routes import router
from .session_cookies import current_environment, flash
from .signed_in import SESSION_COOKIE, SignInRequired, sign_in_redirect
from .view_models import (
    ENVIRONMENTS,
    NAVIGATION,
    ActiveSegmentView,
    Environment,
    Flash,
    Layout,
    MemberView,
    NavGroup,
    NavItem,
)

templates = create_templates()

__all__ = [
    "BUILD_HINT",
    "CONTENT_SECURITY_POLICY",
    "ENVIRONMENTS",
    "NAVIGATION",
    "SESSION_COOKIE",
    "ActiveSegmentView",
    "Bundle",
    "Environment",
    "Flash",
    "Layout",
    "MemberView",
    "NavGroup",
    "NavItem",
    "SignInRequired",
    "create_templates",
    "current_environment",
    "flash",
    "page_not_found",
    "pages",
    "render",
    "router",
    "sign_in_redirect",
    "templates",
    "wants_page",
]
