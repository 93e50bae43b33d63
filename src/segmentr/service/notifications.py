"""``NotificationService``: notifications of a workspace (create, list, show, edit, delete, test), their
deliveries (attempts, retry by hand); ``AlertService`` and ``EventService``: an environment's in-app alerts
(New → Seen → Resolved) and its event log. Each use case is one unit of work; roles as ``access.py`` says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from segmentr.errors import ConditionInvalid, InvalidInput, NotFound, Problem
from segmentr.notifications import (
    EVENT_TYPES,
    Alert,
    AlertState,
    AlertTransitionInvalid,
    Delivery,
    Notification,
    NotificationInvalid,
    WebhookTarget,
    advance,
    deliveries_for_test,
    parse_notification,
    rotate_secret,
)
from segmentr.service.access import Action, require
from segmentr.service.context import Actor
from segmentr.service.decisions import decider_for
from segmentr.service.errors import InvalidRequest
from segmentr.store import Store, UnitOfWork, alerts, event_log, outbox
from segmentr.store import notifications as notification_repo

__all__ = [
    "ALERT_STATES",
    "NOTIFICATION_EVENT_TYPES",
    "AlertPage",
    "AlertService",
    "CustomerUsagePoint",
    "CustomerUsageSeries",
    "DeliveryPage",
    "EventPage",
    "EventService",
    "NotificationPage",
    "NotificationService",
    "NotificationView",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
ALERT_STATES = ("new", "seen", "resolved", "all")
# the policy's own events first (policy.md §3), then a segment's entries and exits
NOTIFICATION_EVENT_TYPES: tuple[str, ...] = tuple(sorted(EVENT_TYPES, key=lambda t: (t.startswith("segment-"), t)))
EDITABLE = ("name", "description", "environment", "events", "segment", "condition", "channels", "enabled")


@dataclass(frozen=True, slots=True)
class NotificationView:
    """A stored notification and whether its segment was deleted (it then never fires)."""

    notification: Notification
    segment_deleted: bool
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None
    error_count: int
    last_error: str | None
    last_error_at: int | None


@dataclass(frozen=True, slots=True)
class NotificationPage:
    data: list[NotificationView]
    has_more: bool


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    data: list[Any]
    has_more: bool


@dataclass(frozen=True, slots=True)
class AlertPage:
    data: list[Alert]
    has_more: bool


@dataclass(frozen=True, slots=True)
class EventPage:
    data: list[Any]
    has_more: bool


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")


def _invalid(exc: NotificationInvalid) -> InvalidInput:
    problems = [Problem(message=p.message, field=p.field or None, line=p.line, column=p.column)
                for p in exc.problems]
    if any(p.field == "condition" and p.line for p in problems):
        return ConditionInvalid(problems=problems)
    return InvalidInput(problems=problems)


def _parse(data: Mapping[str, Any]) -> Notification:
    try:
        return parse_notification(dict(data))
    except NotificationInvalid as exc:
        raise _invalid(exc) from None


class NotificationService:
    """The notifications of the actor's workspace (workspace-level: every key of it may read them)."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def _view(self, uow: UnitOfWork, stored: notification_repo.StoredNotification) -> NotificationView:
        segment = stored.notification.segment
        deleted = segment is not None and not notification_repo.segment_refs(
            session=uow.session, workspace_id=self.actor.workspace_id, ids=[segment])
        return NotificationView(stored.notification, deleted, stored.created_at, stored.created_by,
                                stored.updated_at, stored.updated_by, stored.error_count, stored.last_error,
                                stored.last_error_at)

    def _check_segment(self, uow: UnitOfWork, segment: str | None) -> None:
        if segment is not None and not notification_repo.segment_refs(
                session=uow.session, workspace_id=self.actor.workspace_id, ids=[segment]):
            raise InvalidInput(problems=[Problem(field="segment", message=f"no segment {segment!r}")])

    def check_condition(self, condition: str) -> list[Problem]:
        """Every error and warning about a notification condition (over ``event``, ``customer``, ``data``,
        ``policy``), with positions: the editor's live validation. Never raises for the text itself."""
        require(self.actor, Action.READ_NOTIFICATIONS)
        from segmentr.policy.vocabulary import NOTIFICATION_BINDINGS
        from segmentr.stof import check

        return [Problem.from_diagnostic(d) for d in check(condition, bindings=NOTIFICATION_BINDINGS)]

    @staticmethod
    def event_fields() -> list[tuple[str, str, str]]:
        """The fields of ``event`` a condition may read: (name, type, doc), for the editor's completion."""
        from segmentr.policy.vocabulary import EVENT_FIELDS

        return [(f.name, f.kind, f.doc) for f in EVENT_FIELDS]

    def create(self, data: Mapping[str, Any]) -> NotificationView:
        """A new notification (``ntf_…``); a webhook channel without a secret gets a new ``whsec_…`` one."""
        require(self.actor, Action.EDIT_NOTIFICATIONS)
        fields = {key: value for key, value in data.items() if key in EDITABLE}
        unknown = sorted(set(data) - set(EDITABLE))
        if unknown:
            raise InvalidInput(problems=[Problem(field=key, message="unknown field") for key in unknown])
        notification = _parse(fields)

        def write(uow: UnitOfWork) -> NotificationView:
            self._check_segment(uow, notification.segment)
            stored = notification_repo.insert_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification=notification, now=uow.now,
                by=self.actor.label)
            return self._view(uow, stored)

        created = self._store.run(write, write=True)
        self._follow_membership(created.notification)
        return created

    def list(self, *, starting_after: str | None = None, limit: int = DEFAULT_LIMIT) -> NotificationPage:
        require(self.actor, Action.READ_NOTIFICATIONS)
        _check_limit(limit)

        def read(uow: UnitOfWork) -> NotificationPage:
            found = notification_repo.list_notifications(
                session=uow.session, workspace_id=self.actor.workspace_id, after=starting_after, limit=limit + 1)
            return NotificationPage([self._view(uow, s) for s in found[:limit]], len(found) > limit)

        return self._store.run(read)

    def get(self, notification_id: str) -> NotificationView:
        require(self.actor, Action.READ_NOTIFICATIONS)

        def read(uow: UnitOfWork) -> NotificationView:
            return self._view(uow, notification_repo.get_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification_id=notification_id))

        return self._store.run(read)

    def edit(self, notification_id: str, changes: Mapping[str, Any], *,
             rotate_secrets: bool = False) -> NotificationView:
        """Change fields (a new version). A webhook channel given without a secret keeps the secret of the
        channel at its place; ``rotate_secrets`` gives every webhook channel a new secret, the old one signing
        beside it for 24 hours."""
        require(self.actor, Action.EDIT_NOTIFICATIONS)
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidInput(problems=[Problem(field=key, message="cannot be changed") for key in unknown])

        def write(uow: UnitOfWork) -> NotificationView:
            current = notification_repo.get_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification_id=notification_id
            ).notification
            fields = current.model_dump(mode="json")
            fields.update(changes)
            if "channels" in changes:
                fields["channels"] = _keep_secrets(current, changes["channels"])
            fields["version"] = current.version + 1
            updated = _parse(fields)
            if rotate_secrets:
                updated = updated.model_copy(update={"channels": tuple(
                    rotate_secret(c, uow.now) if isinstance(c, WebhookTarget) else c for c in updated.channels)})
            if "segment" in changes:
                self._check_segment(uow, updated.segment)
            stored = notification_repo.update_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification=updated, now=uow.now,
                by=self.actor.label)
            return self._view(uow, stored)

        edited = self._store.run(write, write=True)
        self._follow_membership(edited.notification)
        return edited

    def _follow_membership(self, notification: Notification) -> None:
        """A notification that starts watching a segment's entries and exits needs its membership now (those
        already in it are members, not entering: the first pass records them without events)."""
        if notification.segment is None or not {"segment-entered", "segment-exited"} & set(notification.events):
            return
        decider_for(self._store).seed_membership(self.actor.workspace_id, notification.segment)

    def delete(self, notification_id: str) -> None:
        require(self.actor, Action.EDIT_NOTIFICATIONS)

        def write(uow: UnitOfWork) -> None:
            notification_repo.delete_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification_id=notification_id)

        self._store.run(write, write=True)

    def test(self, notification_id: str, *, environment: str | None = None,
             customer: Mapping[str, Any] | None = None) -> list[Delivery]:
        """One test delivery on every channel (an example event of its first type, ``"test": true``), written
        to the outbox like any other and sent by the worker; segment and condition are not consulted."""
        require(self.actor, Action.EDIT_NOTIFICATIONS)

        def write(uow: UnitOfWork) -> list[Delivery]:
            stored = notification_repo.get_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification_id=notification_id)
            notification = stored.notification
            env = environment or self.actor.environment or (
                notification.environment if notification.environment != "both" else "test")
            self.actor.reach(env)
            environment_id = uow.environment(self.actor.workspace_id, env).id
            refs = notification_repo.segment_refs(session=uow.session, workspace_id=self.actor.workspace_id,
                                                  ids=[notification.segment] if notification.segment else [])
            example = dict(customer or {"id": "cus_test_example", "plan": None, "label": "Example customer"})
            deliveries = deliveries_for_test(notification, environment=env, customer=example, now=uow.now,
                                             segment=refs.get(notification.segment or ""))
            outbox.add_deliveries(session=uow.session, environment_id=environment_id, deliveries=deliveries)
            decider = decider_for(self._store)
            if decider.wake is not None:
                uow.after_commit(decider.wake)
            return deliveries

        return self._store.run(write, write=True)

    # ------------------------------------------------------------------ deliveries

    def deliveries(self, notification_id: str, *, state: str | None = None, starting_after: str | None = None,
                   limit: int = DEFAULT_LIMIT) -> DeliveryPage:
        """The notification's deliveries, newest first, each with every attempt."""
        require(self.actor, Action.READ_NOTIFICATIONS)
        _check_limit(limit)
        if state is not None and state not in ("pending", "delivered", "failed"):
            raise InvalidRequest(f"unknown delivery state {state!r}: use pending, delivered or failed")

        def read(uow: UnitOfWork) -> DeliveryPage:
            notification_repo.get_notification(
                session=uow.session, workspace_id=self.actor.workspace_id, notification_id=notification_id)
            before = None
            if starting_after is not None:
                last, workspace_id = outbox.get_delivery(session=uow.session, delivery_id=starting_after)
                if workspace_id != self.actor.workspace_id or last.notification_id != notification_id:
                    raise NotFound(f"no delivery {starting_after!r}")
                before = (last.created_at, last.event_id, last.id)
            found = outbox.list_deliveries(session=uow.session, notification_id=notification_id, state=state,
                                           before=before, limit=limit + 1)
            return DeliveryPage(found[:limit], len(found) > limit)

        return self._store.run(read)

    def delivery(self, delivery_id: str) -> Any:
        require(self.actor, Action.READ_NOTIFICATIONS)

        def read(uow: UnitOfWork) -> Any:
            record, workspace_id = outbox.get_delivery(session=uow.session, delivery_id=delivery_id)
            if workspace_id != self.actor.workspace_id:
                raise NotFound(f"no delivery {delivery_id!r}")
            return record

        return self._store.run(read)

    def retry(self, delivery_id: str) -> Any:
        """Send a delivery again now (a failed one gets one more attempt; a pending one moves up)."""
        require(self.actor, Action.EDIT_NOTIFICATIONS)

        def write(uow: UnitOfWork) -> Any:
            record, workspace_id = outbox.get_delivery(session=uow.session, delivery_id=delivery_id)
            if workspace_id != self.actor.workspace_id:
                raise NotFound(f"no delivery {delivery_id!r}")
            if record.state == "delivered":
                from segmentr.errors import Conflict

                raise Conflict(f"delivery {delivery_id} was delivered already", code="delivery_delivered")
            outbox.retry_delivery(session=uow.session, delivery_id=delivery_id, now=uow.now)
            decider = decider_for(self._store)
            if decider.wake is not None:
                uow.after_commit(decider.wake)
            return outbox.get_delivery(session=uow.session, delivery_id=delivery_id)[0]

        return self._store.run(write, write=True)


