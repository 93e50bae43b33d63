"""The outbox: deliveries written in the deciding transaction, claimed in batches under a lease by any number
of workers (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` write lock), and recorded in
batches with every attempt logged.

A claim moves the row's ``next_attempt_at`` to the end of its lease: the one due-index answers both "due" and
"lease expired", so a crashed worker's claims come back by themselves. Recording checks the lease token: a
worker that lost its lease (it outlived it) changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from segmentr.notifications import Attempt, ChannelTarget, Claim, Delivery, Outcome
from segmentr.store.errors import NotFound
from segmentr.store.insert import insert_ignoring
from segmentr.store.notification_tables import DeliveryAttemptRow, DeliveryRow, NotificationRow

__all__ = [
    "DeliveryAttemptRecord",
    "DeliveryRecord",
    "add_deliveries",
    "any_due",
    "claim_due",
    "count_by_state",
    "get_delivery",
    "list_deliveries",
    "record_attempts",
    "retry_delivery",
]

_D = DeliveryRow.__table__.c
_A = DeliveryAttemptRow.__table__.c
_N = NotificationRow.__table__.c
_CHANNEL: TypeAdapter[Any] = TypeAdapter(ChannelTarget)


@dataclass(frozen=True, slots=True)
class DeliveryAttemptRecord:
    number: int
    at: int
    duration_ms: float
    status: int | None
    excerpt: str
    error: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    webhook_id: str
    notification_id: str
    environment_id: int
    event_id: str
    event_type: str
    customer_id: str
    channel_index: int
    channel_type: str
    state: str
    attempts: int
    next_attempt_at: int | None
    created_at: int
    updated_at: int
    last_status: int | None
    last_error: str | None
    attempt_log: tuple[DeliveryAttemptRecord, ...] = ()
    environment: str = ""


def add_deliveries(*, session: Session, environment_id: int, deliveries: Iterable[Delivery]) -> None:
    """Write decided deliveries, due at once; an id already there is kept (a replay sends nothing twice)."""
    insert_ignoring(session, DeliveryRow.__table__, [
        {"id": d.id, "environment_id": environment_id, "notification_id": d.notification_id,
         "event_id": d.event_id, "channel_index": d.channel_index, "channel_type": d.channel.type,
         "record": d.to_record(), "state": "pending", "attempts": 0, "next_attempt_at": d.created_at,
         "lease_until": 0, "lease_token": None, "created_at": d.created_at, "updated_at": d.created_at}
        for d in deliveries
    ])


def new_lease_token() -> str:
    return "lease_" + os.urandom(9).hex()


_ANY_DUE = select(_D.id).where(_D.state == "pending", _D.next_attempt_at <= bindparam("now")).limit(1)


def any_due(*, session: Session, now: int) -> bool:
    """Whether a delivery is due (a read: an idle worker checks this before taking any lock)."""
    return session.connection().execute(_ANY_DUE, {"now": now}).first() is not None


def claim_due(*, session: Session, now: int, limit: int, lease_ms: int, token: str) -> list[Claim]:
    """Lease up to ``limit`` due deliveries (oldest due first) until ``now + lease_ms`` under ``token``.

    Each comes with its channel as currently configured (a rotated secret signs; a later edit's URL is used);
    deliveries whose channel is disabled or gone are failed instead of claimed.
    """
    query = (
        select(_D.id, _D.record, _D.attempts, _D.channel_index, _N.channels)
        .join(NotificationRow.__table__, _N.id == _D.notification_id)
        .where(_D.state == "pending", _D.next_attempt_at <= now)
        .order_by(_D.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=DeliveryRow.__table__)
    rows = session.execute(query).all()
    if not rows:
        return []
    claims: list[Claim] = []
    dead: list[dict[str, Any]] = []
    for row in rows:
        record = dict(row.record)
        channels = row.channels or []
        current = channels[row.channel_index] if 0 <= row.channel_index < len(channels) else None
        if current is None or current.get("type") != record["channel"].get("type") or current.get("disabled"):
            dead.append({"k_id": row.id, "v_error": "the channel is disabled or no longer exists"})
            continue
        try:
            record["channel"] = _CHANNEL.validate_python(current)
            delivery = Delivery(**record)
        except (ValidationError, TypeError) as exc:
            dead.append({"k_id": row.id, "v_error": f"unreadable delivery: {exc}"[:500]})
            continue
        claims.append(Claim(delivery, int(row.attempts), token))
    if claims:
        session.execute(
            update(DeliveryRow.__table__).where(_D.id.in_([claim.delivery.id for claim in claims]))
            .values(lease_token=token, lease_until=now + lease_ms, next_attempt_at=now + lease_ms)
        )
    if dead:
        session.execute(
            update(DeliveryRow.__table__).where(_D.id == bindparam("k_id"))
            .values(state="failed", last_error=bindparam("v_error"), updated_at=now, lease_token=None),
            dead,
        )
    return claims


def record_attempts(*, session: Session, results: Sequence[tuple[Claim, Attempt, Outcome]], now: int) -> list[bool]:
    """Log each attempt and apply its outcome, unless the claim's lease was lost meanwhile; one SELECT, one
    multi-row INSERT and one executemany UPDATE for the whole batch. Returns which were applied."""
    if not results:
        return []
    query = select(_D.id, _D.lease_token).where(_D.id.in_([claim.delivery.id for claim, _, _ in results]))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=DeliveryRow.__table__)
    tokens = {row[0]: row[1] for row in session.execute(query)}
    applied = [tokens.get(claim.delivery.id) == claim.token for claim, _, _ in results]
    kept = [result for result, ok in zip(results, applied, strict=True) if ok]
    if not kept:
        return applied
    insert_ignoring(session, DeliveryAttemptRow.__table__, [
        {"delivery_id": attempt.delivery_id, "number": attempt.number, "at": attempt.at,
         "duration_ms": attempt.duration_ms, "status": attempt.status, "excerpt": attempt.excerpt,
         "error": attempt.error}
        for _, attempt, _ in kept
    ])
    session.execute(
        update(DeliveryRow.__table__).where(_D.id == bindparam("k_id")).values(
            state=bindparam("v_state"), attempts=bindparam("v_attempts"),
            next_attempt_at=bindparam("v_next"), lease_token=None, lease_until=0, updated_at=now,
            last_status=bindparam("v_status"), last_error=bindparam("v_error"),
        ),
        [
            {"k_id": claim.delivery.id, "v_state": outcome.state, "v_attempts": attempt.number,
             "v_next": outcome.next_attempt_at if outcome.next_attempt_at is not None else now,
             "v_status": attempt.status, "v_error": attempt.error}
            for claim, attempt, outcome in kept
        ],
    )
    return applied


def _record(row: Any, attempts: tuple[DeliveryAttemptRecord, ...] = ()) -> DeliveryRecord:
    record = row.record
    return DeliveryRecord(
        id=row.id, webhook_id=record.get("webhook_id", ""), notification_id=row.notification_id,
        environment_id=row.environment_id, event_id=row.event_id, event_type=record.get("event_type", ""),
        customer_id=record.get("customer_id", ""), channel_index=row.channel_index, channel_type=row.channel_type,
        state=row.state, attempts=row.attempts, next_attempt_at=row.next_attempt_at if row.state == "pending" else None,
        created_at=row.created_at, updated_at=row.updated_at, last_status=row.last_status,
        last_error=row.last_error, attempt_log=attempts, environment=record.get("environment", ""),
    )


def _attempts(session: Session, ids: Sequence[str]) -> dict[str, list[DeliveryAttemptRecord]]:
    found: dict[str, list[DeliveryAttemptRecord]] = {}
    if not ids:
        return found
    rows = session.execute(select(DeliveryAttemptRow.__table__).where(_A.delivery_id.in_(list(ids)))
                           .order_by(_A.delivery_id, _A.number))
    for row in rows:
        found.setdefault(row.delivery_id, []).append(
            DeliveryAttemptRecord(row.number, row.at, row.duration_ms, row.status, row.excerpt, row.error))
    return found


def list_deliveries(*, session: Session, notification_id: str, state: str | None = None,
                    before: tuple[int, str, str] | None = None, limit: int = 20) -> list[DeliveryRecord]:
    """A notification's deliveries, newest first (by time, then event: event ids follow the order events
    were raised), each with its attempts; ``before`` is the previous page's last (created_at, event_id, id)."""
    query = select(DeliveryRow.__table__).where(_D.notification_id == notification_id)
    if state is not None:
        query = query.where(_D.state == state)
    if before is not None:
        at, event_id, delivery_id = before
        query = query.where(
            (_D.created_at < at)
            | ((_D.created_at == at) & (_D.event_id < event_id))
            | ((_D.created_at == at) & (_D.event_id == event_id) & (_D.id < delivery_id))
        )
    order = (_D.created_at.desc(), _D.event_id.desc(), _D.id.desc())
    rows = session.execute(query.order_by(*order).limit(limit)).all()
    attempts = _attempts(session, [row.id for row in rows])
    return [_record(row, tuple(attempts.get(row.id, ()))) for row in rows]


