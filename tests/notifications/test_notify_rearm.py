"""Re-arm and replay, as properties: one firing per crossing; a replayed event never fires again."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from notification_doubles import MemoryArmStates

from segmentr.notifications import ArmState, RearmKey, rearmed, step

KEY = RearmKey("ntf_1", "acme", "api")
# a run of events: (condition true?, meter reset before it?)
RUNS = st.lists(st.tuples(st.booleans(), st.booleans()), max_size=40)


def replay(run: list[tuple[bool, bool]], order: list[int]) -> list[str]:
    """Feed events (by index, repeats allowed) through the state; the ids of those that fired."""
    states = MemoryArmStates()
    fired = []
    for index in order:
        condition, reset = run[index]
        at = 1000 + index * 10
        if reset:
            states.rearm(KEY.customer_id, KEY.entitlement, at)
        fires, state = step(states.get(KEY), event_id=f"evt_{index}", condition=condition, at=at + 1)
        if state is not None:
            states.put(KEY, state)
        if fires:
            fired.append(f"evt_{index}")
    return fired


def crossings(run: list[tuple[bool, bool]]) -> list[str]:
    """The expected firings: a true condition that was false (or reset) just before."""
    expected, armed = [], True
    for index, (condition, reset) in enumerate(run):
        armed = armed or reset
        if condition and armed:
            expected.append(f"evt_{index}")
        armed = not condition
    return expected


@given(RUNS)
def test_fires_once_per_crossing(run: list[tuple[bool, bool]]) -> None:
    assert replay(run, list(range(len(run)))) == crossings(run)


@given(RUNS, st.data())
def test_replaying_recent_events_never_fires_again(run: list[tuple[bool, bool]], data: st.DataObject) -> None:
    order: list[int] = []
    for index in range(len(run)):
        order.append(index)
        # replays of any of the last few events, interleaved (a retried request, a redelivered batch)
        order.extend(data.draw(st.lists(st.integers(max(0, index - 8), index), max_size=3)))
    assert replay(run, order) == crossings(run)


def test_a_replayed_event_changes_nothing() -> None:
    fires, state = step(None, event_id="evt_1", condition=True, at=5)
    assert fires and state == ArmState(fired=True, since=5, seen=("evt_1",))
    assert step(state, event_id="evt_1", condition=False, at=9) == (False, None)


def test_a_reset_rearms_only_what_fired_before_it() -> None:
    state = ArmState(fired=True, since=100)
    assert rearmed(state, 200) == ArmState(fired=False, since=200)
    assert rearmed(state, 100) is state  # a firing at the reset's own time belongs to the new period
    assert rearmed(ArmState(fired=False, since=5), 200) == ArmState(fired=False, since=5)


def test_only_recent_event_ids_are_remembered() -> None:
    state = None
    for index in range(40):
        _, state = step(state, event_id=f"evt_{index}", condition=False, at=index)
    assert state is not None and len(state.seen) == 16 and state.seen[-1] == "evt_39"
