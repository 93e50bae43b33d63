"""Members settings: who is in the workspace and their roles, pending invitations, invite (the single-use link
shown once), change a role, remove (a confirmation first). The owner rules are the service's: the last owner
can be neither demoted nor removed, only an owner grants or changes ownership; the page offers only what the
signed-in member may do and says the service's reason when a change is refused."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors
from segmentr.service import ROLES, Action, permits

from ..page_errors import PageRoute, message_of
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, field, read_form, viewer
from ..templating import templates
from .segments import when

router = APIRouter(include_in_schema=False, route_class=PageRoute)

ROLE_HELP = {
    "owner": "everything, including ownership",
    "admin": "everything but ownership: members, API keys, the policy",
    "editor": "segments, notifications, pricing rules, customers",
    "viewer": "reads everything, changes nothing",
}


def _grantable(seen: Viewer) -> list[str]:
    """The roles this member may give: ownership only by an owner."""
    return [role for role in ROLES if role != "owner" or seen.actor.role == "owner"]


def _members_page(request: Request, seen: Viewer, *, invited: dict[str, Any] | None = None,
                  form: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> Response:  # fmt: skip
    service = seen.services.members(seen.actor)
    members = service.list()
    owners = sum(1 for member in members if member.role == "owner")
    now = seen.services.store.now()
    invitations = [
        {"invitation": item, "when": when(item.created_at), "expires": when(item.expires_at),
         "state": "accepted" if item.accepted_at else ("expired" if item.expires_at <= now else "pending")}
        for item in service.invitations() if not item.accepted_at
    ]  # fmt: skip
    rows = [
        {"member": member, "joined": when(member.created_at), "me": member.public_id == seen.actor.member_id,
         "last_owner": member.role == "owner" and owners <= 1}
        for member in members
    ]  # fmt: skip
    context = {
        "rows": rows, "invitations": invitations, "can_manage": permits(seen.actor, Action.MANAGE_MEMBERS),
        "is_owner": seen.actor.role == "owner", "roles": _grantable(seen), "role_help": ROLE_HELP,
        "invited": invited, "form": form or {"email": "", "role": "viewer"}, "error": error,
    }  # fmt: skip
    return render(templates, request, "members.html", layout=seen.layout("Members", "members"), context=context,
                  status_code=status_code)  # fmt: skip


@router.get("/members", name="members_page")
def members_page(request: Request) -> Response:
    seen = viewer(request)
    return _members_page(request, seen)


@router.post("/members/invite", name="member_invite")
async def invite(request: Request) -> Response:
    """The invitation's link is in this answer only (rendered, never in a cookie or a redirect)."""
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    email, role = field(form, "email").strip(), field(form, "role", "viewer")
    try:
        grant = seen.services.members(seen.actor).invite(email, role=role)
    except errors.InvalidInput as exc:
        return _members_page(request, seen, form={"email": email, "role": role}, error=message_of(exc),
                             status_code=422)  # fmt: skip
    link = f"{str(request.base_url).rstrip('/')}/invitations/{grant.token}"
    invited = {"email": grant.invitation.email, "role": grant.invitation.role, "link": link,
               "expires": when(grant.invitation.expires_at)}  # fmt: skip
    return _members_page(request, seen, invited=invited, status_code=201)


@router.post("/members/{member_id}/role", name="member_role")
async def change_role(request: Request, member_id: str) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    role = field(form, "role")
    changed = seen.services.members(seen.actor).change_role(member_id, role)
    response = RedirectResponse("/members", status_code=303)
    flash(response, "success", f"{changed.email} is now {changed.role}.", request=request)
    return response


@router.get("/members/{member_id}/remove", name="member_remove_confirm")
def remove_confirm(request: Request, member_id: str) -> Response:
    seen = viewer(request)
    service = seen.services.members(seen.actor)
    member = service.get(member_id)
    owners = sum(1 for other in service.list() if other.role == "owner")
    context = {"member": member, "me": member.public_id == seen.actor.member_id,
               "last_owner": member.role == "owner" and owners <= 1,
               "can_manage": permits(seen.actor, Action.MANAGE_MEMBERS)}  # fmt: skip
    layout = seen.layout(f"Remove {member.email}?", "members")
    return render(templates, request, "member_remove.html", layout=layout, context=context)


@router.post("/members/{member_id}/remove", name="member_remove")
async def remove(request: Request, member_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    service = seen.services.members(seen.actor)
    member = service.get(member_id)
    try:
        service.remove(member.public_id)
    except errors.LastOwner as exc:  # back to the list, which says who the owners are
        response = RedirectResponse("/members", status_code=303)
        flash(response, "error", message_of(exc), request=request)
        return response
    if member.public_id == seen.actor.member_id:
        response = RedirectResponse("/sign-in", status_code=303)
        flash(response, "info", "You left the workspace.")
        return response
    response = RedirectResponse("/members", status_code=303)
    flash(response, "success", f"{member.email} was removed; their sessions have ended.", request=request)
    return response
