"""``create_app``: the FastAPI application — the edge's middleware, the error handlers, every resource's routes,
and the store opened for the application's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from segmentr import service, web
from segmentr.api.deps import SESSION_COOKIE
from segmentr.api.edge import BodyLimit, EdgeErrors, RateLimit
from segmentr.api.errors import install_error_handlers
from segmentr.api.routes import customers, health, members, notifications, policies, pricing, segments
from segmentr.api.settings import ApiSettings
from segmentr.service import Store

__all__ = ["create_app"]

TAGS = [
    {"name": "segments", "description": "Workspace-level segments: conditions, versions, membership."},
    {"name": "me", "description": "The caller's own settings (the active segment)."},
    {"name": "customers", "description": "Environment-scoped customers in Limitr's format."},
    {"name": "usage", "description": "Metering through the policy engine: the hot path."},
    {"name": "policy", "description": "The environment's policy document and its versions."},
    {"name": "members", "description": "The workspace's members and invitations."},
    {"name": "api-keys", "description": "API keys: one environment, one role, the secret shown once."},
    {"name": "sessions", "description": "Dashboard sign-in: an HttpOnly session cookie and its CSRF token."},
    {"name": "notifications", "description": "Segment-scoped notifications, their deliveries and attempts."},
    {"name": "alerts", "description": "In-app alerts (New → Seen → Resolved) and their live stream."},
    {"name": "events", "description": "The event log of an environment."},
    {"name": "health", "description": "Liveness and database reachability."},
]


def shared_rate_limits(services: service.Services, settings: ApiSettings) -> service.RateLimits | None:
    """The rate limit every process on the database shares (None when it is turned off)."""
    if settings.rate_per_second <= 0:
        return None
    return services.rate_limits(rate=settings.rate_per_second, burst=settings.rate_burst)


def create_app(
    settings: ApiSettings | None = None, *, store: Store | None = None, services: service.Services | None = None
) -> FastAPI:
    """The API over ``services`` or ``store`` (kept open by the caller), or over the settings' database (opened
    on start-up, migrated first when ``settings.migrate``, closed on shutdown)."""
    settings = settings or ApiSettings()
    if services is not None:
        store = services.store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None:
            yield
            return
        opened = service.open_store(settings.database_url, migrate=settings.migrate)
        app.state.store = opened
        app.state.services = service.Services(opened)
        worker = service.Worker(opened, settings=service.WorkerSettings.from_env()).start() \
            if settings.run_worker else None
        app.state.rate_limits = shared_rate_limits(app.state.services, settings)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            opened.close()

    app = FastAPI(
        title="segmentr",
        version="1",
        summary="Customer segments over a usage-based pricing policy.",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.rate_limits = None
    if store is not None:
        app.state.store = store
        app.state.services = services or service.Services(store)
        app.state.rate_limits = shared_rate_limits(app.state.services, settings)
    app.state.settings = settings
    install_error_handlers(app)
    # The usage routes first: the hot path is matched before the others are tried (routes are matched in order).
    for router in (customers.usage_router, health.router, segments.router, customers.router, policies.router,
                   members.router, members.sessions_router, pricing.router, notifications.router):  # fmt: skip
        app.include_router(router)
    # the dashboard beside /v1: its bundle, the environment switch and the pages
    app.include_router(web.router())
    app.include_router(web.pages())
    app.add_exception_handler(web.SignInRequired, lambda request, exc: web.sign_in_redirect(request))
    # Added last = outermost: the request id and the last word on errors wrap everything else.
    app.add_middleware(
        RateLimit, rate=settings.rate_per_second, burst=settings.rate_burst, session_cookie=SESSION_COOKIE,
        limits=lambda: app.state.rate_limits,
    )  # fmt: skip
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, max_import_bytes=settings.max_import_bytes)
    app.add_middleware(EdgeErrors)
    return app
