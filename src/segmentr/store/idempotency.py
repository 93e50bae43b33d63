"""Idempotency records: the first response to a request under an ``Idempotency-Key``, for 24 h.

``claim`` inserts the record (status None: running) or returns the existing one. The insert is
``ON CONFLICT DO NOTHING`` on the primary key (workspace, principal, key): on PostgreSQL a second transaction
inserting the same key waits on the first one's uncommitted row and then sees it, so two concurrent calls with
one key never both run; on SQLite writers are serialised by ``BEGIN IMMEDIATE`` to the same effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from segmentr.store.tables import IdempotencyRow

__all__ = ["IdempotencyRecord", "claim", "complete", "get", "keep", "purge_expired", "release"]

_T = IdempotencyRow.__table__
_C = _T.c


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    fingerprint: str
    status: int | None  # None: the first call has not finished
    body: Any
    created_at: int
    expires_at: int


# The hot path's statements are built once with bind parameters: building them per call (literal values) made
# SQLAlchemy walk the values for a cache key on every execution, which cost more than the statement itself.
_KEY = (_C.workspace_id == bindparam("k_workspace")) & (_C.principal == bindparam("k_principal")) & (
    _C.key == bindparam("k_key")
)
_INSERT_VALUES = {
    name: bindparam(f"v_{name}")
    for name in ("workspace_id", "principal", "key", "fingerprint", "status", "body", "created_at", "expires_at")
}
# RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT that inserted nothing.
_INSERT = {
    "postgresql": postgresql.insert(_T).values(_INSERT_VALUES).on_conflict_do_nothing().returning(_C.key),
    "sqlite": sqlite.insert(_T).values(_INSERT_VALUES).on_conflict_do_nothing().returning(_C.key),
}
_SELECT = select(_C.fingerprint, _C.status, _C.body, _C.created_at, _C.expires_at).where(_KEY)
_DELETE_EXPIRED = delete(_T).where(_KEY, _C.expires_at <= bindparam("now"))
_RELEASE = delete(_T).where(_KEY)
_COMPLETE = update(_T).where(_KEY).values(status=bindparam("v_status"), body=bindparam("v_body"))


def _key_params(workspace_id: str, principal: str, key: str) -> dict[str, Any]:
    return {"k_workspace": workspace_id, "k_principal": principal, "k_key": key}


def _insert(session: Session, values: dict[str, Any]) -> bool:
    statement = _INSERT["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    return session.execute(statement, {f"v_{name}": value for name, value in values.items()}).first() is not None


def _existing(session: Session, workspace_id: str, principal: str, key: str, now: int) -> IdempotencyRecord | None:
    """The record under this key, or None when there is none or it has expired (then it is deleted)."""
    params = _key_params(workspace_id, principal, key)
    row = session.execute(_SELECT, params).first()
    if row is None:
        return None
    if row.expires_at <= now:  # an expired record no longer counts
        session.execute(_DELETE_EXPIRED, {**params, "now": now})
        return None
    return IdempotencyRecord(*row)


def claim(
    *, session: Session, workspace_id: str, principal: str, key: str, fingerprint: str, now: int, ttl_ms: int
) -> IdempotencyRecord | None:
    """None when this call now owns the key (a new record was inserted, running: no status yet); else the
    record already there."""
    return keep(session=session, workspace_id=workspace_id, principal=principal, key=key, fingerprint=fingerprint,
                status=None, body=None, now=now, ttl_ms=ttl_ms)  # fmt: skip


def keep(
    *,
    session: Session,
    workspace_id: str,
    principal: str,
    key: str,
    fingerprint: str,
    status: int | None,
    body: Any,
    now: int,
    ttl_ms: int,
) -> IdempotencyRecord | None:
    """Insert the record under ``key`` in one statement: None when it is now there; else the record already
    there. With a ``status`` it is a finished call's response, kept as its unit's last step (for work serialised
    on a row lock the transaction holds, as usage on its customer: a concurrent call with the key waits on the
    lock or, on PostgreSQL, on this insert of the other's uncommitted record, then sees it, and its caller
    rolls back)."""
    values = {
        "workspace_id": workspace_id,
        "principal": principal,
        "key": key,
        "fingerprint": fingerprint,
        "status": status,
        "body": body,
        "created_at": now,
        "expires_at": now + ttl_ms,
    }
    # One statement when the key is new (the usual case); an expired record in the way is deleted and the
    # insert tried once more.
    for _ in range(2):
        if _insert(session, values):
            return None
        found = _existing(session, workspace_id, principal, key, now)
        if found is not None:
            return found
    raise RuntimeError("an expired idempotency record could not be replaced")  # pragma: no cover


def get(*, session: Session, workspace_id: str, principal: str, key: str) -> IdempotencyRecord | None:
    row = session.execute(_SELECT, _key_params(workspace_id, principal, key)).first()
    return IdempotencyRecord(*row) if row is not None else None


def complete(*, session: Session, workspace_id: str, principal: str, key: str, status: int, body: Any) -> None:
    """Keep the response the claimed call gave (replayed to every retry until the record expires)."""
    session.execute(_COMPLETE, {**_key_params(workspace_id, principal, key), "v_status": status, "v_body": body})


def release(*, session: Session, workspace_id: str, principal: str, key: str) -> None:
    """Forget a claim whose call failed before answering, so a retry runs it."""
    session.execute(_RELEASE, _key_params(workspace_id, principal, key))


def purge_expired(*, session: Session, now: int) -> int:
    result = session.execute(delete(_T).where(_C.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
