"""Events, decisions and the outbox inside the change's transaction (product.md §5, issue "Notifications").

Every state change a use case makes hands its typed events to ``Decider.after_change`` before committing: the
events are appended to the event log; for the segments that segment-entered / -exited notifications watch,
the customer's membership is compared with the stored one (entering / leaving are events too); each event is
decided against the environment's enabled notifications listening to its type (segment on the state after the
change, condition, re-arm); one delivery per (event, notification, channel) is written to the outbox, and what
failed is recorded on the segment or notification. All of it in the caller's transaction: a crash loses
nothing, a rollback keeps nothing. Nothing raised by a segment or condition reaches the caller.

The listening set of a workspace (its notifications, the segments they reference, the compiled conditions) is
cached per process, keyed by the workspace's notification epoch, one indexed read per change; an edit of a
notification or of a segment bumps the epoch. The other cache is the membership table itself: the one
product.md allows, kept exact by changes, by segment edits (``reconcile``) and by the periodic sweep.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from segmentr import segments as segment_engine
from segmentr.notifications import (
    CompiledConditions,
    Delivery,
    Event,
    EventCollector,
    Notification,
    Problem,
    SegmentRef,
    decide,
    from_policy,
    membership_changes,
    watched_segments,
)
from segmentr.notifications.deliveries import stable_digest
from segmentr.notifications.events import SegmentEntered, SegmentExited
from segmentr.policy import Policy
from segmentr.store import Store, UnitOfWork, event_log, outbox
from segmentr.store import notifications as notification_repo
from segmentr.store import segments as segment_repo

log = logging.getLogger("segmentr.notifications")

__all__ = ["ENVIRONMENTS", "Decider", "Listening", "collector", "decider_for", "next_event_id", "synthetic_event"]

ENVIRONMENTS = ("test", "live")
RECONCILE_BATCH = 500


@dataclass(frozen=True)
class Listening:
    """A workspace's enabled notifications by (environment, event type), the segments they reference (those
    still existing) and, per environment, the segments whose membership is watched."""

    epoch: int
    by_type: Mapping[tuple[str, str], tuple[Notification, ...]]
    segments: Mapping[str, SegmentRef]
    watched: Mapping[str, tuple[SegmentRef, ...]]
    all: tuple[Notification, ...] = ()
    conditioned: frozenset[tuple[str, str]] = frozenset()  # (environment, event type) with a condition listening

    @property
    def empty(self) -> bool:
        return not self.all

    def for_event(self, environment: str, event_type: str) -> tuple[Notification, ...]:
        return self.by_type.get((environment, event_type), ())


def _listening(epoch: int, notifications: Sequence[Notification], segments: Mapping[str, SegmentRef]) -> Listening:
    enabled = tuple(n for n in notifications if n.enabled)
    by_type: dict[tuple[str, str], list[Notification]] = {}
    watched: dict[str, tuple[SegmentRef, ...]] = {}
    for environment in ENVIRONMENTS:
        for notification in enabled:
            if notification.environment in (environment, "both"):
                for event_type in notification.events:
                    by_type.setdefault((environment, event_type), []).append(notification)
        ids = watched_segments(enabled, environment)
        watched[environment] = tuple(segments[i] for i in sorted(ids) if i in segments)
    conditioned = frozenset(key for key, listeners in by_type.items()
                            if any(n.condition is not None for n in listeners))
    return Listening(epoch, {k: tuple(v) for k, v in by_type.items()}, dict(segments), watched, enabled,
                     conditioned)


@dataclass
class ChangeOutcome:
    """What one change decided (for tests and the benchmark; the use case returns its own answer)."""

    events: list[Event] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Decider:
    """Decides the events of changes to one store's data (one per store per process: ``decider_for``)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, Listening] = {}
        self._lock = threading.Lock()
        self.conditions = CompiledConditions()
        self.wake: Callable[[], None] | None = None  # the in-process worker's doorbell, if one runs

    # ------------------------------------------------------------------ the listening set

    def listening(self, uow: UnitOfWork, workspace_id: str, *, epoch: int | None = None) -> Listening:
        """The workspace's listening set at ``epoch`` (read in ``uow`` when not given)."""
        if epoch is None:
            epoch = notification_repo.epoch(session=uow.session, workspace_id=workspace_id)
        cached = self._cache.get(workspace_id)
        if cached is not None and cached.epoch == epoch:
            return cached
        stored = notification_repo.list_notifications(session=uow.session, workspace_id=workspace_id)
        notifications = [s.notification for s in stored]
        referenced = sorted({n.segment for n in notifications if n.segment is not None})
        refs = notification_repo.segment_refs(session=uow.session, workspace_id=workspace_id, ids=referenced)
        built = _listening(epoch, notifications, refs)
        with self._lock:
            self._cache[workspace_id] = built
        return built

    # ------------------------------------------------------------------ one change

    def after_change(
        self,
        uow: UnitOfWork,
        *,
        workspace_id: str,
        environment: str,
        environment_id: int,
        customer_id: str,
        customer: dict[str, Any] | None,
        policy: Policy,
        events: Sequence[Event],
    ) -> ChangeOutcome:
        """Log, decide and write the outbox for one customer's change (``customer`` after it, None if removed)."""
        return self.after_changes(uow, workspace_id=workspace_id, environment=environment,
                                  environment_id=environment_id, policy=policy,
                                  changes=[(customer_id, customer, events)])

    def after_changes(
        self,
        uow: UnitOfWork,
        *,
        workspace_id: str,
        environment: str,
        environment_id: int,
        policy: Policy,
        changes: Sequence[tuple[str, dict[str, Any] | None, Sequence[Event]]],
        membership: bool = True,
    ) -> ChangeOutcome:
        """Several customers' changes of one transaction (a usage batch): one listening read, one write each of
        the event log, the re-arm state and the outbox."""
        outcome = ChangeOutcome()
        if not any(events for _, _, events in changes) and not membership:
            return outcome
        session = uow.session
        arm_states = notification_repo.StoredArmStates(session, environment_id)
        epoch = self._epoch_with_arm_states(workspace_id, environment, changes, arm_states)
        listening = self.listening(uow, workspace_id, epoch=epoch)
        memberships = notification_repo.StoredMemberships(session, environment_id)
        watched = listening.watched.get(environment, ())
        for customer_id, customer, events in changes:
            all_events = list(events)
            if membership and watched:
                previous = memberships.of(environment, customer_id)
                cause = events[0].id if events else next_event_id(uow.now)
                decided = membership_changes(
                    environment=environment, customer_id=customer_id, customer=customer, policy=policy,
                    watched=watched, previous=previous, cause_id=cause, at=uow.now, memberships=memberships,
                )
                all_events.extend(decided.events)
                outcome.problems.extend(decided.problems)
            outcome.events.extend(all_events)
            if listening.empty:
                continue
            for event in all_events:
                if event.resets_meter:  # re-arms thresholds even when nothing listens to the reset itself
                    arm_states.rearm(event.customer_id, event.entitlement or "", event.at)
                listeners = listening.for_event(environment, event.type)
                if not listeners:
                    continue
                decision = decide(event, customer=customer, policy=policy, notifications=listeners,
                                  segments=listening.segments, arm_states=arm_states, now=uow.now,
                                  conditions=self.conditions)
                outcome.deliveries.extend(decision.deliveries)
                outcome.problems.extend(decision.problems)
        # one round trip for the writes on PostgreSQL (nothing reads their results)
        with notification_repo.pipelined(session, enabled=arm_states.dirty or bool(outcome.deliveries)):
            event_log.append_events(session=session, environment_id=environment_id, events=outcome.events)
            arm_states.flush()
            if outcome.deliveries:
                outbox.add_deliveries(session=session, environment_id=environment_id,
                                      deliveries=outcome.deliveries)
        if outcome.deliveries and self.wake is not None:
            uow.after_commit(self.wake)
        self._record_after_commit(uow, outcome.problems)
        return outcome

    def _epoch_with_arm_states(self, workspace_id: str, environment: str,
                               changes: Sequence[tuple[str, dict[str, Any] | None, Sequence[Event]]],
                               arm_states: notification_repo.StoredArmStates) -> int | None:
        """The epoch read together with the customer's re-arm states (one round trip instead of two) when one
        customer changed and, as the cached listening set says, a notification with a condition listens to its
        events (or a reset re-arms): a hint only, the epoch read decides which set applies; a wrong guess costs
        a read (the states unused) or leaves them to be read on first use, as without it. None: not read."""
        cached = self._cache.get(workspace_id)
        if len(changes) != 1 or cached is None or cached.empty:
            return None
        customer_id, _, events = changes[0]
        if any(event.resets_meter or (environment, event.type) in cached.conditioned for event in events):
            return arm_states.load_with_epoch(customer_id, workspace_id)
        return None

    def _record_problems_now(self, problems: list[Problem]) -> None:
        try:
            self._store.run(lambda uow: _record_problems(uow, problems), write=True)
        except Exception:  # counting an error must never fail the change that met it (already committed)
            log.exception("could not record %d notification problems", len(problems))

    def _record_after_commit(self, uow: UnitOfWork, problems: list[Problem]) -> None:
        """Failures are counted on their segment or notification in a transaction of their own once the change
        has committed: inside it, every usage call meeting a broken segment would queue on that segment's row."""
        if problems:
            recorded = list(problems)
            uow.after_commit(lambda: self._record_problems_now(recorded))

    # ------------------------------------------------------------------ segment edits and the sweep

    def seed_membership(self, workspace_id: str, segment_id: str) -> None:
        """Record a newly watched segment's members as they are, without events (being in a segment when a
        notification starts watching it is not entering it)."""
        self.reconcile(workspace_id, segment_id, cause="seed", emit=False)

    def reconcile(self, workspace_id: str, segment_id: str, *, cause: str, emit: bool = True) -> ChangeOutcome:
        """Bring the stored membership of a watched segment in line with its condition now, in both
        environments: those who entered or left (through an edit, or because time passed) raise
        segment-entered / -exited, decided like any other event. A batch of customers per transaction, their
        rows locked (a concurrent change of the same customer waits); ``cause`` makes the event ids."""
        total = ChangeOutcome()
        with self._store.transaction() as uow:
            listening = self.listening(uow, workspace_id)
        segment = listening.segments.get(segment_id)
        if segment is None:
            return total
        for environment in ENVIRONMENTS:
            if all(watched.id != segment_id for watched in listening.watched.get(environment, ())):
                continue
            environment_id = self._store.environment_record(workspace_id, environment).id
            after: str | None = None
            while True:
                after, outcome = self._store.run(
                    functools.partial(self._reconcile_batch, workspace_id=workspace_id, environment=environment,
                                      environment_id=environment_id, segment=segment, after=after, cause=cause,
                                      emit=emit),
                    write=True,
                )
                total.events.extend(outcome.events)
                total.deliveries.extend(outcome.deliveries)
                total.problems.extend(outcome.problems)
                if after is None:
                    break
        return total

    def _reconcile_batch(self, uow: UnitOfWork, *, workspace_id: str, environment: str, environment_id: int,
                         segment: SegmentRef, after: str | None, cause: str,
                         emit: bool = True) -> tuple[str | None, ChangeOutcome]:
        rows = notification_repo.lock_customer_page(session=uow.session, environment_id=environment_id,
                                                    after=after, limit=RECONCILE_BATCH)
        ids = [row["id"] for row in rows]
        memberships = notification_repo.StoredMemberships(uow.session, environment_id)
        policy = uow.live_policy(environment_id)
        member_since = memberships.of_segment(segment.id, ids)
        # members whose customer no longer exists (removed while nobody watched) leave too
        gone = memberships.gone(segment.id, after, ids[-1] if len(ids) == RECONCILE_BATCH else None)
        changes: list[tuple[str, dict[str, Any] | None, list[Event]]] = []
        problems: list[Problem] = []
        try:
            results = list(segment_engine.evaluate_many(segment.condition, rows, policy)) if rows else []
        except Exception as exc:  # the condition does not compile: membership stays as it was
            problems.append(Problem("segment_failed", "", cause, str(exc), segment.id))
            results = []
        by_id = {row["id"]: row for row in rows}
        for customer_id, matched, error in results:
            if error is not None:
                problems.append(Problem("segment_failed", "", cause, error, segment.id))
                continue
            was = customer_id in member_since
            if matched == was:
                continue
            changes.append((customer_id, by_id[customer_id],
                            [self._membership_event(matched, cause, environment, customer_id, segment, uow.now)]))
            if matched:
                memberships.enter(environment, segment.id, customer_id, uow.now)
            else:
                memberships.exit(environment, segment.id, customer_id)
        for customer_id in gone:
            changes.append((customer_id, None,
                            [self._membership_event(False, cause, environment, customer_id, segment, uow.now)]))
            memberships.exit(environment, segment.id, customer_id)
        outcome = ChangeOutcome(problems=problems)
        if changes and emit:
            outcome = self.after_changes(uow, workspace_id=workspace_id, environment=environment,
                                         environment_id=environment_id, policy=policy, changes=changes,
                                         membership=False)
            outcome.problems.extend(problems)
        self._record_after_commit(uow, problems)
        return (ids[-1] if len(ids) == RECONCILE_BATCH else None), outcome

    @staticmethod
    def _membership_event(entered: bool, cause: str, environment: str, customer_id: str, segment: SegmentRef,
                          at: int) -> Event:
        cls = SegmentEntered if entered else SegmentExited
        payload = {"segment": {"id": segment.id, "name": segment.name}, "customer": customer_id, "since": at,
                   "cause": cause}
        return cls(id="evt_" + stable_digest(cls.type, cause, segment.id, customer_id), environment=environment,
                   customer_id=customer_id, at=at, payload=payload, segment_id=segment.id,
                   segment_name=segment.name)

    def sweep(self, *, now: int | None = None) -> ChangeOutcome:
        """Reconcile every watched segment of every workspace (time-dependent conditions change by themselves)."""
        total = ChangeOutcome()
        with self._store.transaction() as uow:
            workspaces = notification_repo.workspace_ids(session=uow.session)
        at = self._store.now() if now is None else now
        for workspace_id in workspaces:
            with self._store.transaction() as uow:
                listening = self.listening(uow, workspace_id)
            ids = sorted({s.id for refs in listening.watched.values() for s in refs})
            for segment_id in ids:
                outcome = self.reconcile(workspace_id, segment_id, cause=f"sweep:{at}")
                total.events.extend(outcome.events)
                total.deliveries.extend(outcome.deliveries)
                total.problems.extend(outcome.problems)
        return total

    def segment_changed(self, workspace_id: str, segment_id: str, version: int | None) -> ChangeOutcome:
        """A segment was edited, restored or deleted: stale caches go, and its watched membership follows."""
        def bump(uow: UnitOfWork) -> None:
            notification_repo.bump_epoch(session=uow.session, workspace_id=workspace_id)
            if version is None:  # deleted: nobody is in it any more, and nobody is told (it never fires again)
                notification_repo.forget_memberships(session=uow.session, segment_id=segment_id)

        self._store.run(bump, write=True)
        if version is None:
            return ChangeOutcome()
        return self.reconcile(workspace_id, segment_id, cause=f"edit:{segment_id}@{version}")


