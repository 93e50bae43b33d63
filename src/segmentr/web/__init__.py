"""segmentr.web: the dashboard, server-rendered (FastAPI + Jinja2, htmx for partial updates).

What it offers the application (``segmentr.api.create_app`` includes it at ``/``):

* ``router()`` — an ``APIRouter`` serving the front-end bundle under ``/static/`` (content-hashed names,
  cached for a year) and ``POST /environment`` (the test/live switch, remembered in a cookie);
* ``templates`` — the Jinja2 template set: ``base.html`` (the layout: navigation, workspace, environment
  switcher, theme toggle, active segment, flash messages), ``public.html`` and ``sign_in.html``, the
  ``components.html`` macros (the condition editor, badges, progress bars, empty states…);
  ``create_templates(*dirs)`` makes one with pages of its own in front;
* ``render(templates, request, name, layout=Layout(...), context={...})`` — a page from its view-models,
  with the security headers every page carries;
* the view-models: ``Layout``, ``MemberView``, ``ActiveSegmentView``, ``Flash``, ``NAVIGATION``;
* ``current_environment(request)`` and ``flash(response, kind, message)``.

The front end (CodeMirror 6 with the Stof mode, uPlot, htmx, the design system's CSS) lives in ``frontend/``
at the repository's root and is bundled by esbuild into ``static/dist/`` (``make bundle``; not committed).
Data comes from ``segmentr.service`` only.
"""

from __future__ import annotations

from .assets import BUILD_HINT, Bundle
from .rendering import CONTENT_SECURITY_POLICY, create_templates, render
from .routes import router
from .session_cookies import current_environment, flash
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
    "ActiveSegmentView",
    "Bundle",
    "Environment",
    "Flash",
    "Layout",
    "MemberView",
    "NavGroup",
    "NavItem",
    "create_templates",
    "current_environment",
    "flash",
    "render",
    "router",
    "templates",
]
