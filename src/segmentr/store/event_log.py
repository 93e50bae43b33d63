"""The event log: every event a change raised (environment, customer, type, payload, time), newest first,
kept for a retention period and pruned by the worker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from segmentr.notifications import Event
from segmentr.store.insert import insert_ignoring
from segmentr.store.notification_tables import EventRow

__all__ = ["LoggedEvent", "append_events", "list_events", "prune_events"]

_E = EventRow.__table__.c


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    id: str
    environment_id: int
    customer_id: str
    type: str
    payload: dict[str, Any]
    at: int


def append_events(*, session: Session, environment_id: int, events: Iterable[Event]) -> None:
    """Append events (one multi-row insert); an id already logged is kept (a replay logs nothing new)."""
    insert_ignoring(session, EventRow.__table__, [
        {"id": event.id, "environment_id": environment_id, "customer_id": event.customer_id, "type": event.type,
         "payload": dict(event.payload), "at": event.at}
        for event in events
    ])


def list_events(*, session: Session, environment_id: int, customer_id: str | None = None,
                types: Iterable[str] | None = None, since: int | None = None, before: tuple[int, str] | None = None,
                limit: int = 20) -> list[LoggedEvent]:
    """Newest first; ``before`` is the (time, id) of the previous page's last event (keyset paging)."""
    query = select(EventRow.__table__).where(_E.environment_id == environment_id)
    if customer_id is not None:
        query = query.where(_E.customer_id == customer_id)
    wanted = list(types or ())
    if wanted:
        query = query.where(_E.type.in_(wanted))
    if since is not None:
        query = query.where(_E.at >= since)
    if before is not None:
        at, event_id = before
        query = query.where(or_(_E.at < at, (_E.at == at) & (_E.id < event_id)))
    rows = session.execute(query.order_by(_E.at.desc(), _E.id.desc()).limit(limit))
    return [LoggedEvent(row.id, row.environment_id, row.customer_id, row.type, row.payload, row.at) for row in rows]


def get_event(*, session: Session, environment_id: int, event_id: str) -> LoggedEvent | None:
    row = session.execute(
        select(EventRow.__table__).where(_E.environment_id == environment_id, _E.id == event_id)
    ).first()
    return None if row is None else LoggedEvent(row.id, row.environment_id, row.customer_id, row.type,
                                                row.payload, row.at)


def prune_events(*, session: Session, older_than: int, limit: int = 10_000) -> int:
    """Delete up to ``limit`` events logged before ``older_than`` (epoch ms); how many went."""
    ids = select(_E.id).where(_E.at < older_than).limit(limit)
    done = session.execute(delete(EventRow.__table__).where(_E.id.in_(ids)))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