def _record_problems(uow: UnitOfWork, problems: Iterable[Problem]) -> None:
    """A failing segment counts on the segment, a failing condition or a deleted segment on the notification."""
    segment_errors: dict[str, tuple[int, str]] = {}
    notification_errors: dict[str, tuple[int, str]] = {}
    for problem in problems:
        if problem.kind == "segment_failed" and problem.segment_id:
            count, _ = segment_errors.get(problem.segment_id, (0, ""))
            segment_errors[problem.segment_id] = (count + 1, problem.message)
        if problem.notification_id:
            count, _ = notification_errors.get(problem.notification_id, (0, ""))
            notification_errors[problem.notification_id] = (count + 1, f"{problem.kind}: {problem.message}")
    for segment_id, (count, message) in segment_errors.items():
        segment_repo.record_segment_error(session=uow.session, segment_id=segment_id, error=message, now=uow.now,
                                          count=count)
    for notification_id, (count, message) in notification_errors.items():
        notification_repo.record_notification_error(session=uow.session, notification_id=notification_id,
                                                    error=message, now=uow.now, count=count)


_SEQUENCE = itertools.count()
_SEQUENCE_LOCK = threading.Lock()


def next_event_id(at: int) -> str:
    """``evt_`` + 12 hex digits of the time + a process-wide sequence + random: unique, and in this process in
    the order raised even within one millisecond (the event log lists by time, then id)."""
    with _SEQUENCE_LOCK:
        sequence = next(_SEQUENCE) & 0xFFFFFF
    return f"evt_{at & 0xFFFFFFFFFFFF:012x}{sequence:06x}{os.urandom(3).hex()}"


