"""Idempotency: a request retried under the same ``Idempotency-Key`` gets the first response, never a second run.

Records are keyed by (workspace, caller: the API key or the member, key) and keep a fingerprint of the request
and the response's status and body for 24 h. The same key with the same request replays the response; with a
different request it is ``IdempotencyKeyReused``. Two concurrent calls with one key never both run:

- ``run`` does the claim, the work and the response in **one** unit of work (usage metering uses this through
  ``claim_in``/``complete_in``, so the meter and its record commit together or not at all). On PostgreSQL the
  second call's insert waits for the first transaction and then replays its response; on SQLite writers queue.
- ``begin``/``finish``/``abandon`` claim in a transaction of their own, for work that spans several; a second
  call while the first runs gets ``IdempotencyInProgress`` (a conflict: retry later). A claim left by a crashed
  process is taken over after ``STALE_CLAIM_MS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from segmentr.errors import IdempotencyInProgress, IdempotencyKeyReused, InvalidInput, Problem
from segmentr.service.context import Actor
from segmentr.store import Store, UnitOfWork, idempotency

__all__ = [
    "IDEMPOTENCY_TTL_MS",
    "MAX_KEY_CHARS",
    "STALE_CLAIM_MS",
    "Idempotency",
    "Replay",
    "StoredResponse",
    "check_key",
    "claim_in",
    "complete_in",
    "fingerprint",
    "keep_in",
    "kept_in",
]

IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000
STALE_CLAIM_MS = 5 * 60 * 1000
MAX_KEY_CHARS = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response as first given; ``replayed`` when this call did not run the work itself."""

    status: int
    body: Any
    replayed: bool = False


def fingerprint(*parts: Any) -> str:
    """A stable digest of what identifies a request (method, path, body…): canonical JSON, SHA-256."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    """``key`` when it is a valid ``Idempotency-Key`` (1-255 characters, no NUL), else ``InvalidInput``."""
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_CHARS or "\x00" in key:
        raise InvalidInput(
            problems=[Problem(field="Idempotency-Key", message=f"a key is 1-{MAX_KEY_CHARS} characters")]
        )
    return key


def claim_in(uow: UnitOfWork, actor: Actor, key: str, request: str) -> StoredResponse | None:
    """Claim ``key`` inside ``uow``: None when this call runs the work; the stored response to replay; or
    ``IdempotencyKeyReused`` / ``IdempotencyInProgress``."""
    found = idempotency.claim(
        session=uow.session,
        workspace_id=actor.workspace_id,
        principal=actor.principal,
        key=check_key(key),
        fingerprint=request,
        now=uow.now,
        ttl_ms=IDEMPOTENCY_TTL_MS,
    )
    if found is None:
        return None
    return _stored(found, key, request)


class Replay(Exception):  # control flow inside the service: never raised to a caller
    """Raised inside a unit of work whose key already holds a response: the unit rolls back, the caller
    answers ``stored`` instead."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replay the stored response")
        self.stored = stored


def keep_in(uow: UnitOfWork, actor: Actor, key: str, request: str, status: int, body: Any) -> None:
    """Record the response of work done in ``uow`` under ``key``, in one statement, as its last step: for work
    serialised on a row lock (usage on its customer). When the key already holds a response the work is undone:
    ``Replay`` (the same request), ``IdempotencyKeyReused`` (another) or ``IdempotencyInProgress``."""
    found = idempotency.keep(
        session=uow.session,
        workspace_id=actor.workspace_id,
        principal=actor.principal,
        key=key,
        fingerprint=request,
        status=status,
        body=body,
        now=uow.now,
        ttl_ms=IDEMPOTENCY_TTL_MS,
    )
    if found is not None:
        raise Replay(_stored(found, key, request))


def kept_in(uow: UnitOfWork, actor: Actor, key: str, request: str) -> StoredResponse | None:
    """The response kept under ``key`` for this request, or None (``IdempotencyKeyReused`` for another request,
    ``IdempotencyInProgress`` while its first call runs)."""
    found = idempotency.get(session=uow.session, workspace_id=actor.workspace_id, principal=actor.principal, key=key)
    if found is None or found.expires_at <= uow.now:
        return None
    return _stored(found, key, request)


def _stored(found: idempotency.IdempotencyRecord, key: str, request: str) -> StoredResponse:
    if found.fingerprint != request:
        raise IdempotencyKeyReused(
            f"the Idempotency-Key {key!r} was used with a different request: use a new key for a new request"
        )
    if found.status is None:
        raise IdempotencyInProgress(f"a request with the Idempotency-Key {key!r} is still running: retry later")
    return StoredResponse(found.status, found.body, replayed=True)


def complete_in(uow: UnitOfWork, actor: Actor, key: str, status: int, body: Any) -> None:
    idempotency.complete(
        session=uow.session,
        workspace_id=actor.workspace_id,
        principal=actor.principal,
        key=key,
        status=status,
        body=body,
    )


class Idempotency:
    """Idempotency records over one store (shared by every request of the process)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def run(
        self, actor: Actor, key: str, request: str, work: Callable[[UnitOfWork], tuple[int, Any]]
    ) -> StoredResponse:
        """``work`` (returning status and JSON body) once per key, in one transaction with its record."""

        def unit(uow: UnitOfWork) -> StoredResponse:
            stored = claim_in(uow, actor, key, request)
            if stored is not None:
                return stored
            status, body = work(uow)
            complete_in(uow, actor, key, status, body)
            return StoredResponse(status, body)

        return self._store.run(unit, write=True)

    def begin(self, actor: Actor, key: str, request: str) -> StoredResponse | None:
        """Claim ``key`` in a transaction of its own: None means run the work, then ``finish`` (or ``abandon``)."""

        def unit(uow: UnitOfWork) -> StoredResponse | None:
            try:
                return claim_in(uow, actor, key, request)
            except IdempotencyInProgress:
                if not self._stale(uow, actor, key):
                    raise
                idempotency.release(
                    session=uow.session, workspace_id=actor.workspace_id, principal=actor.principal, key=key
                )
                return claim_in(uow, actor, key, request)

        return self._store.run(unit, write=True)

    def finish(self, actor: Actor, key: str, status: int, body: Any) -> None:
        self._store.run(lambda uow: complete_in(uow, actor, key, status, body), write=True)

    def abandon(self, actor: Actor, key: str) -> None:
        """Forget a claim whose work failed without a response to keep (a retry then runs it)."""
        self._store.run(
            lambda uow: idempotency.release(
                session=uow.session, workspace_id=actor.workspace_id, principal=actor.principal, key=key
            ),
            write=True,
        )

    def purge_expired(self) -> int:
        return self._store.run(lambda uow: idempotency.purge_expired(session=uow.session, now=uow.now), write=True)

    @staticmethod
    def _stale(uow: UnitOfWork, actor: Actor, key: str) -> bool:
        record = idempotency.get(
            session=uow.session, workspace_id=actor.workspace_id, principal=actor.principal, key=key
        )
        return record is not None and uow.now - record.created_at > STALE_CLAIM_MS
