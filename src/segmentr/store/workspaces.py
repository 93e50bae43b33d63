"""Workspaces, their members (with roles) and their two environments; keyword-only functions on a session."""

from __future__ import annotations

import secrets
import string

from sqlalchemy import select
from sqlalchemy.orm import Session

from segmentr.store.errors import AlreadyExists, InvalidData, NotFound
from segmentr.store.records import Environment, Member, Workspace
from segmentr.store.tables import ENVIRONMENT_NAMES, ROLES, EnvironmentRow, MemberRow, WorkspaceRow

__all__ = [
    "add_member",
    "create_workspace",
    "default_workspace",
    "get_environment",
    "get_member",
    "get_workspace",
    "list_environments",
    "list_members",
    "list_workspaces",
    "lock_owners",
    "member_record",
    "new_id",
    "remove_member",
    "set_member_role",
]


_BASE62 = string.digits + string.ascii_letters


def new_id(prefix: str, length: int = 16) -> str:
    """An opaque id with a type prefix (``mem_…``, ``key_…``): ``length`` random base62 characters."""
    return f"{prefix}_" + "".join(secrets.choice(_BASE62) for _ in range(length))


def _workspace(row: WorkspaceRow) -> Workspace:
    return Workspace(id=row.id, name=row.name, created_at=row.created_at)


def member_record(row: MemberRow) -> Member:
    return Member(
        id=row.id,
        workspace_id=row.workspace_id,
        email=row.email,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        public_id=row.public_id or "",
        has_password=row.password_hash is not None,
    )


def _environment(row: EnvironmentRow) -> Environment:
    return Environment(id=row.id, workspace_id=row.workspace_id, name=row.name)


def create_workspace(*, session: Session, name: str, now: int, workspace_id: str | None = None) -> Workspace:
    """A workspace with its two environments, ``test`` and ``live``."""
    if not name.strip():
        raise InvalidData("a workspace needs a name")
    row = WorkspaceRow(id=workspace_id or f"ws_{secrets.token_hex(8)}", name=name, created_at=now)
    session.add(row)
    session.flush()  # the environments reference it
    for env_name in ENVIRONMENT_NAMES:
        session.add(EnvironmentRow(workspace_id=row.id, name=env_name))
    session.flush()
    return _workspace(row)


def get_workspace(*, session: Session, workspace_id: str) -> Workspace:
    row = session.get(WorkspaceRow, workspace_id)
    if row is None:
        raise NotFound(f"no workspace {workspace_id!r}")
    return _workspace(row)


def list_workspaces(*, session: Session) -> list[Workspace]:
    rows = session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.created_at, WorkspaceRow.id))
    return [_workspace(row) for row in rows]


def default_workspace(*, session: Session) -> Workspace | None:
    """The oldest workspace (the one ``segmentr init`` creates), or None before init."""
    # Creation order: the environments' serial ids follow it, even when two workspaces share a millisecond.
    row = session.scalars(
        select(WorkspaceRow)
        .join(EnvironmentRow, EnvironmentRow.workspace_id == WorkspaceRow.id)
        .order_by(EnvironmentRow.id)
        .limit(1)
    ).first()
    return _workspace(row) if row else None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidData(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def add_member(
    *, session: Session, workspace_id: str, email: str, role: str, now: int, name: str = ""
) -> Member:
    _check_role(role)
    get_workspace(session=session, workspace_id=workspace_id)
    email = email.strip()
    if "@" not in email:
        raise InvalidData(f"not an email address: {email!r}")
    taken = session.scalar(
        select(MemberRow.id).where(MemberRow.workspace_id == workspace_id, MemberRow.email == email)
    )
    if taken is not None:
        raise AlreadyExists(f"{email} is already a member of this workspace")
    row = MemberRow(
        workspace_id=workspace_id, email=email, name=name, role=role, created_at=now, public_id=new_id("mem")
    )
    session.add(row)
    session.flush()
    return member_record(row)


def get_member(*, session: Session, workspace_id: str, member_id: int | None = None, email: str | None = None) -> Member:
    query = select(MemberRow).where(MemberRow.workspace_id == workspace_id)
    if member_id is not None:
        query = query.where(MemberRow.id == member_id)
    elif email is not None:
        query = query.where(MemberRow.email == email)
    else:
        raise InvalidData("name a member by id or email")
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"no member {member_id if member_id is not None else email!r} in workspace {workspace_id}")
    return member_record(row)


def list_members(*, session: Session, workspace_id: str) -> list[Member]:
    rows = session.scalars(select(MemberRow).where(MemberRow.workspace_id == workspace_id).order_by(MemberRow.id))
    return [member_record(row) for row in rows]


def set_member_role(*, session: Session, workspace_id: str, member_id: int, role: str) -> Member:
    _check_role(role)
    row = session.get(MemberRow, member_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"no member {member_id} in workspace {workspace_id}")
    row.role = role
    session.flush()
    return member_record(row)


def remove_member(*, session: Session, workspace_id: str, member_id: int) -> None:
    row = session.get(MemberRow, member_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"no member {member_id} in workspace {workspace_id}")
    session.delete(row)
    session.flush()


def get_environment(*, session: Session, workspace_id: str, name: str) -> Environment:
    if name not in ENVIRONMENT_NAMES:
        raise InvalidData(f"unknown environment {name!r}: use test or live")
    row = session.scalars(
        select(EnvironmentRow).where(EnvironmentRow.workspace_id == workspace_id, EnvironmentRow.name == name)
    ).first()
    if row is None:
        raise NotFound(f"no workspace {workspace_id!r}")
    return _environment(row)


def list_environments(*, session: Session, workspace_id: str) -> list[Environment]:
    rows = session.scalars(
        select(EnvironmentRow).where(EnvironmentRow.workspace_id == workspace_id).order_by(EnvironmentRow.id)
    )
    return [_environment(row) for row in rows]


def lock_owners(*, session: Session, workspace_id: str) -> list[Member]:
    """The workspace's owners, locked for the rest of the transaction (the last-owner rule counts them)."""
    rows = session.scalars(
        select(MemberRow)
        .where(MemberRow.workspace_id == workspace_id, MemberRow.role == "owner")
        .order_by(MemberRow.id)
        .with_for_update()
    )
    return [member_record(row) for row in rows]
