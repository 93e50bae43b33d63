"""A notification condition reads `event` in both execution tiers (it used to be silently false)."""

from __future__ import annotations

import pytest

from segmentr.notifications.matcher import CompiledConditions


@pytest.mark.parametrize("optimized", [False, True])
def test_a_condition_over_the_event_matches_on_its_values(optimized: bool) -> None:
    condition = CompiledConditions().get("event.meter.value >= event.meter.limit * 0.8")
    assert not isinstance(condition, Exception)
    if optimized:
        condition = condition.optimize()
    over = {"event": {"meter": {"value": 90, "limit": 100}}, "customer": {"id": "c1"}, "data": None, "policy": None}
    under = {"event": {"meter": {"value": 10, "limit": 100}}, "customer": {"id": "c1"}, "data": None, "policy": None}
    assert condition.matches(over) is True
    assert condition.matches(under) is False
