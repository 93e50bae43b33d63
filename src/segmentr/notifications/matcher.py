"""Which notifications an event fires, and the deliveries to write for them (pure: no storage, no I/O).

For each enabled notification listening to the event's type in its environment: the segment is evaluated for
the event's customer on the state after the change, with the live policy (a deleted segment never matches and
is flagged; for segment-entered / -exited the scope is the segment entered or left); then the optional condition over ``event``, ``customer``, ``data`` and ``policy``, through re-arm.
A failing segment or condition does not fire; it is reported in ``Decision.problems`` for recording, never
raised. The caller runs this inside the change's transaction and writes ``Decision.deliveries`` to the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from segmentr.notifications.deliveries import Delivery, SegmentRef, iso_time, webhook_body
from segmentr.notifications.events import CustomerRemoved, Event, SegmentEntered, SegmentExited
from segmentr.notifications.model import Notification
from segmentr.notifications.rearm import ArmStates, RearmKey, step
from segmentr.policy.vocabulary import NOTIFICATION_BINDINGS
from segmentr.stof import Condition, StofError, compile

if TYPE_CHECKING:
    from segmentr.policy import Policy

__all__ = ["CompiledConditions", "Decision", "Problem", "condition_bindings", "decide"]

ProblemKind = Literal["segment_deleted", "segment_failed", "condition_failed"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a notification did not fire for an event although it listens to it: to record on the notification
    (``condition_failed``, ``segment_deleted``) or the segment (``segment_failed``)."""

    kind: ProblemKind
    notification_id: str
    event_id: str
    message: str
    segment_id: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The deliveries to write (in notification, then channel order), who fired, and what failed."""

    deliveries: list[Delivery] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class CompiledConditions:
    """Compiled notification conditions keyed by source text (a notification's new version with the same
    condition reuses it); a condition that fails to compile is remembered too, so it is not parsed per event."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: dict[str, Condition | StofError] = {}
        self._max = max_entries

    def get(self, source: str) -> Condition | StofError:
        entry = self._entries.get(source)
        if entry is None:
            try:
                entry = compile(source, NOTIFICATION_BINDINGS)
            except StofError as exc:
                entry = exc
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[source] = entry
        return entry


_DEFAULT_CONDITIONS = CompiledConditions()


def condition_bindings(event: Event, customer: Mapping[str, Any] | None, policy_view: Any) -> dict[str, Any]:
    """The variables of a notification condition: ``event`` (the payload ``data.event`` carries), ``customer``
    (after the change), ``data`` (its metadata) and ``policy`` (the live policy bound to that customer)."""
    return {
        "event": event.payload,
        "customer": customer,
        "data": None if customer is None else customer.get("metadata"),
        "policy": policy_view,
    }


class _Context:
    """Per-event memo: each segment is evaluated at most once, the policy view made at most once."""

    def __init__(self, event: Event, customer: dict[str, Any] | None, policy: Policy,
                 conditions: CompiledConditions) -> None:
        self.event = event
        self.customer = customer
        self.policy = policy
        self.conditions = conditions
        self._segments: dict[str, tuple[bool, str | None]] = {}
        self._view: Any = None
        self._timestamp: str | None = None

    def segment(self, ref: SegmentRef) -> tuple[bool, str | None]:
        """(matched, error) of the segment for the event's customer (as ``segmentr.segments.evaluate`` says:
        a failure is a non-match with its message), with the one policy view of this event."""
        hit = self._segments.get(ref.id)
        if hit is None:
            if self.customer is None:
                hit = (False, "the event's customer does not exist")
            else:
                hit = _holds(self.conditions.get(ref.condition), self)
            self._segments[ref.id] = hit
        return hit

    @property
    def timestamp(self) -> str:
        if self._timestamp is None:
            self._timestamp = iso_time(self.event.at)
        return self._timestamp

    def view(self) -> Any:
        if self._view is None:
            customers = {} if self.customer is None else {self.customer["id"]: self.customer}
            self._view = self.policy.with_customers(customers).view()
        return self._view


def decide(
    event: Event,
    *,
    customer: dict[str, Any] | None,
    policy: Policy,
    notifications: Iterable[Notification],
    segments: Mapping[str, SegmentRef],
    arm_states: ArmStates,
    now: int,
    conditions: CompiledConditions | None = None,
) -> Decision:
    """Decide one event. ``customer`` is its state after the change (None if it no longer exists: for
    customer-removed the removed state in the payload is used);
    ``segments`` the workspace's segments by id (an id missing there is a deleted segment)."""
    compiled = conditions or _DEFAULT_CONDITIONS
    if customer is None and isinstance(event, CustomerRemoved):
        customer = dict(event.payload)  # the customer as it was when removed: segments still say who it was
    entitlement = event.entitlement or ""
    if event.resets_meter:
        arm_states.rearm(event.customer_id, entitlement, event.at)
    context = _Context(event, customer, policy, compiled)
    decision = Decision()
    for notification in notifications:
        if not notification.enabled or not notification.listens(event.type, event.environment):
            continue
        segment: SegmentRef | None = None
        if notification.segment is not None:
            segment = segments.get(notification.segment)
            if segment is None:
                decision.problems.append(Problem("segment_deleted", notification.id, event.id,
                                                 f"segment {notification.segment} no longer exists",
                                                 notification.segment))
                continue
            if isinstance(event, SegmentEntered | SegmentExited):
                # entering or leaving is about one segment: the scope is that segment, not a new evaluation
                # (a customer who just left would never match the segment it left)
                if event.segment_id != segment.id:
                    continue
                matched, error = True, None
            else:
                matched, error = context.segment(segment)
            if error is not None:
                decision.problems.append(Problem("segment_failed", notification.id, event.id, error, segment.id))
                continue
            if not matched:
                continue
        if notification.condition is not None:
            holds, failure = _holds(compiled.get(notification.condition), context, with_event=True)
            if failure is not None:
                decision.problems.append(Problem("condition_failed", notification.id, event.id, failure,
                                                 None if segment is None else segment.id))
                continue
            key = RearmKey(notification.id, event.customer_id, entitlement)
            fires, state = step(arm_states.get(key), event_id=event.id, condition=holds, at=event.at)
            if state is not None:
                arm_states.put(key, state)
            if not fires:
                continue
        body = webhook_body(event, notification, segment, customer, timestamp=context.timestamp)
        decision.fired.append(notification.id)
        for index, channel in enumerate(notification.channels):
            if getattr(channel, "disabled", False):
                continue
            decision.deliveries.append(Delivery.decide(event, notification, index, body=body, now=now))
    return decision


def _holds(condition: Condition | StofError, context: _Context, *, with_event: bool = False) -> tuple[bool, str | None]:
    """(truth, None) of a segment's or notification's condition for the event, or (False, why it failed)."""
    if isinstance(condition, StofError):
        return False, f"the condition does not compile: {condition}"
    try:
        if with_event:
            return condition.matches(condition_bindings(context.event, context.customer, context.view())), None
        return condition.matches_customer(context.customer, context.view()), None
    except Exception as exc:  # a runtime error or exhausted budget is this event's non-match, reported
        return False, str(exc) if isinstance(exc, StofError) else f"internal error: {type(exc).__name__}: {exc}"
