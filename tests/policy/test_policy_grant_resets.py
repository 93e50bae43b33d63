"""Topup grants over time (reset modes, rollover bounds, caps, expiry) and included topups with scopes (§1.7)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_example import FakeClock

from segmentr.policy import Policy, PolicyDocumentError

DAY = 86_400_000


def _policy(clock: FakeClock, **topup: Any) -> Policy:
    """One plan whose soft limit of 0 sends all usage to a daily-resetting included grant of 100."""
    settings = {"credit": "tok", "value": 100, "included": True, "resets": True, "reset_inc": "1days", **topup}
    return Policy.from_document({"policy": {
        "credits": {"tok": {"label": "Token"}},
        "plans": {"p": {"default": True,
                        "entitlements": {"chat": {"limit": {"credit": "tok", "mode": "soft", "value": 0}}},
                        "topups": {"pack": settings}}}}}, clock=clock)


def _grant(policy: Policy, customer: str = "c") -> dict[str, Any]:
    (grant,) = policy.customer(customer)["grants"].values()
    return grant


def _use_70_then_wait(policy: Policy, clock: FakeClock, periods: int) -> None:
    policy.create_customer("c")
    assert policy.allow("c", "chat", 70)
    assert policy.credit_remaining("c", "tok") == 30
    clock.advance(periods * DAY + 1)


def test_hard_reset_goes_back_to_the_value(clock: FakeClock) -> None:
    policy = _policy(clock, reset_mode="hard")
    _use_70_then_wait(policy, clock, 3)
    granted = _grant(policy)["granted_on"]
    assert policy.credit_remaining("c", "tok") == 100  # a read shows the pending reset
    assert _grant(policy)["value"] == 30  # ...without applying it
    policy.allow("c", "chat", 0)  # metering syncs grants
    assert _grant(policy)["value"] == 100
    assert _grant(policy)["last_reset"] == granted + 3 * DAY


def test_no_reset_before_the_period_ends(clock: FakeClock) -> None:
    policy = _policy(clock, reset_mode="hard")
    policy.create_customer("c")
    policy.allow("c", "chat", 70)
    clock.advance(DAY)  # exactly one period: the reset is due only once it has passed
    policy.allow("c", "chat", 0)
    assert _grant(policy)["value"] == 30


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, 30 + 3 * 100),
    ({"max_balance": 250}, 250),
    ({"reset_catchup_cap": 2}, 30 + 2 * 100),
    ({"reset_catchup_cap": 0}, 30 + 100),  # a due reset always happens once
])
def test_add_mode_catches_up_every_missed_period(clock: FakeClock, settings: dict[str, Any],
                                                  expected: float) -> None:
    policy = _policy(clock, reset_mode="add", **settings)
    _use_70_then_wait(policy, clock, 3)
    assert policy.credit_remaining("c", "tok") == expected
    policy.allow("c", "chat", 0)
    assert _grant(policy)["value"] == expected


@pytest.mark.parametrize(("settings", "periods", "expected"), [
    ({"rollover_pct": 0.5}, 1, 15 + 100),
    ({"rollover_pct": 0.5}, 2, (15 + 100) * 0.5 + 100),
    ({"pct": 0.5}, 1, 115),  # the spec's short name
    ({}, 1, 130),  # no pct: everything rolls over
    ({"rollover_pct": 0.5, "rollover_min": 20}, 1, 120),  # 15 carried, raised to 20
    ({"rollover_pct": 1, "rollover_max": 10}, 1, 110),  # 30 carried, lowered to 10
    ({"rollover_pct": 0.5, "rollover_min": 20, "rollover_max": 40}, 2, 140),  # 120 -> 60 -> 40 carried
    ({"rollover_pct": 1, "max_balance": 150}, 2, 150),  # 130, then 230 capped
    ({"rollover_pct": 0.5, "reset_catchup_cap": 1}, 5, 115),
])
def test_rollover_mode(clock: FakeClock, settings: dict[str, Any], periods: int, expected: float) -> None:
    policy = _policy(clock, reset_mode="rollover", **settings)
    _use_70_then_wait(policy, clock, periods)
    assert policy.credit_remaining("c", "tok") == pytest.approx(expected)
    policy.allow("c", "chat", 0)
    assert _grant(policy)["value"] == pytest.approx(expected)


def test_a_spent_resetting_grant_stays_and_refills(clock: FakeClock, ) -> None:
    policy = _policy(clock, reset_mode="hard")
    policy.create_customer("c")
    assert policy.allow("c", "chat", 150)  # 100 from the grant, 50 overage
    assert _grant(policy)["value"] == 0
    clock.advance(DAY + 1)
    assert policy.credit_remaining("c", "tok") == 100
    assert policy.remaining("c", "chat") == 100  # grants extend the limit: max(150, 0) + 100 − 150


def test_a_spent_bought_grant_is_deleted(clock: FakeClock) -> None:
    policy = _policy(clock, included=False, resets=False, reset_inc=None)
    policy.create_customer("c")
    assert policy.apply_customer_topup("c", "pack")
    policy.allow("c", "chat", 100)
    assert policy.customer("c")["grants"] == {}


def test_calendar_reset_counts_boundaries(clock: FakeClock) -> None:
    policy = _policy(clock, reset_mode="add", reset_inc=None, reset_sch="monthly:1")
    policy.create_customer("c")  # 2026-01-11
    policy.allow("c", "chat", 70)
    clock.now = 1_772_668_800_000  # 2026-03-05: Feb 1 and Mar 1 passed
    policy.allow("c", "chat", 0)
    grant = _grant(policy)
    assert grant["value"] == 230
    assert grant["last_reset"] == 1_772_323_200_000  # 2026-03-01T00:00Z


def test_expires_after(clock: FakeClock) -> None:
    policy = _policy(clock, expires_after="2days", resets=False, reset_inc=None)
    policy.create_customer("c")
    assert _grant(policy)["expires_on"] == clock.now + 2 * DAY
    clock.advance(2 * DAY - 1)
    assert policy.credit_remaining("c", "tok") == 100
    clock.advance(1)
    assert policy.credit_remaining("c", "tok") == 0  # expired: no longer counted
    assert policy.allow("c", "chat", 5)
    assert policy.customer("c")["grants"] == {}  # and removed on the next metering call


def test_expiring_resetting_grant_does_not_come_back(clock: FakeClock) -> None:
    policy = _policy(clock, reset_mode="hard", expires_after=36 * 3_600_000)
    _use_70_then_wait(policy, clock, 2)
    assert policy.credit_remaining("c", "tok") == 0
    policy.allow("c", "chat", 0)
    assert policy.customer("c")["grants"] == {}


def test_rollover_bounds_in_units(clock: FakeClock) -> None:
    policy = Policy.from_document({"policy": {
        "credits": {"mb": {"stof_units": "MB"}},
        "plans": {"p": {"default": True,
                        "entitlements": {"disk": {"limit": {"credit": "mb", "mode": "soft", "value": 0}}},
                        "topups": {"pack": {"credit": "mb", "value": "1GB", "included": True, "resets": True,
                                            "reset_inc": "1days", "reset_mode": "rollover",
                                            "rollover_pct": 1, "rollover_max": "0.5GB"}}}}}}, clock=clock)
    policy.create_customer("c")
    clock.advance(DAY + 1)
    assert policy.credit_remaining("c", "mb") == 1500  # 1000 MB carried, capped at 500, plus 1000


def test_invalid_topup_reset_settings_are_listed() -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        Policy.from_document({"policy": {
            "credits": {"tok": {}},
            "plans": {"p": {"topups": {"pack": {"credit": "tok", "value": 1, "reset_mode": "double",
                                                "rollover_pct": -1, "rollover_min": "lots"}}}}}})
    problems = caught.value.messages
    assert "plans.p.topups.pack.reset_mode: expected one of hard, add, rollover" in problems
    assert "plans.p.topups.pack.rollover_pct: must be >= 0" in problems
    assert any(p.startswith("plans.p.topups.pack.rollover_min: expected a number") for p in problems)


def _scoped_policy(clock: FakeClock) -> Policy:
    return Policy.from_document({"policy": {
        "credits": {"tok": {}},
        "plans": {
            "team": {"default": True,
                     "entitlements": {"chat": {"limit": {"credit": "tok", "mode": "soft", "value": 0}}},
                     "topups": {"org_pack": {"credit": "tok", "value": 500, "included": True,
                                             "included_scopes": ["org"]},
                                "everyone": {"credit": "tok", "value": 10, "included": True},
                                "bought": {"credit": "tok", "value": 1000}}},
            "big": {"entitlements": {"chat": {"limit": {"credit": "tok", "mode": "soft", "value": 0}}},
                    "topups": {"big_pack": {"credit": "tok", "value": 50, "included": True}}}}}}, clock=clock)


def _topups(policy: Policy, customer: str) -> list[str]:
    return sorted(g["topup"] for g in policy.customer(customer)["grants"].values())


def test_included_topups_follow_included_scopes(clock: FakeClock) -> None:
    policy = _scoped_policy(clock)
    policy.create_customer("u", type="user")
    policy.create_customer("o", type="org")
    assert _topups(policy, "u") == ["everyone"]
    assert _topups(policy, "o") == ["everyone", "org_pack"]
    assert policy.credit_remaining("o", "tok") == 510


def test_ensure_included_topups_is_idempotent(clock: FakeClock) -> None:
    policy = _scoped_policy(clock)
    events: list[str] = []
    policy.subscribe(lambda name, payload: events.append(name))
    policy.create_customer("u")
    events.clear()
    assert policy.ensure_included_topups("u") is True
    assert events == [] and _topups(policy, "u") == ["everyone"]
    assert policy.ensure_included_topups("nobody") is False


def test_included_topups_after_a_plan_change(clock: FakeClock) -> None:
    policy = _scoped_policy(clock)
    events: list[str] = []
    policy.create_customer("u")
    policy.subscribe(lambda name, payload: events.append(name))
    assert policy.set_customer_plan("u", "big")
    assert _topups(policy, "u") == ["everyone"]  # a plan change grants nothing by itself
    assert policy.ensure_included_topups("u")
    assert events[-1] == "customer-set"
    assert _topups(policy, "u") == ["big_pack", "everyone"]
    assert policy.credit_remaining("u", "tok") == 60  # reads pool every grant, as the reference does
    policy.allow("u", "chat", 0)
    assert _topups(policy, "u") == ["big_pack"]  # metering drops the grant whose topup left the plan


def test_included_topups_when_the_type_changes(clock: FakeClock) -> None:
    policy = _scoped_policy(clock)
    policy.create_customer("x", type="user")
    policy.create_customer("x", type="org")  # an existing id is updated in place
    assert _topups(policy, "x") == ["everyone"]
    policy.ensure_included_topups("x")
    assert _topups(policy, "x") == ["everyone", "org_pack"]
