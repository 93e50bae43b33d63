"""Policies, members, invitations, API keys and sessions (api.md §2, §4)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from segmentr.api.schemas.common import ApiModel, ListOf, Text

__all__ = [
    "ApiKeyCreate",
    "ApiKeyList",
    "ApiKeyObject",
    "CreatedApiKey",
    "InvitationAccept",
    "InvitationCreate",
    "InvitationObject",
    "MemberList",
    "MemberObject",
    "MemberPatch",
    "PolicyObject",
    "PolicyVersionList",
    "PolicyVersionSummary",
    "SessionCreate",
    "SessionObject",
]

Role = Literal["owner", "admin", "editor", "viewer"]
KeyRole = Literal["admin", "editor", "viewer"]
EnvironmentName = Literal["test", "live"]


class PolicyObject(BaseModel):
    object: Literal["policy"] = "policy"
    environment: str
    version: int
    created_at: int
    document: dict[str, Any]


class PolicyVersionSummary(BaseModel):
    object: Literal["policy_version"] = "policy_version"
    version: int
    created_at: int


class PolicyVersionList(ListOf[PolicyVersionSummary]):
    pass


class MemberObject(BaseModel):
    object: Literal["member"] = "member"
    id: str
    email: str
    name: str
    role: Role
    created_at: int


class MemberList(ListOf[MemberObject]):
    pass


class MemberPatch(ApiModel):
    role: Role


class InvitationCreate(ApiModel):
    email: Text = Field(min_length=3, max_length=320)
    role: Role


class InvitationObject(BaseModel):
    """``token`` and ``url`` are shown once, at creation; only a hash is kept."""

    object: Literal["invitation"] = "invitation"
    id: str
    email: str
    role: Role
    created_at: int
    expires_at: int
    token: str | None = None
    url: str | None = None


class InvitationAccept(ApiModel):
    token: Text = Field(min_length=1)
    password: Text = Field(min_length=1, max_length=1024)
    name: Text = ""


class ApiKeyCreate(ApiModel):
    name: Text = Field(min_length=1, max_length=120)
    environment: EnvironmentName
    role: KeyRole


class ApiKeyObject(BaseModel):
    object: Literal["api_key"] = "api_key"
    id: str
    name: str
    environment: EnvironmentName
    role: KeyRole
    prefix: str
    created: int
    created_by: str | None
    last_used: int | None
    revoked: int | None


class CreatedApiKey(ApiKeyObject):
    """The secret is in this answer only: it cannot be read again."""

    secret: str


class ApiKeyList(ListOf[ApiKeyObject]):
    pass


class SessionCreate(ApiModel):
    email: Text = Field(min_length=1, max_length=320)
    password: Text = Field(min_length=1, max_length=1024)


class SessionObject(BaseModel):
    """A dashboard session: the token is in the HttpOnly cookie; send ``csrf_token`` as ``X-CSRF-Token``."""

    object: Literal["session"] = "session"
    csrf_token: str
    expires_at: int
    member: MemberObject
