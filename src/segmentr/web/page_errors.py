"""The pages' error seam: a service error reaching a page becomes HTML in the design, never the API's JSON and
never a 500.

Every page router is built with ``route_class=PageRoute``. Its handler catches the error tree
(``segmentr.errors.SegmentrError``) and answers:

* a form post (an unsafe method, not htmx) that came from one of our pages: a 303 back to that page with the
  message as an error flash — a refused write or an expired CSRF token reads in place, the page reloaded;
* an htmx request: a small alert fragment with the error's status (htmx does not swap an error by default;
  a fragment's own handler of ``htmx:responseError`` can show it);
* anything else: the error page (``error.html``) with the error's status, inside the signed-in layout when the
  session is good, else the public one.

``SignInRequired`` passes through (the application answers it with the sign-in redirect). An error outside the
tree is a bug: it is logged and shown as the same error page with status 500, saying nothing of the internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from markupsafe import escape
from starlette.exceptions import HTTPException

from segmentr import errors

from .rendering import render
from .session_cookies import flash
from .signed_in import SignInRequired, viewer
from .templating import templates

log = logging.getLogger("segmentr.web")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# The error tree's kinds as a page's status and heading; the most specific class along the MRO wins.
PAGE_STATUS: dict[type[BaseException], tuple[int, str]] = {
    errors.InvalidInput: (422, "That could not be saved"),
    errors.NotFound: (404, "Not found"),
    errors.Conflict: (409, "That conflicts with the current state"),
    errors.AuthenticationFailed: (401, "Sign in again"),
    errors.PermissionDenied: (403, "Not allowed"),
    errors.RateLimited: (429, "Too many requests"),
    errors.NotInitialised: (503, "The database is not ready"),
    errors.Unavailable: (503, "Temporarily unavailable"),
    errors.SegmentrError: (500, "Something went wrong"),
}
UNEXPECTED_MESSAGE = "Something went wrong on our side. Try again; if it keeps happening, tell your administrator."


def status_of(exc: BaseException) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        found = PAGE_STATUS.get(cls)
        if found is not None:
            return found
    return 500, "Something went wrong"


def message_of(exc: errors.SegmentrError) -> str:
    """What a person reads: the problems' messages for invalid input, else the error's own message."""
    problems = getattr(exc, "problems", None) or []
    if problems:
        return "; ".join(problem.message for problem in problems[:3])
    return exc.message


def _came_from(request: Request) -> str | None:
    """The page of ours the form was posted from (same host, a path), or None."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_page(request: Request, status: int, heading: str, message: str) -> Response:
    """The error page in the design: the signed-in layout when there is a good session, else the public one."""
    context = {"status": status, "heading": heading, "message": message}
    try:
        seen = viewer(request)
        layout = seen.layout(heading, None)
    except Exception:  # no session, or the session cannot be read (the database is down): the public layout
        return render(templates, request, "error_public.html", status_code=status, context=context)
    return render(templates, request, "error.html", layout=layout, status_code=status, context=context)


def wants_page(request: Request) -> bool:
    """A browser asking for a dashboard page (not the API, not the bundle): a 404 it gets is a page too."""
    path = request.url.path
    return (request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
            and not path.startswith(("/v1/", "/static/")) and path != "/v1")  # fmt: skip


def page_not_found(request: Request) -> Response:
    """The application's answer to an unknown path a browser asked for (``wants_page``)."""
    return error_page(request, 404, "Not found", "There is no such page. It may have moved, or the link is old.")


def page_error_response(request: Request, exc: errors.SegmentrError) -> Response:
    status, heading = status_of(exc)
    if status >= 500:
        log.error("error in page %s %s", request.method, request.url.path, exc_info=exc)
    message = message_of(exc) if status < 500 else UNEXPECTED_MESSAGE
    if request.headers.get("hx-request") == "true":
        fragment = f'<div class="flash flash--error" role="alert"><div class="flash__body">{escape(message)}</div></div>'
        return HTMLResponse(fragment, status_code=status)
    if request.method not in SAFE_METHODS:
        back = _came_from(request)
        if back is not None:
            response = RedirectResponse(back, status_code=303)
            flash(response, "error", message, request=request)
            return response
    return error_page(request, status, heading, message)


class PageRoute(APIRoute):
    """A page route: errors of the tree become HTML (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                raise
            except RequestValidationError:  # a path or query that names no page (``/policy/versions/x``)
                return error_page(request, 404, "Not found", "There is no such page.")
            except errors.SegmentrError as exc:
                return page_error_response(request, exc)
            except HTTPException:
                raise
            except Exception as exc:  # a bug: the page still answers in the design
                log.error("unexpected error in page %s %s", request.method, request.url.path, exc_info=exc)
                return error_page(request, 500, "Something went wrong", UNEXPECTED_MESSAGE)

        return handle


def as_page_routes(router: APIRouter) -> APIRouter:
    """``router`` with every route a ``PageRoute``, whatever class its module built it with: a page module that
    forgets ``route_class=PageRoute`` still answers errors as pages (``pages()`` passes every router through)."""
    for index, route in enumerate(router.routes):
        if isinstance(route, APIRoute) and not isinstance(route, PageRoute):
            router.routes[index] = PageRoute(
                route.path, route.endpoint, methods=route.methods, name=route.name, include_in_schema=False,
                response_class=route.response_class, status_code=route.status_code,
                dependencies=route.dependencies, response_model=route.response_model,
            )  # fmt: skip
    return router


__all__ = [
    "PAGE_STATUS",
    "PageRoute",
    "as_page_routes",
    "error_page",
    "message_of",
    "page_error_response",
    "page_not_found",
    "status_of",
    "wants_page",
]
