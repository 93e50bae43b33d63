"""The event log: every event a change raised (environment, customer, type, payload, time), newest first,
kept for a retention period and pruned by the worker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Select,
    and_,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from segmentr.notifications import Event
from segmentr.store.customers import CUSTOMER_TABLE
from segmentr.store.insert import insert_ignoring
from segmentr.store.notification_tables import EventRow

__all__ = [
    "USAGE_EVENT_TYPES", "LoggedEvent", "append_events", "list_events", "prune_events", "usage_by_bucket",
    "usage_customers",
]

# The events whose ``meter.diff`` is usage that was recorded (refusals move nothing; a reset starts a period).
USAGE_EVENT_TYPES = ("meter-changed", "meter-overage")

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


def _payload_fields(dialect: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The payload's ``entitlement`` (text) and ``meter.diff`` (a number), read by the database."""
    if dialect == "postgresql":
        entitlement = _E.payload.op("->>")(literal_column("'entitlement'"))
        diff = _E.payload.op("->")(literal_column("'meter'")).op("->>")(literal_column("'diff'"))
        return entitlement, cast(diff, Float)
    return (func.json_extract(_E.payload, literal_column("'$.entitlement'")),
            func.json_extract(_E.payload, literal_column("'$.meter.diff'")))


def _usage_events(session: Session, environment_id: int, entitlement: str, since: int, until: int,
                  segment: ColumnElement[bool] | None, *columns: Any) -> Select[Any]:
    """``columns`` over the recorded usage of ``entitlement`` in ``[since, until)``; ``segment`` (a WHERE clause
    over customers, see ``report_queries.segment_clause``) keeps the events of the customers it holds now."""
    entitlement_of, _ = _payload_fields(session.get_bind().dialect.name)
    query = select(*columns).where(
        _E.environment_id == environment_id, _E.type.in_(USAGE_EVENT_TYPES), _E.at >= since, _E.at < until,
        entitlement_of == entitlement,
    )
    if segment is not None:
        customers = CUSTOMER_TABLE.c
        query = query.join(CUSTOMER_TABLE, and_(customers.environment_id == _E.environment_id,
                                                customers.id == _E.customer_id)).where(segment)
    return query


def usage_by_bucket(*, session: Session, environment_id: int, entitlement: str, since: int, width: int,
                    buckets: int, segment: ColumnElement[bool] | None = None,
                    per_customer: bool = False) -> list[tuple[int, str | None, float]]:
    """Usage of ``entitlement`` recorded in ``[since, since + width * buckets)``, summed by the database per bucket
    of ``width`` ms (and per customer when ``per_customer``): ``(bucket, customer or None, sum)`` rows."""
    width = max(1, width)
    _, diff = _payload_fields(session.get_bind().dialect.name)
    # integer division of two integers on both databases: the bucket's index
    bucket = (_E.at - literal(since, BigInteger)).self_group().op("/")(literal(width, BigInteger)).label("bucket")
    who = _E.customer_id if per_customer else literal_column("NULL").label("customer")
    query = _usage_events(session, environment_id, entitlement, since, since + width * buckets, segment,
                          bucket, who, func.sum(diff).label("used"))
    query = query.group_by(bucket, _E.customer_id) if per_customer else query.group_by(bucket)
    return [(int(row.bucket), row[1], float(row.used or 0)) for row in session.execute(query)]


def usage_customers(*, session: Session, environment_id: int, entitlement: str, since: int, until: int,
                    segment: ColumnElement[bool] | None = None) -> int:
    """How many customers recorded usage of ``entitlement`` in ``[since, until)`` (see ``usage_by_bucket``)."""
    query = _usage_events(session, environment_id, entitlement, since, until, segment,
                          func.count(func.distinct(_E.customer_id)))
    return int(session.execute(query).scalar_one())
