"""segment-entered / segment-exited: the decision from a customer's previous and new membership (pure).

Only segments that a notification listening to these events references are watched (``watched_segments``);
their membership is kept by the store (``Memberships``, the one cache this product keeps: it is the
"before" that an enter/exit needs). After each change the watched segments are evaluated for the customer;
a segment that fails to evaluate leaves membership as it was (no event) and is reported. A removed customer
leaves every segment it was in. Event ids derive from the cause, so a replayed change yields the same events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from segmentr.notifications.deliveries import SegmentRef, stable_digest
from segmentr.notifications.events import Event, SegmentEntered, SegmentExited
from segmentr.notifications.matcher import Problem
from segmentr.notifications.model import Notification
from segmentr.segments import evaluate

if TYPE_CHECKING:
    from segmentr.policy import Policy

__all__ = ["MembershipDecision", "Memberships", "membership_changes", "watched_segments"]

_MEMBERSHIP_EVENTS = frozenset({SegmentEntered.type, SegmentExited.type})


class Memberships(Protocol):
    """Membership of watched segments (segment, environment, customer, since), kept by ``segmentr.store``."""

    def of(self, environment: str, customer_id: str) -> Mapping[str, int]:
        """The watched segments the customer is in: segment id -> since (epoch ms)."""
        ...

    def enter(self, environment: str, segment_id: str, customer_id: str, since: int) -> None: ...

    def exit(self, environment: str, segment_id: str, customer_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class MembershipDecision:
    """Who entered and left, as events to decide like any other, plus the segments that failed."""

    events: list[Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def watched_segments(notifications: Iterable[Notification], environment: str) -> set[str]:
    """The segment ids whose membership the environment keeps: those that enabled notifications listening to
    segment-entered or segment-exited are scoped to."""
    return {
        n.segment for n in notifications
        if n.enabled and n.segment is not None and n.environment in (environment, "both")
        and _MEMBERSHIP_EVENTS.intersection(n.events)
    }


def _event(cls: type[SegmentEntered] | type[SegmentExited], cause_id: str, environment: str, customer_id: str,
           segment: SegmentRef, at: int) -> Event:
    payload = {"segment": {"id": segment.id, "name": segment.name}, "customer": customer_id, "since": at,
               "cause": cause_id}
    return cls(id="evt_" + stable_digest(cls.type, cause_id, segment.id), environment=environment,
               customer_id=customer_id, at=at, payload=payload, segment_id=segment.id, segment_name=segment.name)


def membership_changes(
    *,
    environment: str,
    customer_id: str,
    customer: dict[str, Any] | None,
    policy: Policy,
    watched: Iterable[SegmentRef],
    previous: Mapping[str, int],
    cause_id: str,
    at: int,
    memberships: Memberships | None = None,
) -> MembershipDecision:
    """Compare the customer's membership of each watched segment before (``previous``) and after the change.

    ``customer`` None means it was removed: it exits every segment it was in. With ``memberships`` the new
    membership is written through it. ``cause_id`` is the id of the event (or edit, or sweep) that caused it.
    """
    decision = MembershipDecision()
    for segment in watched:
        was = segment.id in previous
        if customer is None:
            now = False
        else:
            try:
                result = evaluate(segment.condition, customer, policy)
            except Exception as exc:  # a segment that does not compile: membership stays as it was
                decision.problems.append(Problem("segment_failed", "", cause_id, str(exc), segment.id))
                continue
            if result.error is not None:
                decision.problems.append(Problem("segment_failed", "", cause_id, result.error, segment.id))
                continue
            now = result.matched
        if now == was:
            continue
        cls = SegmentEntered if now else SegmentExited
        decision.events.append(_event(cls, cause_id, environment, customer_id, segment, at))
        if memberships is not None:
            if now:
                memberships.enter(environment, segment.id, customer_id, at)
            else:
                memberships.exit(environment, segment.id, customer_id)
    return decision
