"""Members, invitations, API keys and dashboard sessions (api.md §2, §4; workspace-level)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from segmentr.api.deps import SESSION_COOKIE, ActorDep, KeysDep, MembersDep, ServicesDep, authenticate
from segmentr.api.idempotency import IdempotentRoute
from segmentr.api.openapi import errors as error_responses
from segmentr.api.schemas.common import Text
from segmentr.api.schemas.workspace import (
    ApiKeyCreate,
    ApiKeyList,
    ApiKeyObject,
    CreatedApiKey,
    InvitationAccept,
    InvitationCreate,
    InvitationObject,
    MemberList,
    MemberObject,
    MemberPatch,
    SessionCreate,
    SessionObject,
)
from segmentr.service import ApiKey, SessionGrant

__all__ = ["router"]

router = APIRouter(route_class=IdempotentRoute, dependencies=[Depends(authenticate)])
# Signing in and accepting an invitation are how a caller gets credentials: open to anyone.
sessions_router = APIRouter(route_class=IdempotentRoute, tags=["sessions"])


def member_object(member: Any) -> MemberObject:
    return MemberObject(id=member.public_id, email=member.email, name=member.name, role=member.role,
                        created_at=member.created_at)  # fmt: skip


def key_fields(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id, "name": key.name, "environment": key.environment, "role": key.role, "prefix": key.prefix,
        "created": key.created_at, "created_by": key.created_by, "last_used": key.last_used_at,
        "revoked": key.revoked_at,
    }  # fmt: skip


def invitation_object(invitation: Any, token: str | None = None, url: str | None = None) -> InvitationObject:
    return InvitationObject(id=invitation.id, email=invitation.email, role=invitation.role,
                            created_at=invitation.created_at, expires_at=invitation.expires_at, token=token,
                            url=url)  # fmt: skip


# ---------------------------------------------------------------------- members


@router.get("/v1/members", operation_id="list_members", response_model=MemberList, responses=error_responses(),
            tags=["members"])
def list_members(members: MembersDep) -> MemberList:
    return MemberList(data=[member_object(m) for m in members.list()], has_more=False)


@router.patch("/v1/members/{member_id}", operation_id="update_member", response_model=MemberObject,
              responses=error_responses(404, 409), tags=["members"])
def update_member(member_id: Text, body: MemberPatch, members: MembersDep) -> MemberObject:
    """Change a member's role (owners only for ownership; the last owner cannot be demoted: 409 ``last_owner``)."""
    return member_object(members.change_role(member_id, body.role))


@router.delete("/v1/members/{member_id}", operation_id="delete_member", responses=error_responses(404, 409),
               tags=["members"])
def delete_member(member_id: Text, members: MembersDep) -> dict[str, Any]:
    members.remove(member_id)
    return {"object": "member", "id": member_id, "deleted": True}


# ---------------------------------------------------------------------- invitations


@router.post("/v1/invitations", operation_id="create_invitation", response_model=InvitationObject,
             status_code=201, responses=error_responses(409), tags=["members"])
def create_invitation(body: InvitationCreate, members: MembersDep, request: Request) -> InvitationObject:
    """Invite by email; the single-use link is in this answer only (it expires; only its hash is kept)."""
    grant = members.invite(body.email, role=body.role)
    url = f"{str(request.base_url).rstrip('/')}/invitations/{grant.token}"
    return invitation_object(grant.invitation, grant.token, url)


@sessions_router.post("/v1/invitations/accept", operation_id="accept_invitation", response_model=SessionObject,
             responses=error_responses(), tags=["sessions"])
def accept_invitation(body: InvitationAccept, services: ServicesDep, response: Response) -> SessionObject:
    """Join with the invitation's token and a password: a new member, signed in."""
    grant = services.accept_invitation(body.token, body.password, body.name)
    return _session(services, grant, response)


# ---------------------------------------------------------------------- API keys


@router.get("/v1/api-keys", operation_id="list_api_keys", response_model=ApiKeyList, responses=error_responses(),
            tags=["api-keys"])
def list_keys(keys: KeysDep) -> ApiKeyList:
    return ApiKeyList(data=[ApiKeyObject(**key_fields(k)) for k in keys.list()], has_more=False)


@router.post("/v1/api-keys", operation_id="create_api_key", response_model=CreatedApiKey, status_code=201,
             responses=error_responses(), tags=["api-keys"])
def create_key(body: ApiKeyCreate, keys: KeysDep) -> CreatedApiKey:
    """A new key; its secret is in this answer only."""
    created = keys.create(body.name, environment=body.environment, role=body.role)
    return CreatedApiKey(**key_fields(created.key), secret=created.secret)


@router.delete("/v1/api-keys/{key_id}", operation_id="revoke_api_key", response_model=ApiKeyObject,
               responses=error_responses(404), tags=["api-keys"])
def revoke_key(key_id: Text, keys: KeysDep) -> ApiKeyObject:
    """Revoke at once: the very next call with the key fails."""
    return ApiKeyObject(**key_fields(keys.revoke(key_id)))


# ---------------------------------------------------------------------- dashboard sessions


def _session(services: Any, grant: SessionGrant, response: Response) -> SessionObject:
    max_age = max(0, (grant.expires_at - services.store.now()) // 1000)
    response.set_cookie(SESSION_COOKIE, grant.token, max_age=max_age, httponly=True, samesite="lax", path="/")
    member = services.members(grant.actor).get(grant.actor.member_id)
    return SessionObject(csrf_token=grant.csrf_token, expires_at=grant.expires_at, member=member_object(member))


@sessions_router.post("/v1/sessions", operation_id="sign_in", response_model=SessionObject, status_code=201,
             responses=error_responses(), tags=["sessions"])
def sign_in(body: SessionCreate, services: ServicesDep, response: Response) -> SessionObject:
    """Sign in with email and password: the session cookie (HttpOnly, SameSite=Lax) and its CSRF token."""
    return _session(services, services.sign_in(body.email, body.password), response)


@router.delete("/v1/sessions/current", operation_id="sign_out", responses=error_responses(), tags=["sessions"])
def sign_out(request: Request, actor: ActorDep, services: ServicesDep, response: Response) -> dict[str, Any]:
    """End the caller's session (the cookie is cleared)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        services.sign_out(token)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return {"object": "session", "deleted": True, "member": actor.member_id}
