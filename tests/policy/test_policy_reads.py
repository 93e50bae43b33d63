"""The §2.2 reads around the meter: meter_obj, rate, acceleration, projected_exhaustion, allowance, credits."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from policy_example import FakeClock

from segmentr.policy import Policy, PolicyView

DAY = 86_400_000


def _policy(clock: FakeClock, **limit: Any) -> Policy:
    return Policy.from_document({"policy": {
        "credits": {"tok": {"price": {"amount": 0.01}}, "gem": {}},
        "exchange": {"gem": {"value": 0.5, "currency": "rune"}},
        "plans": {"p": {"default": True, "entitlements": {
            "chat": {"limit": {"credit": "tok", "mode": "soft", "value": 1000, "resets": True,
                               "reset_inc": "1days", **limit}},
            "look": {"limit": {"credit": "tok", "mode": "observe", "value": 0}},
            "flag": {}}}}}}, clock=clock)


def _three_calls(policy: Policy, clock: FakeClock) -> None:
    """100 units, then 50 after 1000 ms, then 100 after 500 ms: interval rates 0.05 and 0.2 per ms."""
    policy.create_customer("c")
    assert policy.allow("c", "chat", 100)
    clock.advance(1000)
    assert policy.allow("c", "chat", 50)
    clock.advance(500)
    assert policy.allow("c", "chat", 100)


def test_rate_is_the_ewma_of_interval_rates(clock: FakeClock) -> None:
    policy = _policy(clock)
    policy.create_customer("c")
    policy.allow("c", "chat", 100)
    assert policy.rate("c", "chat") == 0  # one call: no interval yet
    clock.advance(1000)
    policy.allow("c", "chat", 50)
    assert policy.rate("c", "chat") == pytest.approx(0.05)  # seeded with the first sample
    clock.advance(500)
    policy.allow("c", "chat", 100)
    assert policy.rate("c", "chat") == pytest.approx(0.2 * 0.2 + 0.8 * 0.05)
    meter = policy.customer("c")["meters"]["chat"]
    assert [h["delta"] for h in meter["history"]] == [100, 50, 100]
    assert meter["ewma_rate"] == pytest.approx(0.08)


def test_history_keeps_three_and_same_ms_calls_leave_the_rate(clock: FakeClock) -> None:
    policy = _policy(clock)
    _three_calls(policy, clock)
    before = policy.rate("c", "chat")
    policy.allow("c", "chat", 7)  # same ms as the previous call: no interval to measure
    assert policy.rate("c", "chat") == before
    history = policy.customer("c")["meters"]["chat"]["history"]
    assert len(history) == 3 and history[-1]["delta"] == 7


def test_ewma_alpha_from_the_limit(clock: FakeClock) -> None:
    policy = _policy(clock, ewma_alpha=0.5)
    _three_calls(policy, clock)
    assert policy.rate("c", "chat") == pytest.approx(0.5 * 0.2 + 0.5 * 0.05)


def test_acceleration_between_the_last_two_intervals(clock: FakeClock) -> None:
    policy = _policy(clock)
    policy.create_customer("c")
    policy.allow("c", "chat", 100)
    clock.advance(1000)
    policy.allow("c", "chat", 50)
    assert policy.acceleration("c", "chat") == 0  # two entries: one interval
    clock.advance(500)
    policy.allow("c", "chat", 100)
    # r1 = 50/1000, r2 = 100/500; midpoints 1000 ms + 500 ms apart / 2 = 750 ms
    assert policy.acceleration("c", "chat") == pytest.approx((0.2 - 0.05) / 750)


def test_projected_exhaustion(clock: FakeClock) -> None:
    policy = _policy(clock)
    _three_calls(policy, clock)
    assert policy.remaining("c", "chat") == 750
    assert policy.projected_exhaustion("c", "chat") == clock.now + 9375  # 750 / 0.08
    assert policy.projected_exhaustion("c", "chat", True) == clock.now + 9375
    clock.advance(1000)
    policy.allow("c", "chat", 900)  # past the soft limit: nothing remains
    assert policy.projected_exhaustion("c", "chat") == clock.now


def test_no_rate_no_projection(clock: FakeClock) -> None:
    policy = _policy(clock)
    policy.create_customer("c")
    assert policy.projected_exhaustion("c", "chat") is None
    policy.allow("c", "chat", 10)
    clock.advance(100)
    policy.allow("c", "chat", -10)  # falling usage: rate < 0
    assert policy.rate("c", "chat") < 0
    assert policy.projected_exhaustion("c", "chat") is None


def test_denied_calls_record_nothing(clock: FakeClock) -> None:
    policy = _policy(clock, mode="hard")
    policy.create_customer("c")
    policy.allow("c", "chat", 10)
    clock.advance(10)
    assert policy.allow("c", "chat", 5000) is False
    meter = policy.customer("c")["meters"]["chat"]
    assert len(meter["history"]) == 1 and "ewma_rate" not in meter


def test_pending_reset_shows_on_reads_without_touching_the_meter(clock: FakeClock) -> None:
    policy = _policy(clock)
    _three_calls(policy, clock)
    live = policy.customer("c")["meters"]["chat"]
    started = live["started"]
    clock.advance(2 * DAY)
    assert policy.rate("c", "chat") == 0 and policy.acceleration("c", "chat") == 0
    assert policy.projected_exhaustion("c", "chat") is None
    view = policy.meter_obj("c", "chat")
    assert view["value"] == 0 and view["overhead"] == 0 and view["history"] == []
    assert view["started"] == started + 2 * DAY  # the latest period start (two periods passed)
    assert "ewma_rate" not in view
    assert live["value"] == 250 and live["started"] == started and len(live["history"]) == 3


def test_meter_obj_is_a_copy(clock: FakeClock) -> None:
    policy = _policy(clock)
    _three_calls(policy, clock)
    view = policy.meter_obj("c", "chat")
    assert view["value"] == 250 and view["credit"] == "tok" and len(view["history"]) == 3
    view["value"] = 0
    view["history"].clear()
    assert policy.value("c", "chat") == 250
    assert len(policy.customer("c")["meters"]["chat"]["history"]) == 3
    assert policy.meter_obj("c", "flag") is None
    assert policy.meter_obj("nobody", "chat") is None
    assert policy.meter_obj("c", "missing") is None


def test_allowance_without_a_governor_is_remaining(clock: FakeClock) -> None:
    policy = _policy(clock)
    _three_calls(policy, clock)
    assert policy.allowance("c", "chat") == policy.remaining("c", "chat") == 750
    assert policy.allowance("c", "look") is None
    assert policy.allowance("c", "flag") is None


def test_allowance_capped_by_governor_tokens(clock: FakeClock) -> None:
    policy = _policy(clock, mode="hard", governor_enabled=True, governor_capacity=10,
                     governor_refill_rate=0.001)
    policy.create_customer("c")
    assert policy.allowance("c", "chat") == 10  # no bucket state yet: full
    meter = policy.customer("c")["meters"]["chat"]
    meter.update(governor_tokens=3, governor_last_refill=clock.now - 1000)
    assert policy.allowance("c", "chat") == 4  # 3 + 1000 ms × 0.001
    clock.advance(100_000)
    assert policy.allowance("c", "chat") == 10  # refilled up to capacity
    policy.customer("c")["meters"]["chat"]["value"] = 995
    assert policy.allowance("c", "chat") == 5  # remaining is smaller


def test_reads_of_flags_and_observe(clock: FakeClock) -> None:
    policy = _policy(clock)
    policy.create_customer("c")
    for read in (policy.rate, policy.acceleration, policy.projected_exhaustion):
        assert read("c", "flag") is None
        assert read("nobody", "chat") is None
    policy.allow("c", "look", 5)
    clock.advance(10)
    policy.allow("c", "look", 5)
    assert policy.rate("c", "look") == pytest.approx(0.5)
    assert policy.projected_exhaustion("c", "look") is None  # observe: no remaining


def test_credit_reads(clock: FakeClock) -> None:
    policy = _policy(clock)
    policy.create_customer("c")
    assert policy.credit("tok")["price"] == {"amount": 0.01}
    assert policy.credit("nope") is None
    assert policy.credit_for("c", "chat")["price"] == {"amount": 0.01}
    assert policy.credit_for("c", "flag") is None
    assert policy.credit_exchange("gem", "rune", 4) == 2
    assert policy.credit_exchange("gem", "tok") == 50  # 0.5 runes at 0.01 per token
    assert policy.credit_exchange("tok", "gem", 50) == 1
    assert policy.credit_exchange("gem", "nope") is None


def test_view_exposes_the_reads_with_matching_arities(clock: FakeClock) -> None:
    policy = _policy(clock)
    _three_calls(policy, clock)
    view = policy.view()
    for name in ("allowance", "meter_obj", "rate", "acceleration", "projected_exhaustion", "credit",
                 "credit_for", "credit_exchange"):
        assert name in PolicyView.stof_methods
    for name, (low, high) in PolicyView.stof_methods.items():
        parameters = list(inspect.signature(getattr(view, name)).parameters.values())
        required = [p for p in parameters if p.default is inspect.Parameter.empty]
        assert (low, high) == (len(required), len(parameters)), name
    assert view.rate("c", "chat") == policy.rate("c", "chat")
    assert view.projected_exhaustion("c", "chat") == clock.now + 9375
    view.meter_obj("c", "chat")["value"] = -1
    assert policy.value("c", "chat") == 250
