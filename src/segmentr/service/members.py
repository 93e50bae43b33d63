"""Members of a workspace: list, add (with a password), role changes, removal, invitations; the owner rules.

Owner rules: only an owner grants, changes or removes ownership ("admin: everything but ownership"), and the
last owner can be neither removed nor demoted. The owners are counted under a lock in the same transaction as
the change, so two owners demoting each other at once cannot leave the workspace with none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from segmentr.errors import InvalidInput, LastOwner, PermissionDenied, Problem
from segmentr.service.access import Action, require
from segmentr.service.auth import INVITATION_TTL_MS, Authentication
from segmentr.service.context import ROLES, Actor
from segmentr.service.tokens import digest, new_id, new_token
from segmentr.store import Member, Store, UnitOfWork, auth, workspaces
from segmentr.store.auth import Invitation

__all__ = ["InvitationGrant", "MemberService"]


@dataclass(frozen=True, slots=True)
class InvitationGrant:
    """A new invitation and its token (for the link): shown once, stored hashed."""

    invitation: Invitation
    token: str


class MemberService:
    """The members of the actor's workspace."""

    def __init__(self, store: Store, actor: Actor, authentication: Authentication) -> None:
        self._store = store
        self.actor = actor
        self._auth = authentication

    def list(self) -> list[Member]:
        require(self.actor, Action.READ_MEMBERS)
        with self._store.session() as session:
            return workspaces.list_members(session=session, workspace_id=self.actor.workspace_id)

    def get(self, member_id: str) -> Member:
        require(self.actor, Action.READ_MEMBERS)
        with self._store.session() as session:
            return auth.member_by_public_id(session=session, workspace_id=self.actor.workspace_id, public_id=member_id)

    def create(self, email: str, *, role: str, password: str, name: str = "") -> Member:
        """A member who signs in with ``password`` (``segmentr users create``); ownership needs an owner."""
        require(self.actor, Action.MANAGE_MEMBERS)
        _check_role(role)
        self._ownership(role)
        password_hash = self._auth.hash_password(password)

        def add(uow: UnitOfWork) -> Member:
            member = workspaces.add_member(
                session=uow.session, workspace_id=self.actor.workspace_id, email=email, role=role, name=name,
                now=uow.now,
            )
            auth.set_password_hash(session=uow.session, member_id=member.id, password_hash=password_hash)
            return workspaces.get_member(session=uow.session, workspace_id=member.workspace_id, member_id=member.id)

        return self._store.run(add, write=True)

    def set_password(self, member_id: str, password: str) -> None:
        """A new password (the member's own, or an owner's reset); every session of the member ends."""
        if self.actor.member_id != member_id:
            require(self.actor, Action.MANAGE_MEMBERS)
        password_hash = self._auth.hash_password(password)

        def change(uow: UnitOfWork) -> None:
            member = auth.member_by_public_id(
                session=uow.session, workspace_id=self.actor.workspace_id, public_id=member_id
            )
            if member.role == "owner" and self.actor.member_id != member_id:
                self._ownership("owner")
            auth.set_password_hash(session=uow.session, member_id=member.id, password_hash=password_hash)
            auth.delete_sessions_of(session=uow.session, member_id=member.id)

        self._store.run(change, write=True)

    def change_role(self, member_id: str, role: str) -> Member:
        require(self.actor, Action.MANAGE_MEMBERS)
        _check_role(role)

        def change(uow: UnitOfWork) -> Member:
            member = auth.member_by_public_id(
                session=uow.session, workspace_id=self.actor.workspace_id, public_id=member_id
            )
            if member.role == role:
                return member
            if "owner" in (member.role, role):
                self._ownership("owner")
            if member.role == "owner" and _owner_count(uow.session, self.actor.workspace_id) <= 1:
                raise LastOwner(f"{member.email} is the last owner: make another member owner first")
            return workspaces.set_member_role(
                session=uow.session, workspace_id=self.actor.workspace_id, member_id=member.id, role=role
            )

        return self._store.run(change, write=True)

    def remove(self, member_id: str) -> None:
        """Remove a member (their sessions end with them); the last owner stays."""
        require(self.actor, Action.MANAGE_MEMBERS)

        def remove(uow: UnitOfWork) -> None:
            member = auth.member_by_public_id(
                session=uow.session, workspace_id=self.actor.workspace_id, public_id=member_id
            )
            if member.role == "owner":
                self._ownership("owner")
                if _owner_count(uow.session, self.actor.workspace_id) <= 1:
                    raise LastOwner(f"{member.email} is the last owner and cannot be removed")
            auth.delete_sessions_of(session=uow.session, member_id=member.id)
            workspaces.remove_member(session=uow.session, workspace_id=self.actor.workspace_id, member_id=member.id)

        self._store.run(remove, write=True)

    def invite(self, email: str, *, role: str, ttl_ms: int = INVITATION_TTL_MS) -> InvitationGrant:
        """A single-use invitation that expires after ``ttl_ms``; the token is returned once, stored hashed."""
        require(self.actor, Action.MANAGE_MEMBERS)
        _check_role(role)
        self._ownership(role)
        if not isinstance(email, str) or "@" not in email or len(email) > 320:
            raise InvalidInput(problems=[Problem(field="email", message=f"not an email address: {email!r}")])
        token = new_token()

        def create(uow: UnitOfWork) -> Invitation:
            taken = [m for m in workspaces.list_members(session=uow.session, workspace_id=self.actor.workspace_id)
                     if m.email == email.strip()]
            if taken:
                raise InvalidInput(problems=[Problem(field="email", message=f"{email} is already a member")])
            return auth.create_invitation(
                session=uow.session,
                invitation_id=new_id("inv"),
                token_hash=digest(token),
                workspace_id=self.actor.workspace_id,
                email=email.strip(),
                role=role,
                invited_by=self.actor.label,
                now=uow.now,
                expires_at=uow.now + ttl_ms,
            )

        return InvitationGrant(self._store.run(create, write=True), token)

    def invitations(self) -> list[Invitation]:
        require(self.actor, Action.READ_MEMBERS)
        with self._store.session() as session:
            return auth.list_invitations(session=session, workspace_id=self.actor.workspace_id)

    def _ownership(self, role: str) -> None:
        if role == "owner" and self.actor.role != "owner":
            raise PermissionDenied(f"{self.actor.label} is {self.actor.role}: only an owner may grant or change ownership")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(problems=[Problem(field="role", message=f"unknown role {role!r}: use {', '.join(ROLES)}")])


def _owner_count(session: Any, workspace_id: str) -> int:
    """The workspace's owners, their rows locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's
    unit of work already holds the write lock)."""
    return len(workspaces.lock_owners(session=session, workspace_id=workspace_id))