def get_delivery(*, session: Session, delivery_id: str) -> tuple[DeliveryRecord, str]:
    """The delivery with its attempts, and its notification's workspace (for the caller's access check)."""
    row = session.execute(
        select(DeliveryRow.__table__, _N.workspace_id.label("workspace_id"))
        .join(NotificationRow.__table__, _N.id == _D.notification_id).where(_D.id == delivery_id)
    ).first()
    if row is None:
        raise NotFound(f"no delivery {delivery_id!r}")
    return _record(row, tuple(_attempts(session, [delivery_id]).get(delivery_id, ()))), row.workspace_id


def retry_delivery(*, session: Session, delivery_id: str, now: int) -> None:
    """Due again at once (one more attempt; a pending one just moves up). A delivery a worker holds right now
    is left to it (retrying it would race the attempt under way)."""
    session.execute(update(DeliveryRow.__table__)
                    .where(_D.id == delivery_id, (_D.state == "failed") | (_D.lease_token.is_(None)))
                    .values(state="pending", next_attempt_at=now, lease_token=None, lease_until=0, updated_at=now))


def count_by_state(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(_D.state, func.count()).group_by(_D.state))
    return {state: int(count) for state, count in rows}


def environments_of(*, session: Session, delivery_ids: Sequence[str]) -> dict[str, int]:
    """The environment id of each delivery (one query)."""
    if not delivery_ids:
        return {}
    rows = session.execute(select(_D.id, _D.environment_id).where(_D.id.in_(sorted(set(delivery_ids)))))
    return {row.id: int(row.environment_id) for row in rows}