def _keep_secrets(current: Notification, channels: Any) -> Any:
    """Webhook channels given without ``secret`` keep the one of the current channel at the same place."""
    if not isinstance(channels, Sequence) or isinstance(channels, str):
        return channels
    kept = []
    for index, channel in enumerate(channels):
        if isinstance(channel, Mapping) and channel.get("type", "webhook") == "webhook" and "secret" not in channel:
            old = current.channels[index] if index < len(current.channels) else None
            if isinstance(old, WebhookTarget):
                channel = {**channel, "secret": old.secret, "previous_secret": old.previous_secret,
                           "previous_secret_expires_at": old.previous_secret_expires_at}
        kept.append(channel)
    return kept


class AlertService:
    """In-app alerts of the environments the actor reaches."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def _environment_id(self, uow: UnitOfWork, environment: str) -> int:
        self.actor.reach(environment)
        return uow.environment(self.actor.workspace_id, environment).id

    def list(self, environment: str, *, state: str = "new", starting_after: str | None = None,
             limit: int = DEFAULT_LIMIT) -> AlertPage:
        require(self.actor, Action.READ_ALERTS)
        _check_limit(limit)
        if state not in ALERT_STATES:
            raise InvalidRequest(f"unknown alert state {state!r}: use {', '.join(ALERT_STATES)}")

        def read(uow: UnitOfWork) -> AlertPage:
            environment_id = self._environment_id(uow, environment)
            before = None
            if starting_after is not None:
                last = alerts.get_alert(session=uow.session, environment_id=environment_id, alert_id=starting_after)
                before = (last.created_at, last.id)
            found = alerts.list_alerts(session=uow.session, environment_id=environment_id,
                                       state=None if state == "all" else state, before=before, limit=limit + 1)
            return AlertPage([replace(a, environment=environment) for a in found[:limit]], len(found) > limit)

        return self._store.run(read)

    def get(self, environment: str, alert_id: str) -> Alert:
        require(self.actor, Action.READ_ALERTS)

        def read(uow: UnitOfWork) -> Alert:
            environment_id = self._environment_id(uow, environment)
            found = alerts.get_alert(session=uow.session, environment_id=environment_id, alert_id=alert_id)
            return replace(found, environment=environment)

        return self._store.run(read)

    def _move(self, environment: str, alert_id: str, to: AlertState) -> Alert:
        require(self.actor, Action.MANAGE_ALERTS)

        def write(uow: UnitOfWork) -> Alert:
            environment_id = self._environment_id(uow, environment)
            found = alerts.get_alert(session=uow.session, environment_id=environment_id, alert_id=alert_id)
            try:
                moved = advance(found, to, uow.now)
            except AlertTransitionInvalid as exc:
                from segmentr.errors import Conflict

                raise Conflict(str(exc), code="alert_transition_invalid") from None
            alerts.save_alert_state(session=uow.session, environment_id=environment_id, alert=moved)
            return replace(moved, environment=environment)

        return self._store.run(write, write=True)

    def seen(self, environment: str, alert_id: str) -> Alert:
        return self._move(environment, alert_id, AlertState.SEEN)

    def resolve(self, environment: str, alert_id: str) -> Alert:
        return self._move(environment, alert_id, AlertState.RESOLVED)

    def after(self, environment: str, cursor: tuple[int, str] | None, *, limit: int = 100) -> list[Alert]:
        """Alerts added after ``cursor`` (created_at, id), oldest first: the live stream's next ones."""
        require(self.actor, Action.READ_ALERTS)

        def read(uow: UnitOfWork) -> list[Alert]:
            environment_id = self._environment_id(uow, environment)
            found = alerts.alerts_after(session=uow.session, environment_id=environment_id, after=cursor,
                                        limit=limit)
            return [replace(a, environment=environment) for a in found]

        return self._store.run(read)

    def latest_cursor(self, environment: str) -> tuple[int, str] | None:
        """Where a stream opened now starts: after the newest alert."""
        require(self.actor, Action.READ_ALERTS)

        def read(uow: UnitOfWork) -> tuple[int, str] | None:
            environment_id = self._environment_id(uow, environment)
            newest = alerts.list_alerts(session=uow.session, environment_id=environment_id, limit=1)
            return (newest[0].created_at, newest[0].id) if newest else None

        return self._store.run(read)


