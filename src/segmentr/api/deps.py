"""What a request depends on: the process's ``Services``, the authenticated ``Actor``, the domain's service.

FastAPI runs these per request; a route asks for the service it calls (acting as the caller) and never
touches the store. Each service call is one unit of work (the request owns it through the call).

Authentication: ``Authorization: Bearer sk_…`` (an API key), else the dashboard's session cookie; a session's
unsafe requests (POST, PUT, PATCH, DELETE) must echo its CSRF token in ``X-CSRF-Token``. The actor is resolved
once per request and kept on ``request.state``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from segmentr import errors
from segmentr.service import (
    Actor,
    CustomerService,
    KeyService,
    MemberService,
    PolicyService,
    PricingService,
    SegmentService,
    Services,
)

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ActorDep",
    "CustomersDep",
    "Environment",
    "KeysDep",
    "MembersDep",
    "PoliciesDep",
    "PricingDep",
    "SegmentsDep",
    "ServicesDep",
    "authenticate",
    "get_services",
    "require_credentials",
    "run_authenticated",
]

T = TypeVar("T")

SESSION_COOKIE = "segmentr_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _services(request: Request) -> Services:
    return get_services(request)


# The dependencies that only look something up or build a service object are ``async def``: FastAPI runs a
# plain ``def`` dependency in the thread pool, and a thread hop each costs more than the work itself (the
# database-reading ``authenticate`` and the routes stay plain functions, off the event loop).
ServicesDep = Annotated[Services, Depends(_services)]


def _bearer_secret(request: Request) -> str | None:
    """The API key secret of ``Authorization: Bearer …``; None without the header; ``AuthenticationFailed`` for
    a header of another shape or neither a header nor a session cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise errors.AuthenticationFailed("use `Authorization: Bearer sk_…`")
        return secret.strip()
    if not request.cookies.get(SESSION_COOKIE):
        raise errors.AuthenticationFailed(
            "authentication required: an API key (`Authorization: Bearer sk_…`) or a dashboard session",
            code="authentication_required",
        )
    return None


async def require_credentials(request: Request) -> None:
    """Refuse a request without credentials before its body is read (no database: the route authenticates)."""
    _bearer_secret(request)


def authenticate(request: Request) -> Actor:
    """The caller: its API key, else its session (with the CSRF check); ``AuthenticationFailed`` otherwise."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    services = get_services(request)
    secret = _bearer_secret(request)
    if secret is not None:
        actor = services.authenticate_key(secret)
    else:
        grant = services.authenticate_session(request.cookies[SESSION_COOKIE])
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), grant.csrf_token.encode()):
                raise errors.PermissionDenied(
                    f"a session's {request.method} needs its CSRF token in the {CSRF_HEADER} header",
                    code="csrf_token_invalid",
                )
        actor = grant.actor
    request.state.actor = actor
    return actor


async def run_authenticated(request: Request, work: Callable[[Services, Actor], T]) -> T:
    """``work(services, actor)`` off the event loop, the authentication in the same thread-pool hop: for hot
    routes, which declare ``require_credentials`` instead of depending on ``authenticate`` (a hop of its own)."""
    return await run_in_threadpool(lambda: work(get_services(request), authenticate(request)))


ActorDep = Annotated[Actor, Depends(authenticate)]

# An unknown environment in a path is answered 404 by the validation handler (errors.py).
Environment = Annotated[Literal["test", "live"], Path(description="the environment: `test` or `live`")]


async def segment_service(services: ServicesDep, actor: ActorDep) -> SegmentService:
    return services.segments(actor)


async def customer_service(services: ServicesDep, actor: ActorDep) -> CustomerService:
    return services.customers(actor)


async def policy_service(services: ServicesDep, actor: ActorDep) -> PolicyService:
    return services.policies(actor)


async def member_service(services: ServicesDep, actor: ActorDep) -> MemberService:
    return services.members(actor)


async def key_service(services: ServicesDep, actor: ActorDep) -> KeyService:
    return services.keys(actor)


def pricing_service(services: ServicesDep, actor: ActorDep) -> PricingService:
    return services.pricing(actor)


SegmentsDep = Annotated[SegmentService, Depends(segment_service)]
CustomersDep = Annotated[CustomerService, Depends(customer_service)]
PoliciesDep = Annotated[PolicyService, Depends(policy_service)]
MembersDep = Annotated[MemberService, Depends(member_service)]
KeysDep = Annotated[KeyService, Depends(key_service)]
PricingDep = Annotated[PricingService, Depends(pricing_service)]
