"""Re-arm: a notification with a condition fires once per crossing, not on every event past the line.

State is kept per (notification, customer, entitlement): the notification fires when its condition turns true,
stays quiet while it stays true, and re-arms when the condition turns false or the meter's period resets. An
event already seen for a key (the same event id, replayed) changes nothing and never fires. The transition is
a pure function; where the state lives is the ``ArmStates`` protocol's business (the store's table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["REMEMBERED_EVENTS", "ArmState", "ArmStates", "RearmKey", "rearmed", "step"]

# Event ids remembered per key to recognise a replay: a replay comes back within the same few calls (a retried
# request, a redelivered batch), never after dozens of newer events for the same customer and entitlement.
REMEMBERED_EVENTS = 16


@dataclass(frozen=True, slots=True)
class RearmKey:
    """Whose threshold: a notification, a customer, an entitlement ("" for events without one)."""

    notification_id: str
    customer_id: str
    entitlement: str


@dataclass(frozen=True, slots=True)
class ArmState:
    """``fired`` is true from a firing until the condition turns false or the meter resets (armed again).

    ``since`` is when ``fired`` last changed (epoch ms); ``seen`` the latest event ids decided for the key.
    """

    fired: bool = False
    since: int = 0
    seen: tuple[str, ...] = ()


class ArmStates(Protocol):
    """Re-arm state storage (implemented by ``segmentr.store`` in the change's transaction)."""

    def get(self, key: RearmKey) -> ArmState | None:
        """The key's state, or None if it never fired or was seen."""
        ...

    def put(self, key: RearmKey, state: ArmState) -> None:
        """Store the key's new state."""
        ...

    def rearm(self, customer_id: str, entitlement: str, at: int) -> None:
        """A meter period started at ``at``: every state of (customer, entitlement) that fired before ``at``
        is armed again (``rearmed``). Firings at or after ``at`` stay, so a replayed reset changes nothing."""
        ...


def step(state: ArmState | None, *, event_id: str, condition: bool, at: int) -> tuple[bool, ArmState | None]:
    """``(fires, new state)`` for one event whose condition evaluated to ``condition``.

    The new state is None when nothing changed (a replay): the caller writes nothing.
    """
    current = state or ArmState()
    if event_id in current.seen:
        return False, None
    seen = (*current.seen[-(REMEMBERED_EVENTS - 1):], event_id)
    fires = condition and not current.fired
    since = at if condition != current.fired else current.since
    return fires, ArmState(fired=condition, since=since, seen=seen)


def rearmed(state: ArmState, at: int) -> ArmState:
    """The state after a meter period that started at ``at`` (the rule ``ArmStates.rearm`` applies)."""
    if state.fired and state.since < at:
        return ArmState(fired=False, since=at, seen=state.seen)
    return state
