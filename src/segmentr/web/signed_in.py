"""Who is looking at a page: the session cookie the API's session auth uses, its CSRF token, the layout around
every signed-in page.

The cookie (``segmentr_session``, HttpOnly, SameSite=Lax) is the one ``POST /v1/sessions`` sets, so a page's
``fetch`` to ``/v1/…`` is authenticated by it; unsafe requests prove they come from our pages with the
session's CSRF token (a form field ``csrf_token`` or the ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse

from segmentr import errors
from segmentr.service import Actor, SegmentService, Services, SessionGrant

from .session_cookies import current_environment
from .view_models import ActiveSegmentView, Environment, Layout, MemberView

SESSION_COOKIE = "segmentr_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 256 * 1024  # a condition is at most 64 KB; rows and names are small


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, then back: to this page, or for a form post (its session expired) to the page the
    form was on — a POST-only path cannot be opened after signing in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in ("GET", "HEAD"):
        referer = urlsplit(request.headers.get("referer", ""))
        local = referer.path.startswith("/") and not referer.path.startswith("//") and (
            not referer.netloc or referer.netloc == request.url.netloc)  # fmt: skip
        target = (referer.path + (f"?{referer.query}" if referer.query else "")) if local else "/"
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


async def read_form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise errors.InvalidInput("the form is too large")
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def field(form: dict[str, list[str]], name: str, default: str = "") -> str:
    return (form.get(name) or [default])[0]


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in member looking at the dashboard in one environment."""

    grant: SessionGrant
    services: Services
    environment: Environment

    @property
    def actor(self) -> Actor:
        return self.grant.actor

    def segments(self) -> SegmentService:
        return self.services.segments(self.actor)

    def layout(self, title: str, section: str | None, *, active: Any = ...) -> Layout:
        """The page's chrome; ``active`` is the member's active segment when the caller has already read it."""
        services = self.services
        workspace = services.workspace(self.actor.workspace_id)
        member = services.members(self.actor).get(self.actor.member_id) if self.actor.member_id else None
        if active is ...:
            active = self.segments().active_segment()
        return Layout(
            title=title,
            workspace=workspace.name,
            environment=self.environment,
            section=section,
            member=MemberView(email=member.email, name=member.name or None, role=member.role) if member else None,
            active_segment=(
                ActiveSegmentView(active.id, active.name, clear_url=f"/segments/{active.id}/active")
                if active is not None else None
            ),
            csrf_token=self.grant.csrf_token,
        )


def viewer(request: Request) -> Viewer:
    """The signed-in member (``SignInRequired`` otherwise), with the environment this browser shows."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    services = services_of(request)
    try:
        grant = services.authenticate_session(token)
    except errors.AuthenticationFailed:
        raise SignInRequired from None
    return Viewer(grant, services, current_environment(request))


def check_csrf(request: Request, seen: Viewer, form: dict[str, list[str]] | None = None) -> None:
    """An unsafe request of the session must carry its CSRF token (``PermissionDenied`` otherwise)."""
    sent = request.headers.get(CSRF_HEADER) or (field(form, CSRF_FIELD) if form is not None else "")
    if not hmac.compare_digest(sent.encode(), seen.grant.csrf_token.encode()):
        raise errors.PermissionDenied(
            "this form has expired: reload the page and try again", code="csrf_token_invalid"
        )


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SignInRequired",
    "Viewer",
    "check_csrf",
    "field",
    "read_form",
    "services_of",
    "sign_in_redirect",
    "viewer",
]
