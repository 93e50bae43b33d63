"""Sign in, sign out and invitation acceptance through the service's sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors

from ..page_errors import PageRoute
from ..rendering import render
from ..routes import _local_path
from ..session_cookies import flash
from ..signed_in import SESSION_COOKIE, check_csrf, field, read_form, services_of, viewer
from ..templating import templates

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _open_session(response: Response, request: Request, token: str, expires_at: int, now_s: float) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max(int(expires_at - now_s), 0), httponly=True, samesite="lax", path="/",
        secure=request.url.scheme == "https",
    )


def _seconds(expires_at: int) -> int:
    # the service's instants are epoch ms
    return expires_at // 1000 if expires_at > 10**11 else expires_at


@router.get("/", name="dashboard_home")
def home() -> RedirectResponse:
    return RedirectResponse("/segments", status_code=303)


@router.get("/sign-in", name="sign_in_page")
def sign_in_page(request: Request, next: str = "/segments") -> Response:
    return render(templates, request, "sign_in.html", context={"next": _local_path(next), "email": "", "error": ""})


@router.post("/sign-in", name="sign_in_submit")
async def sign_in_submit(request: Request) -> Response:
    import time

    form = await read_form(request)
    email, password = field(form, "email").strip(), field(form, "password")
    target = _local_path(field(form, "next", "/segments"))
    try:
        grant = services_of(request).sign_in(email, password)
    except (errors.AuthenticationFailed, errors.InvalidInput):
        context = {"next": target, "email": email, "error": "That email and password do not match a member."}
        return render(templates, request, "sign_in.html", status_code=401, context=context)
    response = RedirectResponse(target if target != "/" else "/segments", status_code=303)
    _open_session(response, request, grant.token, _seconds(grant.expires_at), time.time())
    return response


@router.post("/sign-out", name="sign_out")
async def sign_out(request: Request) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    seen.services.sign_out(seen.grant.token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    flash(response, "info", "You are signed out.")
    return response


@router.get("/invitations/{token}", name="invitation_page")
def invitation_page(request: Request, token: str) -> Response:
    return render(templates, request, "invitation.html", context={"token": token, "error": ""})


@router.post("/invitations/{token}", name="invitation_accept")
async def invitation_accept(request: Request, token: str) -> Response:
    import time

    form = await read_form(request)
    try:
        grant = services_of(request).accept_invitation(token, field(form, "password"), field(form, "name").strip())
    except errors.InvalidInput as exc:
        problems = getattr(exc, "problems", None) or []
        message = problems[0].message if problems else str(exc)
        return render(templates, request, "invitation.html", status_code=422,
                      context={"token": token, "error": message})  # fmt: skip
    except (errors.NotFound, errors.AuthenticationFailed, errors.Conflict):
        return render(templates, request, "invitation.html", status_code=410,
                      context={"token": token, "error": "This invitation is no longer valid: ask for a new one."})
    response = RedirectResponse("/segments", status_code=303)
    _open_session(response, request, grant.token, _seconds(grant.expires_at), time.time())
    flash(response, "success", "Welcome to segmentr.")
    return response
