"""The dashboard's pages: sign-in, the Customer Segments list, the segment editor, Customers, Margin and Usage,
Notifications and the Alerts feed, Pricing rules, and the settings (Policy, Members, API keys) (``pages()``)."""

from __future__ import annotations

from fastapi import APIRouter

from ..page_errors import as_page_routes
from .alerts import router as alerts_router
from .api_keys import router as api_keys_router
from .auth import router as auth_router
from .customers import router as customers_router
from .editor import router as editor_router
from .margin import router as margin_router
from .members import router as members_router
from .notifications import router as notifications_router
from .policy import router as policy_router
from .pricing_rules import router as pricing_rules_router
from .segments import router as segments_router
from .usage import router as usage_router


def pages() -> APIRouter:
    """Every page route (mount beside ``web.router()``); unauthenticated pages redirect to ``/sign-in``; every
    route is a ``PageRoute`` (errors become pages, ``web/page_errors.py``)."""
    routes = APIRouter(include_in_schema=False)
    for router in (auth_router, segments_router, editor_router, customers_router, margin_router, usage_router,
                   alerts_router, notifications_router, pricing_rules_router, policy_router, members_router,
                   api_keys_router):  # fmt: skip
        routes.include_router(router)
    return as_page_routes(routes)


__all__ = ["pages"]
