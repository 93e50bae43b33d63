"""Notifications and their deliveries (workspace-level), alerts with their live stream and the event log
(environment-scoped): api.md §4."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from segmentr.api.deps import ActorDep, Environment, ServicesDep, authenticate
from segmentr.api.idempotency import IdempotentRoute
from segmentr.api.openapi import errors as error_responses
from segmentr.api.schemas.common import MAX_LIMIT, Text
from segmentr.api.schemas.notifications import (
    AlertList,
    AlertObject,
    DeliveryAttemptObject,
    DeliveryList,
    DeliveryObject,
    EventList,
    EventObject,
    NotificationCreate,
    NotificationDeleted,
    NotificationList,
    NotificationObject,
    NotificationTest,
    NotificationTestResult,
    NotificationUpdate,
    UsagePointObject,
    UsageSeriesObject,
)
from segmentr.service import AlertService, EventService, NotificationService, NotificationView, Services

__all__ = ["STREAM_POLL_SECONDS", "router"]

router = APIRouter(route_class=IdempotentRoute, dependencies=[Depends(authenticate)])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size (1-100)")]
StartingAfter = Annotated[Text | None, Query(description="the last id of the previous page")]
STREAM_POLL_SECONDS = 1.0  # the stream reads the database: any process's new alert reaches every stream
STREAM_HEARTBEAT_SECONDS = 15.0


def notification_service(services: ServicesDep, actor: ActorDep) -> NotificationService:
    return services.notifications(actor)


def alert_service(services: ServicesDep, actor: ActorDep) -> AlertService:
    return services.alerts(actor)


def event_service(services: ServicesDep, actor: ActorDep) -> EventService:
    return services.events(actor)


NotificationsDep = Annotated[NotificationService, Depends(notification_service)]
AlertsDep = Annotated[AlertService, Depends(alert_service)]
EventsDep = Annotated[EventService, Depends(event_service)]


def notification_object(view: NotificationView) -> NotificationObject:
    n = view.notification
    return NotificationObject(
        id=n.id, name=n.name, description=n.description, environment=n.environment, events=list(n.events),
        segment=n.segment, condition=n.condition, channels=[c.model_dump(mode="json") for c in n.channels],
        enabled=n.enabled, version=n.version, segment_deleted=view.segment_deleted, created_at=view.created_at,
        created_by=view.created_by, updated_at=view.updated_at, updated_by=view.updated_by,
        error_count=view.error_count, last_error=view.last_error,
    )


def delivery_object(record: Any) -> DeliveryObject:
    return DeliveryObject(
        id=record.id, webhook_id=record.webhook_id, notification=record.notification_id,
        environment=record.environment, event=record.event_id, event_type=record.event_type,
        customer=record.customer_id, channel=record.channel_index, channel_type=record.channel_type,
        state=record.state,
        attempts=[DeliveryAttemptObject(number=a.number, at=a.at, status=a.status, duration_ms=a.duration_ms,
                                        excerpt=a.excerpt, error=a.error) for a in record.attempt_log],
        next_attempt_at=record.next_attempt_at, created_at=record.created_at, updated_at=record.updated_at,
    )


def alert_object(alert: Any) -> AlertObject:
    return AlertObject(
        id=alert.id, environment=alert.environment, kind=alert.kind, state=alert.state.value, title=alert.title,
        message=alert.message, customer=alert.customer_id, event_type=alert.event_type,
        notification=alert.notification_id, delivery=alert.delivery_id, detail=asdict(alert.detail),
        created_at=alert.created_at, seen_at=alert.seen_at, resolved_at=alert.resolved_at,
    )


# ---------------------------------------------------------------------- notifications


@router.get("/v1/notifications", operation_id="list_notifications", response_model=NotificationList,
            responses=error_responses(), tags=["notifications"])
def list_notifications(notifications: NotificationsDep, limit: Limit = 20,
                       starting_after: StartingAfter = None) -> NotificationList:
    page = notifications.list(starting_after=starting_after, limit=limit)
    return NotificationList(data=[notification_object(v) for v in page.data], has_more=page.has_more)


@router.post("/v1/notifications", operation_id="create_notification", response_model=NotificationObject,
             status_code=201, responses=error_responses(404, 409), tags=["notifications"])
def create_notification(body: NotificationCreate, notifications: NotificationsDep) -> NotificationObject:
    """Create; a webhook channel without a `secret` gets a new `whsec_…` (returned here and on reads)."""
    return notification_object(notifications.create(body.model_dump()))


@router.get("/v1/notifications/{notification_id}", operation_id="get_notification",
            response_model=NotificationObject, responses=error_responses(404), tags=["notifications"])
def get_notification(notification_id: Text, notifications: NotificationsDep) -> NotificationObject:
    return notification_object(notifications.get(notification_id))


@router.patch("/v1/notifications/{notification_id}", operation_id="update_notification",
              response_model=NotificationObject, responses=error_responses(404), tags=["notifications"])
def update_notification(notification_id: Text, body: NotificationUpdate,
                        notifications: NotificationsDep) -> NotificationObject:
    changes = body.model_dump(exclude_unset=True)
    rotate = bool(changes.pop("rotate_secrets", False))
    return notification_object(notifications.edit(notification_id, changes, rotate_secrets=rotate))


@router.delete("/v1/notifications/{notification_id}", operation_id="delete_notification",
               response_model=NotificationDeleted, responses=error_responses(404), tags=["notifications"])
def delete_notification(notification_id: Text, notifications: NotificationsDep) -> NotificationDeleted:
    notifications.delete(notification_id)
    return NotificationDeleted(id=notification_id)


@router.post("/v1/notifications/{notification_id}/test", operation_id="test_notification",
             response_model=NotificationTestResult, responses=error_responses(404), tags=["notifications"])
def test_notification(notification_id: Text, notifications: NotificationsDep,
                      body: NotificationTest | None = None) -> NotificationTestResult:
    """One test delivery on every channel (`"test": true` in the event), queued for the worker."""
    body = body or NotificationTest()
    deliveries = notifications.test(notification_id, environment=body.environment, customer=body.customer)
    data = [
        DeliveryObject(id=d.id, webhook_id=d.webhook_id, notification=d.notification_id, environment=d.environment,
                       event=d.event_id, event_type=d.event_type, customer=d.customer_id, channel=d.channel_index,
                       channel_type=d.channel.type, state="pending", attempts=[], next_attempt_at=d.created_at,
                       created_at=d.created_at, updated_at=d.created_at)
        for d in deliveries
    ]
    return NotificationTestResult(data=data)


@router.get("/v1/notifications/{notification_id}/deliveries", operation_id="list_deliveries",
            response_model=DeliveryList, responses=error_responses(404), tags=["notifications"])
def list_deliveries(
    notification_id: Text, notifications: NotificationsDep, limit: Limit = 20, starting_after: StartingAfter = None,
    state: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
) -> DeliveryList:
    """Newest first, each with every attempt (time, status code, duration, error)."""
    page = notifications.deliveries(notification_id, state=state, starting_after=starting_after, limit=limit)
    return DeliveryList(data=[delivery_object(r) for r in page.data], has_more=page.has_more)


@router.post("/v1/deliveries/{delivery_id}/retry", operation_id="retry_delivery", response_model=DeliveryObject,
             responses=error_responses(404, 409), tags=["notifications"])
def retry_delivery(delivery_id: Text, notifications: NotificationsDep) -> DeliveryObject:
    """Due again now: a failed delivery gets one more attempt (409 if it was delivered)."""
    return delivery_object(notifications.retry(delivery_id))


# ---------------------------------------------------------------------- alerts


@router.get("/v1/{environment}/alerts", operation_id="list_alerts", response_model=AlertList,
            responses=error_responses(), tags=["alerts"])
def list_alerts(environment: Environment, alerts: AlertsDep, limit: Limit = 20, starting_after: StartingAfter = None,
                state: Annotated[Literal["new", "seen", "resolved", "all"], Query()] = "new") -> AlertList:
    page = alerts.list(environment, state=state, starting_after=starting_after, limit=limit)
    return AlertList(data=[alert_object(a) for a in page.data], has_more=page.has_more)


@router.get("/v1/{environment}/alerts/stream", operation_id="stream_alerts", tags=["alerts"],
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "server-sent events: `event: alert`, `id`, `data` (the alert)"},
                       **error_responses()})
async def stream_alerts(environment: Environment, request: Request, services: ServicesDep, actor: ActorDep,
                        last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """One server-sent event per new alert (resume with `Last-Event-ID`); a comment every 15 s keeps it open."""
    alerts = services.alerts(actor)
    cursor = await run_in_threadpool(_start_cursor, alerts, environment, last_event_id)
    return StreamingResponse(_alert_events(request, services, alerts, environment, cursor),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _start_cursor(alerts: AlertService, environment: str, last_event_id: str | None) -> tuple[int, str] | None:
    if last_event_id:
        try:
            seen = alerts.get(environment, last_event_id)
            return seen.created_at, seen.id
        except Exception:  # an unknown id: start from now
            pass
    return alerts.latest_cursor(environment)


async def _alert_events(request: Request, services: Services, alerts: AlertService, environment: str,
                        cursor: tuple[int, str] | None) -> AsyncIterator[str]:
    import anyio

    yield ": connected\n\n"
    quiet = 0.0
    while not await request.is_disconnected():
        found = await run_in_threadpool(alerts.after, environment, cursor)
        for alert in found:
            cursor = (alert.created_at, alert.id)
            yield f"event: alert\nid: {alert.id}\ndata: {json.dumps(alert_object(alert).model_dump())}\n\n"
        if found:
            quiet = 0.0
            continue
        await anyio.sleep(STREAM_POLL_SECONDS)
        quiet += STREAM_POLL_SECONDS
        if quiet >= STREAM_HEARTBEAT_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"


@router.get("/v1/{environment}/alerts/{alert_id}", operation_id="get_alert", response_model=AlertObject,
            responses=error_responses(404), tags=["alerts"])
def get_alert(environment: Environment, alert_id: Text, alerts: AlertsDep) -> AlertObject:
    return alert_object(alerts.get(environment, alert_id))


@router.post("/v1/{environment}/alerts/{alert_id}/seen", operation_id="mark_alert_seen", response_model=AlertObject,
             responses=error_responses(404, 409), tags=["alerts"])
def mark_seen(environment: Environment, alert_id: Text, alerts: AlertsDep) -> AlertObject:
    return alert_object(alerts.seen(environment, alert_id))


@router.post("/v1/{environment}/alerts/{alert_id}/resolve", operation_id="resolve_alert", response_model=AlertObject,
             responses=error_responses(404, 409), tags=["alerts"])
def resolve(environment: Environment, alert_id: Text, alerts: AlertsDep) -> AlertObject:
    return alert_object(alerts.resolve(environment, alert_id))


# ---------------------------------------------------------------------- the event log


@router.get("/v1/{environment}/events", operation_id="list_events", response_model=EventList,
            responses=error_responses(), tags=["events"])
def list_events(
    environment: Environment, events: EventsDep, limit: Limit = 20, starting_after: StartingAfter = None,
    customer: Annotated[Text | None, Query(description="one customer's events")] = None,
    type: Annotated[list[Text] | None, Query(description="event types (repeat)")] = None,
    since: Annotated[int | None, Query(description="epoch ms: events at or after")] = None,
) -> EventList:
    """The event log, newest first."""
    page = events.list(environment, customer=customer, types=type or (), since=since, starting_after=starting_after,
                       limit=limit)
    return EventList(data=[EventObject(id=e.id, environment=environment, customer=e.customer_id, type=e.type,
                                       data=e.payload, created_at=e.at) for e in page.data],
                     has_more=page.has_more)


@router.get("/v1/{environment}/events/usage-series", operation_id="get_usage_series",
            response_model=UsageSeriesObject, responses=error_responses(), tags=["events"])
def usage_series(
    environment: Environment, events: EventsDep,
    customer: Annotated[Text, Query(description="the customer")],
    entitlement: Annotated[Text, Query(description="the entitlement (meter)")],
    bucket: Annotated[Literal["hour", "day"], Query()] = "hour",
    since: Annotated[int | None, Query(description="epoch ms; default: a day (hour) or 30 days (day) back")] = None,
    until: Annotated[int | None, Query(description="epoch ms; default: now")] = None,
) -> UsageSeriesObject:
    """A customer's metered usage per hour or day, from the event log: every bucket of the range, empty ones
    included (`used` 0, `value` null)."""
    series = events.usage_series(environment, customer, entitlement, bucket=bucket, since=since, until=until)
    return UsageSeriesObject(
        customer=series.customer, entitlement=series.entitlement, bucket=series.bucket,  # type: ignore[arg-type]
        since=series.since, until=series.until, truncated=series.truncated,
        points=[UsagePointObject(start=p.start, used=p.used, value=p.value, limit=p.limit, calls=p.calls)
                for p in series.points])
