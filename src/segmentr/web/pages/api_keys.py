"""API keys settings: every key of the workspace (environment, role, last used, revoked or not), create (the
secret shown once, on the answer to the create itself), revoke (a confirmation, then at once: the key's next
call fails)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors
from segmentr.service import ENVIRONMENTS, KEY_ROLES, Action, ApiKey, CreatedKey, permits

from ..page_errors import PageRoute, message_of
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, field, read_form, viewer
from ..templating import templates
from .segments import when

router = APIRouter(include_in_schema=False, route_class=PageRoute)

KEY_ROLE_HELP = {
    "admin": "everything a member admin can do, in its environment",
    "editor": "segments, customers and usage, in its environment",
    "viewer": "read only",
}


def _keys_page(request: Request, seen: Viewer, *, created: CreatedKey | None = None,
               form: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> Response:  # fmt: skip
    keys = seen.services.keys(seen.actor).list()
    rows = [{"key": key, "created": when(key.created_at), "last_used": when(key.last_used_at),
             "revoked": when(key.revoked_at)}
            for key in sorted(keys, key=lambda key: (key.revoked_at is not None, -key.created_at))]  # fmt: skip
    context = {
        "rows": rows, "created": created, "can_manage": permits(seen.actor, Action.MANAGE_KEYS),
        "environments": ENVIRONMENTS, "key_roles": KEY_ROLES, "role_help": KEY_ROLE_HELP, "error": error,
        "form": form or {"name": "", "environment": seen.environment, "role": "viewer"},
    }  # fmt: skip
    return render(templates, request, "api_keys.html", layout=seen.layout("API keys", "api-keys"),
                  context=context, status_code=status_code)  # fmt: skip


@router.get("/api-keys", name="api_keys_page")
def api_keys_page(request: Request) -> Response:
    return _keys_page(request, viewer(request))


@router.post("/api-keys", name="api_key_create")
async def create(request: Request) -> Response:
    """The secret is in this answer only: rendered here, never stored, never in a redirect or a cookie."""
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    chosen = {"name": field(form, "name").strip(), "environment": field(form, "environment"),
              "role": field(form, "role")}  # fmt: skip
    try:
        created = seen.services.keys(seen.actor).create(chosen["name"], environment=chosen["environment"],
                                                        role=chosen["role"])  # fmt: skip
    except errors.InvalidInput as exc:
        return _keys_page(request, seen, form=chosen, error=message_of(exc), status_code=422)
    return _keys_page(request, seen, created=created, status_code=201)


def _key(seen: Viewer, key_id: str) -> ApiKey:
    found = next((key for key in seen.services.keys(seen.actor).list() if key.id == key_id), None)
    if found is None:
        raise errors.NotFound(f"no API key {key_id}")
    return found


@router.get("/api-keys/{key_id}/revoke", name="api_key_revoke_confirm")
def revoke_confirm(request: Request, key_id: str) -> Response:
    seen = viewer(request)
    key = _key(seen, key_id)
    context = {"key": key, "last_used": when(key.last_used_at), "can_manage": permits(seen.actor, Action.MANAGE_KEYS)}
    return render(templates, request, "api_key_revoke.html", layout=seen.layout(f"Revoke “{key.name}”?", "api-keys"),
                  context=context)  # fmt: skip


@router.post("/api-keys/{key_id}/revoke", name="api_key_revoke")
async def revoke(request: Request, key_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    revoked = seen.services.keys(seen.actor).revoke(key_id)
    response = RedirectResponse("/api-keys", status_code=303)
    flash(response, "success", f"Key “{revoked.name}” ({revoked.prefix}…) is revoked: its next call fails.",
          request=request)  # fmt: skip
    return response
