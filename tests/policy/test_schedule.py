"""Resets: reset_inc periods and every reset_sch schedule, in UTC, under a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from segmentr.policy import Policy, parse_schedule
from segmentr.policy.schedule import DAY_MS, pending_period_start


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def ms(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(("schedule", "now", "latest", "following"), [
    ("monthly:1", ms(2026, 1, 31, 23), ms(2026, 1, 1), ms(2026, 2, 1)),
    ("monthly:31", ms(2026, 2, 15), ms(2026, 1, 31), ms(2026, 2, 28)),
    ("monthly:30", ms(2026, 3, 1), ms(2026, 2, 28), ms(2026, 3, 30)),
    ("monthly:last", ms(2024, 3, 1), ms(2024, 2, 29), ms(2024, 3, 31)),
    ("monthly:last", ms(2025, 3, 1), ms(2025, 2, 28), ms(2025, 3, 31)),
    ("monthly:last", ms(2025, 2, 20), ms(2025, 1, 31), ms(2025, 2, 28)),
    ("weekly:mon", ms(2026, 1, 7, 12), ms(2026, 1, 5), ms(2026, 1, 12)),
    ("weekly:mon", ms(2026, 1, 5), ms(2026, 1, 5), ms(2026, 1, 12)),
    ("nth_weekday:2:tue", ms(2026, 1, 20), ms(2026, 1, 13), ms(2026, 2, 10)),
    ("nth_weekday:1:fri", ms(2026, 1, 1), ms(2025, 12, 5), ms(2026, 1, 2)),
    ("yearly:2-29", ms(2025, 6, 1), ms(2025, 2, 28), ms(2026, 2, 28)),
    ("yearly:7-1", ms(2026, 7, 1), ms(2026, 7, 1), ms(2027, 7, 1)),
    ("quarterly:1", ms(2026, 3, 31, 23), ms(2026, 1, 1), ms(2026, 4, 1)),
    ("quarterly:15", ms(2026, 4, 14), ms(2026, 1, 15), ms(2026, 4, 15)),
])
def test_schedule_boundaries(schedule: str, now: int, latest: int, following: int) -> None:
    parsed = parse_schedule(schedule)
    assert parsed.latest_start(now) == latest
    assert parsed.next_start(now) == following


@pytest.mark.parametrize("text", ["monthly:0", "weekly:funday", "yearly:13-1", "hourly", "nth_weekday:6:mon"])
def test_bad_schedules(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_duration_period_start() -> None:
    inc = 30 * DAY_MS
    assert pending_period_start(0, inc, inc, None) is None
    assert pending_period_start(0, inc + 1, inc, None) == inc
    assert pending_period_start(0, 3 * inc + 5, inc, None) == 3 * inc


def _policy(limit: dict, clock: FakeClock) -> Policy:
    return Policy.from_document({"policy": {
        "credits": {"r": {}},
        "plans": {"p": {"default": True, "entitlements": {"e": {"limit": dict(limit, credit="r")}}}}}},
        clock=clock)


def test_allow_applies_a_pending_monthly_reset(recorded: list) -> None:
    clock = FakeClock(ms(2026, 1, 30))
    policy = _policy({"value": 5, "resets": True, "reset_sch": "monthly:1"}, clock)
    policy.create_customer("c")
    assert policy.allow("c", "e", 5)
    assert policy.allow("c", "e", 1) is False
    clock.now = ms(2026, 2, 1, 0, 0, 1)
    assert policy.value("c", "e") == 0  # a pending reset reads as 0 ...
    assert policy.customer("c")["meters"]["e"]["value"] == 5  # ... without touching the meter
    assert policy.resets("c", "e") == ms(2026, 3, 1)
    policy.subscribe(lambda name, payload: recorded.append(name))
    assert policy.allow("c", "e", 2)
    assert recorded == ["meter-reset", "meter-changed"]
    meter = policy.customer("c")["meters"]["e"]
    assert (meter["value"], meter["started"]) == (2, ms(2026, 2, 1))


def test_allow_applies_reset_even_when_denying() -> None:
    clock = FakeClock(ms(2026, 1, 1))
    policy = _policy({"value": 5, "resets": True, "reset_inc": "1day"}, clock)
    policy.create_customer("c")
    policy.allow("c", "e", 5)
    clock.advance(DAY_MS + 1)
    assert policy.allow("c", "e", 6) is False
    meter = policy.customer("c")["meters"]["e"]
    assert (meter["value"], meter["started"]) == (0, ms(2026, 1, 2))


def test_resets_default_to_thirty_days() -> None:
    clock = FakeClock(ms(2026, 1, 1))
    policy = _policy({"value": 5, "resets": True}, clock)
    assert policy.entitlement("p", "e")["limit"]["reset_inc"] == 30 * DAY_MS
    policy.create_customer("c")
    policy.allow("c", "e", 5)
    clock.advance(30 * DAY_MS)
    assert policy.value("c", "e") == 5
    clock.advance(1)
    assert policy.value("c", "e") == 0
    assert policy.check("c", "e", 5)


def test_without_resets_nothing_resets() -> None:
    clock = FakeClock(ms(2026, 1, 1))
    policy = _policy({"value": 5}, clock)
    policy.create_customer("c")
    policy.allow("c", "e", 5)
    clock.advance(400 * DAY_MS)
    assert policy.value("c", "e") == 5
    assert policy.resets("c", "e") is None
