"""The two small per-browser choices the dashboard keeps in cookies: the environment shown, one-time flashes.

Neither is a secret nor grants anything (authorisation is the service's); both are read defensively: a cookie
that does not parse is ignored, never an error.
"""

from __future__ import annotations

import json
from typing import cast

from fastapi import Request, Response

from .view_models import ENVIRONMENTS, Environment, Flash, FlashKind

ENVIRONMENT_COOKIE = "segmentr_environment"
FLASH_COOKIE = "segmentr_flash"
DEFAULT_ENVIRONMENT: Environment = "live"
_FLASH_KINDS = {"success", "info", "warning", "error"}
_MAX_FLASHES = 5
_YEAR = 365 * 24 * 3600


def current_environment(request: Request) -> Environment:
    """The environment this browser is looking at (test or live); live unless switched."""
    value = request.cookies.get(ENVIRONMENT_COOKIE)
    return cast(Environment, value) if value in ENVIRONMENTS else DEFAULT_ENVIRONMENT


def remember_environment(response: Response, environment: Environment, *, secure: bool = False) -> None:
    response.set_cookie(
        ENVIRONMENT_COOKIE, environment, max_age=_YEAR, path="/", httponly=True, samesite="lax", secure=secure
    )


def flash(response: Response, kind: FlashKind, message: str, *, request: Request | None = None) -> None:
    """Queue a message for the next page this browser renders (typically after a 303 redirect)."""
    pending = take_flashes(request) if request is not None else []
    pending = [*pending, Flash(kind, message)][-_MAX_FLASHES:]
    payload = json.dumps([[item.kind, item.message] for item in pending], ensure_ascii=True)
    response.set_cookie(FLASH_COOKIE, payload, path="/", httponly=True, samesite="lax")


def take_flashes(request: Request | None) -> list[Flash]:
    """The queued messages of this request's cookie (the caller clears the cookie on its response)."""
    if request is None:
        return []
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    found: list[Flash] = []
    if isinstance(items, list):
        for item in items[:_MAX_FLASHES]:
            if (
                isinstance(item, list) and len(item) == 2 and item[0] in _FLASH_KINDS and isinstance(item[1], str)
            ):
                found.append(Flash(cast(FlashKind, item[0]), item[1][:500]))
    return found


def forget_flashes(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/")


__all__ = [
    "DEFAULT_ENVIRONMENT",
    "ENVIRONMENT_COOKIE",
    "FLASH_COOKIE",
    "current_environment",
    "flash",
    "forget_flashes",
    "remember_environment",
    "take_flashes",
]
