"""In-app alert states: New → Seen → Resolved, never back."""

from __future__ import annotations

import pytest

from segmentr.notifications import Alert, AlertDetail, AlertState, AlertTransitionInvalid, advance


def alert() -> Alert:
    return Alert(id="alr_1", environment="live", kind="notification", title="t", message="m", customer_id="acme",
                 event_type="meter-overage", notification_id="ntf_1", delivery_id="dlv_1", detail=AlertDetail(),
                 created_at=1)


def test_new_seen_resolved() -> None:
    seen = advance(alert(), AlertState.SEEN, 5)
    assert (seen.state, seen.seen_at) == (AlertState.SEEN, 5)
    resolved = advance(seen, AlertState.RESOLVED, 9)
    assert (resolved.state, resolved.seen_at, resolved.resolved_at) == (AlertState.RESOLVED, 5, 9)
    assert advance(resolved, AlertState.RESOLVED, 10) is resolved


def test_resolving_a_new_alert_marks_it_seen_too() -> None:
    resolved = advance(alert(), AlertState.RESOLVED, 7)
    assert (resolved.seen_at, resolved.resolved_at) == (7, 7)


@pytest.mark.parametrize(("start", "to"), [(AlertState.SEEN, AlertState.NEW), (AlertState.RESOLVED, AlertState.NEW),
                                           (AlertState.RESOLVED, AlertState.SEEN)])
def test_no_way_back(start: AlertState, to: AlertState) -> None:
    current = alert() if start is AlertState.NEW else advance(alert(), start, 2)
    with pytest.raises(AlertTransitionInvalid):
        advance(current, to, 3)
