"""Idempotency records: the first response to a request under an ``Idempotency-Key``, for 24 h.

``claim`` inserts the record (status None: running) or returns the existing one. The insert is
``ON CONFLICT DO NOTHING`` on the primary key (workspace, principal, key): on PostgreSQL a second transaction
inserting the same key waits on the first one's uncommitted row and then sees it, so two concurrent calls with
one key never both run; on SQLite writers are serialised by ``BEGIN IMMEDIATE`` to the same effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from segmentr.store.tables import IdempotencyRow

__all__ = ["IdempotencyRecord", "claim", "complete", "get", "purge_expired", "release"]

_T = IdempotencyRow.__table__
_C = _T.c


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    fingerprint: str
    status: int | None  # None: the first call has not finished
    body: Any
    created_at: int
    expires_at: int


def _where(workspace_id: str, principal: str, key: str) -> Any:
    return (_C.workspace_id == workspace_id) & (_C.principal == principal) & (_C.key == key)


def claim(
    *, session: Session, workspace_id: str, principal: str, key: str, fingerprint: str, now: int, ttl_ms: int
) -> IdempotencyRecord | None:
    """None when this call now owns the key (a new record was inserted); else the record already there."""
    where = _where(workspace_id, principal, key)
    session.execute(delete(_T).where(where, _C.expires_at <= now))  # an expired record no longer counts
    values = {
        "workspace_id": workspace_id,
        "principal": principal,
        "key": key,
        "fingerprint": fingerprint,
        "status": None,
        "body": None,
        "created_at": now,
        "expires_at": now + ttl_ms,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT that inserted nothing.
    inserted = session.execute(dialect.insert(_T).values(**values).on_conflict_do_nothing().returning(_C.key))
    if inserted.first() is not None:
        return None
    row = session.execute(select(_C.fingerprint, _C.status, _C.body, _C.created_at, _C.expires_at).where(where)).one()
    return IdempotencyRecord(*row)


def get(*, session: Session, workspace_id: str, principal: str, key: str) -> IdempotencyRecord | None:
    row = session.execute(
        select(_C.fingerprint, _C.status, _C.body, _C.created_at, _C.expires_at).where(
            _where(workspace_id, principal, key)
        )
    ).first()
    return IdempotencyRecord(*row) if row is not None else None


def complete(*, session: Session, workspace_id: str, principal: str, key: str, status: int, body: Any) -> None:
    """Keep the response the claimed call gave (replayed to every retry until the record expires)."""
    session.execute(update(_T).where(_where(workspace_id, principal, key)).values(status=status, body=body))


def release(*, session: Session, workspace_id: str, principal: str, key: str) -> None:
    """Forget a claim whose call failed before answering, so a retry runs it."""
    session.execute(delete(_T).where(_where(workspace_id, principal, key)))


def purge_expired(*, session: Session, now: int) -> int:
    result = session.execute(delete(_T).where(_C.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