def collector(environment: str, uow: UnitOfWork) -> EventCollector:
    """The subscriber that collects a change's typed events (at the unit's time, ids in order)."""
    return EventCollector(environment, clock=lambda: uow.now, ids=next_event_id)


def synthetic_event(event_type: str, payload: Mapping[str, Any], *, environment: str, at: int) -> Event:
    """A typed event for a change the policy engine does not announce (a customer set or removed through the
    store), in the engine's format."""
    event = from_policy(event_type, payload, environment=environment, at=at, id=next_event_id(at))
    assert event is not None, event_type
    return event


_DECIDERS: weakref.WeakKeyDictionary[Store, Decider] = weakref.WeakKeyDictionary()
_DECIDERS_LOCK = threading.Lock()


def decider_for(store: Store) -> Decider:
    """The store's one decider in this process (its caches are shared by every service over the store)."""
    with _DECIDERS_LOCK:
        found = _DECIDERS.get(store)
        if found is None:
            found = _DECIDERS[store] = Decider(store)
        return found


def notification_references(store: Store, workspace_id: str, segment_id: str,
                            uow: UnitOfWork | None = None) -> list[dict[str, Any]]:
    """The segment's references by notifications: ``{"type": "notification", "environment", "id", "name"}``
    (read inside ``uow`` when given, so a delete checks and deletes in one transaction)."""
    if uow is None:
        with store.transaction() as own:
            return notification_references(store, workspace_id, segment_id, own)
    found = notification_repo.notifications_of_segment(session=uow.session, workspace_id=workspace_id,
                                                       segment_id=segment_id)
    return [{"type": "notification", "environment": s.notification.environment, "id": s.notification.id,
             "name": s.notification.name} for s in found]
