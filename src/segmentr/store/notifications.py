"""Notifications of a workspace, the epoch that keys every process's cache of them, their re-arm state and the
membership of watched segments: keyword-only ``session=`` functions and the two protocol adapters
(``StoredArmStates``, ``StoredMemberships``) that ``segmentr.notifications.decide`` writes through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    String,
    bindparam,
    cast,
    delete,
    func,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from segmentr.notifications import ArmState, Notification, RearmKey, SegmentRef, rearmed
from segmentr.store.customers import CUSTOMER_COLUMNS, CUSTOMER_TABLE, customer_from_row
from segmentr.store.errors import NotFound
from segmentr.store.insert import driver_rows, pipelined, upsert
from segmentr.store.notification_tables import (
    ArmStateRow,
    MembershipRow,
    NotificationEpochRow,
    NotificationRow,
)
from segmentr.store.tables import SegmentRow

__all__ = [
    "StoredArmStates",
    "StoredMemberships",
    "StoredNotification",
    "bump_epoch",
    "delete_notification",
    "disable_channel",
    "epoch",
    "forget_memberships",
    "get_notification",
    "insert_notification",
    "list_notifications",
    "lock_customer_page",
    "notifications_of_segment",
    "pipelined",
    "record_notification_error",
    "segment_refs",
    "update_notification",
    "workspace_ids",
]

MAX_ERROR_CHARS = 2000
_N = NotificationRow.__table__.c
_EPOCH = NotificationEpochRow.__table__.c


@dataclass(frozen=True, slots=True)
class StoredNotification:
    """A notification as kept: the model, and what the store adds (times, authors, errors)."""

    notification: Notification
    workspace_id: str
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None
    error_count: int
    last_error: str | None
    last_error_at: int | None


def _stored(row: Any) -> StoredNotification:
    notification = Notification.model_validate({
        "id": row.id, "name": row.name, "description": row.description, "environment": row.environment,
        "events": tuple(row.events), "segment": row.segment_id, "condition": row.condition,
        "channels": tuple(row.channels), "enabled": bool(row.enabled), "version": row.version,
    })
    return StoredNotification(notification, row.workspace_id, row.created_at, row.created_by, row.updated_at,
                              row.updated_by, row.error_count, row.last_error, row.last_error_at)


def _columns(notification: Notification) -> dict[str, Any]:
    return {
        "name": notification.name, "description": notification.description,
        "environment": notification.environment, "events": list(notification.events),
        "segment_id": notification.segment, "condition": notification.condition,
        "channels": [channel.model_dump(mode="json") for channel in notification.channels],
        "enabled": notification.enabled, "version": notification.version,
    }


# ---------------------------------------------------------------------------------------------- the epoch

_EPOCH_OF = select(_EPOCH.epoch).where(_EPOCH.workspace_id == bindparam("workspace_id"))


def epoch(*, session: Session, workspace_id: str) -> int:
    """The workspace's notification epoch (0 before any change)."""
    found = session.connection().execute(_EPOCH_OF, {"workspace_id": workspace_id}).scalar()
    return int(found or 0)