BUCKETS_MS = {"hour": 3_600_000, "day": 86_400_000}
DEFAULT_SPAN_MS = {"hour": 86_400_000, "day": 30 * 86_400_000}
MAX_SERIES_EVENTS = 20_000
METERED = ("meter-changed", "meter-overage")  # the engine sends one of them per metered call


@dataclass(frozen=True, slots=True)
class CustomerUsagePoint:
    """One bucket: ``used`` is what was metered in it (the sum of each call's ``meter.diff``), ``value`` and
    ``limit`` the meter after the bucket's last call (None where no call fell in it), ``calls`` how many."""

    start: int
    used: float
    value: float | None
    limit: float | None
    calls: int


@dataclass(frozen=True, slots=True)
class CustomerUsageSeries:
    """One customer's usage of one entitlement per hour or day (the API's usage series; the dashboard's chart over a
    segment is ``ReportService.usage_over_time``)."""

    customer: str
    entitlement: str
    bucket: str
    since: int
    until: int
    points: list[CustomerUsagePoint]
    truncated: bool


class EventService:
    """The event log of the environments the actor reaches."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def list(self, environment: str, *, customer: str | None = None, types: Sequence[str] = (),
             since: int | None = None, starting_after: str | None = None, limit: int = DEFAULT_LIMIT) -> EventPage:
        """Newest first, keyset paged by the last event's id."""
        require(self.actor, Action.READ_NOTIFICATIONS)
        _check_limit(limit)

        def read(uow: UnitOfWork) -> EventPage:
            self.actor.reach(environment)
            environment_id = uow.environment(self.actor.workspace_id, environment).id
            before = None
            if starting_after is not None:
                last = event_log.get_event(session=uow.session, environment_id=environment_id,
                                           event_id=starting_after)
                if last is None:
                    raise NotFound(f"no event {starting_after!r}")
                before = (last.at, last.id)
            found = event_log.list_events(session=uow.session, environment_id=environment_id, customer_id=customer,
                                          types=types, since=since, before=before, limit=limit + 1)
            return EventPage(found[:limit], len(found) > limit)

        return self._store.run(read)

    def usage_series(self, environment: str, customer: str, entitlement: str, *, bucket: str = "hour",
                     since: int | None = None, until: int | None = None) -> CustomerUsageSeries:
        """A customer's metered usage of one entitlement per hour or day, from the event log (the dashboard's
        charts): every bucket from ``since`` to ``until`` (default: the last day by hour, 30 days by day)."""
        require(self.actor, Action.READ_NOTIFICATIONS)
        if bucket not in BUCKETS_MS:
            raise InvalidRequest(f"unknown bucket {bucket!r}: use hour or day")
        width = BUCKETS_MS[bucket]

        def read(uow: UnitOfWork) -> CustomerUsageSeries:
            self.actor.reach(environment)
            environment_id = uow.environment(self.actor.workspace_id, environment).id
            end = until if until is not None else uow.now
            start = since if since is not None else end - DEFAULT_SPAN_MS[bucket]
            if start > end or (end - start) // width > 2000:
                raise InvalidRequest("since must be before until, and at most 2 000 buckets apart")
            first = start - start % width
            points = {at: [0.0, None, None, 0] for at in range(first, end + 1, width)}
            found: list[Any] = []
            before = None
            while len(found) < MAX_SERIES_EVENTS:
                page = event_log.list_events(session=uow.session, environment_id=environment_id, customer_id=customer,
                                             types=METERED, since=start, before=before, limit=1000)
                found.extend(e for e in page if e.at <= end)
                if len(page) < 1000:
                    break
                before = (page[-1].at, page[-1].id)
            for event in sorted(found, key=lambda e: (e.at, e.id)):
                if event.payload.get("entitlement") != entitlement:
                    continue
                meter = event.payload.get("meter") or {}
                point = points.get(event.at - event.at % width)
                if point is None:
                    continue
                diff = meter.get("diff")
                if not isinstance(diff, int | float):
                    old, value = meter.get("old"), meter.get("value")
                    diff = (value - old) if isinstance(value, int | float) and isinstance(old, int | float) else 0
                point[0] += float(diff)
                point[1], point[2] = meter.get("value"), meter.get("limit")
                point[3] += 1
            return CustomerUsageSeries(customer, entitlement, bucket, start, end,
                               [CustomerUsagePoint(at, round(p[0], 9), p[1], p[2], p[3]) for at, p in points.items()],
                               len(found) >= MAX_SERIES_EVENTS)

        return self._store.run(read)
