"""In-app alerts of an environment: added idempotently (an alert's id derives from its delivery's), listed
newest first by state, moved New → Seen → Resolved, and read after a point for the live stream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from segmentr.notifications import Alert, AlertDetail, AlertState
from segmentr.store.errors import NotFound
from segmentr.store.insert import insert_ignoring
from segmentr.store.notification_tables import AlertRow

__all__ = ["add_alerts", "alerts_after", "get_alert", "list_alerts", "save_alert_state"]

_L = AlertRow.__table__.c


def _row(alert: Alert, environment_id: int) -> dict[str, Any]:
    return {
        "id": alert.id, "environment_id": environment_id, "kind": alert.kind, "title": alert.title,
        "message": alert.message, "customer_id": alert.customer_id, "event_type": alert.event_type,
        "notification_id": alert.notification_id, "delivery_id": alert.delivery_id,
        "detail": _jsonable(asdict(alert.detail)), "created_at": alert.created_at, "state": alert.state.value,
        "seen_at": alert.seen_at, "resolved_at": alert.resolved_at,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _alert(row: Any) -> Alert:
    return Alert(
        id=row.id, environment="", kind=row.kind, title=row.title, message=row.message,
        customer_id=row.customer_id, event_type=row.event_type, notification_id=row.notification_id,
        delivery_id=row.delivery_id, detail=AlertDetail(**row.detail), created_at=row.created_at,
        state=AlertState(row.state), seen_at=row.seen_at, resolved_at=row.resolved_at,
    )


def add_alerts(*, session: Session, alerts: Iterable[tuple[Alert, int]]) -> None:
    """Add (alert, environment id) pairs; an id already there is kept."""
    insert_ignoring(session, AlertRow.__table__, [_row(alert, environment_id) for alert, environment_id in alerts])


def list_alerts(*, session: Session, environment_id: int, state: str | None = None,
                before: tuple[int, str] | None = None, limit: int = 20) -> list[Alert]:
    """Newest first; ``state`` None is every state."""
    query = select(AlertRow.__table__).where(_L.environment_id == environment_id)
    if state is not None:
        query = query.where(_L.state == state)
    if before is not None:
        at, alert_id = before
        query = query.where(or_(_L.created_at < at, (_L.created_at == at) & (_L.id < alert_id)))
    return [_alert(row) for row in session.execute(query.order_by(_L.created_at.desc(), _L.id.desc()).limit(limit))]


def get_alert(*, session: Session, environment_id: int, alert_id: str) -> Alert:
    row = session.execute(
        select(AlertRow.__table__).where(_L.environment_id == environment_id, _L.id == alert_id)
    ).first()
    if row is None:
        raise NotFound(f"no alert {alert_id!r}")
    return _alert(row)


def save_alert_state(*, session: Session, environment_id: int, alert: Alert) -> None:
    session.execute(update(AlertRow.__table__).where(_L.environment_id == environment_id, _L.id == alert.id).values(
        state=alert.state.value, seen_at=alert.seen_at, resolved_at=alert.resolved_at))


def alerts_after(*, session: Session, environment_id: int, after: tuple[int, str] | None,
                 limit: int = 100) -> list[Alert]:
    """Alerts added after (created_at, id), oldest first: what the live stream sends next."""
    query = select(AlertRow.__table__).where(_L.environment_id == environment_id)
    if after is not None:
        at, alert_id = after
        query = query.where(or_(_L.created_at > at, (_L.created_at == at) & (_L.id > alert_id)))
    return [_alert(row) for row in session.execute(query.order_by(_L.created_at, _L.id).limit(limit))]
