"""Authentication data: member passwords, API keys, dashboard sessions and invitations.

Keyword-only functions on a session returning frozen records. Secrets never reach this module: callers pass
the hashes (argon2 for passwords, SHA-256 for high-entropy tokens), so a database dump grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session

from segmentr.store.errors import InvalidData, NotFound
from segmentr.store.records import Member
from segmentr.store.tables import ApiKeyRow, InvitationRow, MemberRow, SessionRow
from segmentr.store.workspaces import member_record

__all__ = [
    "ApiKey",
    "AuthSession",
    "Invitation",
    "accept_invitation",
    "create_api_key",
    "create_invitation",
    "create_session",
    "delete_session",
    "delete_sessions_of",
    "get_api_key",
    "get_invitation",
    "get_session",
    "list_api_keys",
    "list_invitations",
    "member_by_public_id",
    "password_hashes",
    "revoke_api_key",
    "set_password_hash",
    "touch_api_key",
]


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    workspace_id: str
    environment: str
    role: str
    name: str
    prefix: str
    created_at: int
    created_by: str | None
    last_used_at: int | None
    revoked_at: int | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class AuthSession:
    token_hash: str
    member: Member
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class Invitation:
    id: str
    workspace_id: str
    email: str
    role: str
    invited_by: str | None
    created_at: int
    expires_at: int
    accepted_at: int | None


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        workspace_id=row.workspace_id,
        environment=row.environment,
        role=row.role,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        id=row.id,
        workspace_id=row.workspace_id,
        email=row.email,
        role=row.role,
        invited_by=row.invited_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        accepted_at=row.accepted_at,
    )


# ---------------------------------------------------------------------- members

def member_by_public_id(*, session: Session, workspace_id: str, public_id: str) -> Member:
    row = session.scalars(
        select(MemberRow).where(MemberRow.workspace_id == workspace_id, MemberRow.public_id == public_id)
    ).first()
    if row is None:
        raise NotFound(f"no member {public_id!r} in this workspace")
    return member_record(row)


def set_password_hash(*, session: Session, member_id: int, password_hash: str | None) -> None:
    row = session.get(MemberRow, member_id)
    if row is None:
        raise NotFound(f"no member {member_id}")
    row.password_hash = password_hash
    session.flush()


def password_hashes(*, session: Session, email: str) -> list[tuple[Member, str]]:
    """Every member with this email (one per workspace) that has a password, oldest first, with its hash."""
    rows = session.scalars(
        select(MemberRow)
        .where(MemberRow.email == email.strip(), MemberRow.password_hash.is_not(None))
        .order_by(MemberRow.id)
    )
    return [(member_record(row), row.password_hash or "") for row in rows]


# ---------------------------------------------------------------------- API keys

def create_api_key(
    *,
    session: Session,
    key_id: str,
    workspace_id: str,
    environment: str,
    role: str,
    name: str,
    prefix: str,
    secret_hash: str,
    now: int,
    created_by: str | None,
) -> ApiKey:
    if not name.strip():
        raise InvalidData("an API key needs a name")
    row = ApiKeyRow(
        id=key_id,
        workspace_id=workspace_id,
        environment=environment,
        role=role,
        name=name.strip(),
        prefix=prefix,
        secret_hash=secret_hash,
        created_at=now,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return _api_key(row)


_KEYS = ApiKeyRow.__table__.c
# Every request with an API key reads its row: one Core statement built once (no ORM identity load).
_KEY_BY_ID = select(
    _KEYS.id, _KEYS.workspace_id, _KEYS.environment, _KEYS.role, _KEYS.name, _KEYS.prefix, _KEYS.created_at,
    _KEYS.created_by, _KEYS.last_used_at, _KEYS.revoked_at, _KEYS.secret_hash,
).where(_KEYS.id == bindparam("key_id"))


def get_api_key(*, session: Session | Connection, key_id: str) -> tuple[ApiKey, str] | None:
    """The key and its secret's hash (to compare in constant time), or None."""
    row = session.execute(_KEY_BY_ID, {"key_id": key_id}).first()
    return (ApiKey(*row[:-1]), row[-1]) if row is not None else None


def list_api_keys(*, session: Session, workspace_id: str) -> list[ApiKey]:
    rows = session.scalars(
        select(ApiKeyRow).where(ApiKeyRow.workspace_id == workspace_id).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    )
    return [_api_key(row) for row in rows]


def revoke_api_key(*, session: Session, workspace_id: str, key_id: str, now: int) -> ApiKey:
    """Revoke at once (idempotent: a revoked key keeps its first revocation time)."""
    row = session.get(ApiKeyRow, key_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"no API key {key_id!r} in this workspace")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return _api_key(row)


def touch_api_key(*, session: Session, key_id: str, now: int, every_ms: int) -> None:
    """Set ``last_used_at`` to now unless it was set less than ``every_ms`` ago (one write a minute, not one a
    request: the hot path stays a read)."""
    session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id,
            (ApiKeyRow.last_used_at.is_(None)) | (ApiKeyRow.last_used_at <= now - every_ms),
        )
        .values(last_used_at=now)
    )


# ---------------------------------------------------------------------- sessions

def create_session(*, session: Session, token_hash: str, member_id: int, now: int, expires_at: int) -> None:
    session.add(SessionRow(token_hash=token_hash, member_id=member_id, created_at=now, expires_at=expires_at))
    session.flush()


def get_session(*, session: Session, token_hash: str) -> AuthSession | None:
    found = session.execute(
        select(SessionRow, MemberRow)
        .join(MemberRow, MemberRow.id == SessionRow.member_id)
        .where(SessionRow.token_hash == token_hash)
    ).first()
    if found is None:
        return None
    row, member = found
    return AuthSession(
        token_hash=row.token_hash, member=member_record(member), created_at=row.created_at, expires_at=row.expires_at
    )


def delete_session(*, session: Session, token_hash: str) -> None:
    session.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))


def delete_sessions_of(*, session: Session, member_id: int) -> None:
    """Sign a member out everywhere (their role changed, they were removed, their password changed)."""
    session.execute(delete(SessionRow).where(SessionRow.member_id == member_id))


# ---------------------------------------------------------------------- invitations

def create_invitation(
    *,
    session: Session,
    invitation_id: str,
    token_hash: str,
    workspace_id: str,
    email: str,
    role: str,
    invited_by: str | None,
    now: int,
    expires_at: int,
) -> Invitation:
    row = InvitationRow(
        token_hash=token_hash,
        id=invitation_id,
        workspace_id=workspace_id,
        email=email,
        role=role,
        invited_by=invited_by,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return _invitation(row)


def get_invitation(*, session: Session, token_hash: str) -> Invitation | None:
    row = session.get(InvitationRow, token_hash)
    return _invitation(row) if row is not None else None


def list_invitations(*, session: Session, workspace_id: str) -> list[Invitation]:
    rows = session.scalars(
        select(InvitationRow).where(InvitationRow.workspace_id == workspace_id).order_by(InvitationRow.created_at)
    )
    return [_invitation(row) for row in rows]


def accept_invitation(*, session: Session, token_hash: str, now: int) -> bool:
    """Mark the invitation used; False when it already was (two concurrent accepts: exactly one wins)."""
    result = session.execute(
        update(InvitationRow)
        .where(InvitationRow.token_hash == token_hash, InvitationRow.accepted_at.is_(None))
        .values(accepted_at=now)
        .returning(InvitationRow.id)
    )
    return result.first() is not None