def bump_epoch(*, session: Session, workspace_id: str) -> None:
    """Every cached listening set of the workspace is stale from this transaction's commit on."""
    done = session.execute(
        update(NotificationEpochRow.__table__).where(_EPOCH.workspace_id == workspace_id).values(epoch=_EPOCH.epoch + 1)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        upsert(session, NotificationEpochRow.__table__, [{"workspace_id": workspace_id, "epoch": 1}],
               keys=("workspace_id",), update=("epoch",))


# ---------------------------------------------------------------------------------------------- notifications

def insert_notification(*, session: Session, workspace_id: str, notification: Notification, now: int,
                        by: str | None) -> StoredNotification:
    session.execute(NotificationRow.__table__.insert().values(
        id=notification.id, workspace_id=workspace_id, created_at=now, created_by=by, updated_at=now,
        updated_by=by, error_count=0, **_columns(notification),
    ))
    bump_epoch(session=session, workspace_id=workspace_id)
    return get_notification(session=session, workspace_id=workspace_id, notification_id=notification.id)


def get_notification(*, session: Session, workspace_id: str, notification_id: str) -> StoredNotification:
    row = session.execute(
        select(NotificationRow.__table__).where(_N.id == notification_id, _N.workspace_id == workspace_id)
    ).first()
    if row is None:
        raise NotFound(f"no notification {notification_id!r}")
    return _stored(row)


def list_notifications(*, session: Session, workspace_id: str, after: str | None = None,
                       limit: int | None = None) -> list[StoredNotification]:
    """The workspace's notifications in id order (keyset paged by ``after``)."""
    query = select(NotificationRow.__table__).where(_N.workspace_id == workspace_id).order_by(_N.id)
    if after is not None:
        query = query.where(_N.id > after)
    if limit is not None:
        query = query.limit(limit)
    return [_stored(row) for row in session.execute(query)]


def notifications_of_segment(*, session: Session, workspace_id: str, segment_id: str) -> list[StoredNotification]:
    query = select(NotificationRow.__table__).where(_N.workspace_id == workspace_id, _N.segment_id == segment_id)
    return [_stored(row) for row in session.execute(query.order_by(_N.id))]


def update_notification(*, session: Session, workspace_id: str, notification: Notification, now: int,
                        by: str | None) -> StoredNotification:
    done = session.execute(
        update(NotificationRow.__table__).where(_N.id == notification.id, _N.workspace_id == workspace_id)
        .values(updated_at=now, updated_by=by, **_columns(notification))
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no notification {notification.id!r}")
    bump_epoch(session=session, workspace_id=workspace_id)
    return get_notification(session=session, workspace_id=workspace_id, notification_id=notification.id)


def delete_notification(*, session: Session, workspace_id: str, notification_id: str) -> None:
    """Remove it with its re-arm state and deliveries (their foreign keys cascade)."""
    from segmentr.store.notification_tables import ArmStateRow, DeliveryAttemptRow, DeliveryRow

    found = session.execute(
        select(_N.id).where(_N.id == notification_id, _N.workspace_id == workspace_id)
    ).first()
    if found is None:
        raise NotFound(f"no notification {notification_id!r}")
    # Explicit deletes, not only ON DELETE CASCADE: SQLite connections may run without foreign keys.
    ids = select(DeliveryRow.id).where(DeliveryRow.notification_id == notification_id)
    session.execute(delete(DeliveryAttemptRow).where(DeliveryAttemptRow.delivery_id.in_(ids)))
    session.execute(delete(DeliveryRow).where(DeliveryRow.notification_id == notification_id))
    session.execute(delete(ArmStateRow).where(ArmStateRow.notification_id == notification_id))
    session.execute(delete(NotificationRow.__table__).where(_N.id == notification_id))
    bump_epoch(session=session, workspace_id=workspace_id)


def disable_channel(*, session: Session, notification_id: str, channel_index: int, now: int) -> bool:
    """Mark one channel disabled (its endpoint answered 410); False if the notification or channel is gone."""
    row = session.execute(
        select(_N.workspace_id, _N.channels, _N.version).where(_N.id == notification_id)
    ).first()
    if row is None or not 0 <= channel_index < len(row.channels):
        return False
    channels = [dict(channel) for channel in row.channels]
    if channels[channel_index].get("disabled"):
        return False
    channels[channel_index]["disabled"] = True
    session.execute(update(NotificationRow.__table__).where(_N.id == notification_id)
                    .values(channels=channels, version=row.version + 1, updated_at=now))
    bump_epoch(session=session, workspace_id=row.workspace_id)
    return True


def record_notification_error(*, session: Session, notification_id: str, error: str, now: int,
                              count: int = 1) -> None:
    session.execute(
        update(NotificationRow.__table__).where(_N.id == notification_id)
        .values(error_count=_N.error_count + count, last_error=error[:MAX_ERROR_CHARS], last_error_at=now)
    )


def lock_customer_page(*, session: Session, environment_id: int, after: str | None,
                       limit: int) -> list[dict[str, Any]]:
    """A page of customers in id order, their rows locked for the transaction (``FOR UPDATE``; SQLite's
    write lock already holds): a membership pass and a concurrent change of the same customer serialise."""
    c = CUSTOMER_TABLE.c
    query = select(*CUSTOMER_COLUMNS).where(c.environment_id == environment_id)
    if after is not None:
        query = query.where(c.id > after)
    query = query.order_by(c.id).limit(limit).with_for_update(of=CUSTOMER_TABLE)
    return [customer_from_row(row) for row in session.execute(query)]


def forget_memberships(*, session: Session, segment_id: str) -> None:
    """A deleted segment's stored membership, in every environment."""
    session.execute(delete(MembershipRow.__table__).where(MembershipRow.__table__.c.segment_id == segment_id))


def segment_refs(*, session: Session, workspace_id: str, ids: Sequence[str]) -> dict[str, SegmentRef]:
    """The existing segments among ``ids`` (a missing id is a deleted segment)."""
    if not ids:
        return {}
    s = SegmentRow.__table__.c
    rows = session.execute(
        select(s.id, s.name, s.condition, s.version).where(s.workspace_id == workspace_id, s.id.in_(list(ids)))
    )
    return {row.id: SegmentRef(row.id, row.name, row.condition, row.version) for row in rows}


def workspace_ids(*, session: Session) -> list[str]:
    """Workspaces that have notifications (what the sweep visits)."""
    return list(session.execute(select(_N.workspace_id).distinct()).scalars())


# ---------------------------------------------------------------------------------------------- re-arm state

_A = ArmStateRow.__table__.c
_ARM_STATES_OF = select(_A.notification_id, _A.entitlement, _A.fired, _A.since, _A.seen).where(
    _A.environment_id == bindparam("environment_id"), _A.customer_id == bindparam("customer_id"))
# The same rows and the workspace's epoch in one statement (one round trip): the epoch row carries NULLs in
# the state's columns and the states NULL in the epoch's.
_ARM_STATES_AND_EPOCH = union_all(
    select(_A.notification_id, _A.entitlement, _A.fired, _A.since, _A.seen, cast(null(), BigInteger).label("epoch"))
    .where(_A.environment_id == bindparam("environment_id"), _A.customer_id == bindparam("customer_id")),
    select(cast(null(), String), cast(null(), String), cast(null(), Boolean), cast(null(), BigInteger),
           cast(null(), ArmStateRow.__table__.c.seen.type), _EPOCH.epoch)
    .where(_EPOCH.workspace_id == bindparam("workspace_id")),
)
_M = MembershipRow.__table__.c
_MEMBERSHIP_OF = select(_M.segment_id, _M.since).where(
    _M.environment_id == bindparam("environment_id"), _M.customer_id == bindparam("customer_id"))


@dataclass(frozen=True, slots=True)
class _StateRow:
    notification_id: str
    entitlement: str
    fired: bool
    since: int
    seen: list[str] | None


class StoredArmStates:
    """``ArmStates`` for one environment: a customer's states are read once (one SELECT) on first use, and
    what changed is written by ``flush`` (one upsert), all in the caller's transaction."""

    def __init__(self, session: Session, environment_id: int) -> None:
        self._session = session
        self._environment_id = environment_id
        self._loaded: set[str] = set()
        self._states: dict[RearmKey, ArmState] = {}
        self._dirty: set[RearmKey] = set()

    def _load(self, customer_id: str) -> None:
        if customer_id in self._loaded:
            return
        self._loaded.add(customer_id)
        rows = self._session.connection().execute(
            _ARM_STATES_OF, {"environment_id": self._environment_id, "customer_id": customer_id})
        self._add(customer_id, rows)

    def _add(self, customer_id: str, rows: Any) -> None:
        for row in rows:
            key = RearmKey(row.notification_id, customer_id, row.entitlement)
            self._states.setdefault(key, ArmState(bool(row.fired), int(row.since), tuple(row.seen or ())))

    def load_with_epoch(self, customer_id: str, workspace_id: str) -> int:
        """Read the customer's states now (as the first ``get`` would) together with the workspace's
        notification epoch (``epoch``), in one statement: what a change that will need both reads."""
        rows = driver_rows(self._session, _ARM_STATES_AND_EPOCH, {
            "environment_id": self._environment_id, "customer_id": customer_id, "workspace_id": workspace_id,
        })
        found = 0
        states: list[Any] = []
        for notification_id, entitlement, fired, since, seen, epoch_ in rows:
            if notification_id is None:
                found = int(epoch_ or 0)
            else:
                states.append(_StateRow(notification_id, entitlement, fired, since, seen))
        if customer_id not in self._loaded:
            self._loaded.add(customer_id)
            self._add(customer_id, states)
        return found

    def get(self, key: RearmKey) -> ArmState | None:
        self._load(key.customer_id)
        return self._states.get(key)

    def put(self, key: RearmKey, state: ArmState) -> None:
        self._load(key.customer_id)
        self._states[key] = state
        self._dirty.add(key)

    def rearm(self, customer_id: str, entitlement: str, at: int) -> None:
        self._load(customer_id)
        for key, state in list(self._states.items()):
            if key.customer_id == customer_id and key.entitlement == entitlement:
                new = rearmed(state, at)
                if new is not state:
                    self._states[key] = new
                    self._dirty.add(key)

    @property
    def dirty(self) -> bool:
        """Whether ``flush`` has anything to write."""
        return bool(self._dirty)

    def flush(self) -> None:
        if not self._dirty:
            return
        rows = [
            {"notification_id": key.notification_id, "environment_id": self._environment_id,
             "customer_id": key.customer_id, "entitlement": key.entitlement, "fired": state.fired,
             "since": state.since, "seen": list(state.seen)}
            for key in sorted(self._dirty, key=lambda k: (k.notification_id, k.customer_id, k.entitlement))
            for state in (self._states[key],)
        ]
        upsert(self._session, ArmStateRow.__table__, rows,
               keys=("notification_id", "environment_id", "customer_id", "entitlement"),
               update=("fired", "since", "seen"))
        self._dirty.clear()


# ---------------------------------------------------------------------------------------------- membership

class StoredMemberships:
    """``Memberships`` of one environment (the environment name the protocol passes is the bound one).

    ``enter`` is a plain INSERT: two processes deciding the same entry conflict, and the loser's unit of work
    runs again and sees the row (no entry is decided twice)."""

    def __init__(self, session: Session, environment_id: int) -> None:
        self._session = session
        self._environment_id = environment_id

    def of(self, environment: str, customer_id: str) -> Mapping[str, int]:
        rows = self._session.connection().execute(
            _MEMBERSHIP_OF, {"environment_id": self._environment_id, "customer_id": customer_id})
        return {row.segment_id: int(row.since) for row in rows}

    def of_segment(self, segment_id: str, customer_ids: Sequence[str]) -> dict[str, int]:
        m = MembershipRow.__table__.c
        rows = self._session.execute(
            select(m.customer_id, m.since).where(m.environment_id == self._environment_id,
                                                 m.segment_id == segment_id, m.customer_id.in_(list(customer_ids)))
        )
        return {row.customer_id: int(row.since) for row in rows}

    def enter(self, environment: str, segment_id: str, customer_id: str, since: int) -> None:
        self._session.execute(MembershipRow.__table__.insert().values(
            segment_id=segment_id, environment_id=self._environment_id, customer_id=customer_id, since=since))

    def exit(self, environment: str, segment_id: str, customer_id: str) -> None:
        m = MembershipRow.__table__.c
        self._session.execute(delete(MembershipRow.__table__).where(
            m.environment_id == self._environment_id, m.segment_id == segment_id, m.customer_id == customer_id))

    def gone(self, segment_id: str, after: str | None, upto: str | None) -> list[str]:
        """Members in the id range (``after``, ``upto``] whose customer no longer exists."""
        m = MembershipRow.__table__.c
        c = CUSTOMER_TABLE.c
        query = (
            select(m.customer_id)
            .outerjoin(CUSTOMER_TABLE, (c.environment_id == m.environment_id) & (c.id == m.customer_id))
            .where(m.environment_id == self._environment_id, m.segment_id == segment_id, c.id.is_(None))
        )
        if after is not None:
            query = query.where(m.customer_id > after)
        if upto is not None:
            query = query.where(m.customer_id <= upto)
        return list(self._session.execute(query.order_by(m.customer_id)).scalars())

    def count(self, segment_id: str) -> int:
        m = MembershipRow.__table__.c
        return int(self._session.execute(
            select(func.count()).where(m.environment_id == self._environment_id, m.segment_id == segment_id)
        ).scalar_one())

