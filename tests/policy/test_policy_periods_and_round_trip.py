"""The §6 example over time: its document round trip, `reset_sch` periods and the meter-reset event of §3."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from policy_example import NOW, FakeClock, T, example_document

from segmentr.policy import Policy

JAN_31_END = 1_769_903_999_999  # 2026-01-31T23:59:59.999Z
FEB_1 = 1_769_904_000_000
MAR_1 = 1_772_323_200_000
DAY = 86_400_000
DECISIONS = {"meter-changed", "meter-overage", "meter-limit", "meter-governed"}
# Keys that loading adds as defaults (policy.md §1); every key of the source document keeps its value.
DEFAULT_KEYS = {
    "alt_ids", "caps", "default", "description", "exchange", "expires_after", "grants", "grants_apply",
    "hard_trailing", "hidden", "included", "included_scopes", "increment", "label", "limit", "max_balance",
    "minimum", "mode", "overhead_cost", "overrides", "period", "price", "pricing_model", "refs",
    "reset_catchup_cap", "reset_inc", "reset_mode", "reset_sch", "resets", "scope", "stof_units", "subscription",
    "tiers", "topups", "trial_period", "unit",
}
READS = [(c, e) for c in ("alice", "bob", "carol", "nobody") for e in ("api", "chat", "seats", "export_pdf")]


def _added_keys(source: Any, loaded: Any, path: str = "") -> set[str]:
    """Keys `loaded` has beyond `source`; fails on any source value that changed."""
    if not isinstance(source, dict):
        assert loaded == source, path
        return set()
    added = set(loaded) - set(source)
    for key, value in source.items():
        assert key in loaded, f"{path}.{key} dropped"
        added |= _added_keys(value, loaded[key], f"{path}.{key}")
    return added


def _reads(policy: Policy) -> list[Any]:
    return [(policy.value(c, e), policy.limit(c, e), policy.remaining(c, e), policy.value(c, e, True),
             policy.entitlement(c, e), policy.limit_obj(c, e), policy.resets(c, e)) for c, e in READS] + [
        policy.customer_local_margin_breakdown(c) for c in ("alice", "bob", "carol")]


def test_round_trip_of_the_example_keeps_every_field() -> None:
    source = example_document()
    untouched = copy.deepcopy(source)
    policy = Policy.from_document(source, clock=lambda: NOW)
    assert source == untouched  # loading does not fill the caller's document
    out = policy.to_document()
    assert _added_keys(source, out) <= DEFAULT_KEYS
    assert set(out["policy"]["customers"]) == {"alice", "bob", "carol"}
    assert out["policy"]["customers"]["bob"]["grants"] == source["policy"]["customers"]["bob"]["grants"]
    again = Policy.from_document(json.loads(json.dumps(out)), clock=lambda: NOW)
    assert again.to_document() == out
    assert _reads(again) == _reads(policy)


def test_round_trip_after_metering_keeps_state(clock: FakeClock) -> None:
    policy = Policy.from_document(example_document(), clock=clock)
    policy.allow("bob", "chat", 600_000)
    clock.advance(1000)
    policy.allow("alice", "chat", 10)
    policy.create_customer("dave", "pro", alts=["stripe_dave", "d@x.io"])
    policy.create_customer_override("dave", "api", value=7)
    out = policy.to_document()
    again = Policy.from_document(out, clock=clock)
    assert _reads(again) == _reads(policy)
    assert again.customer("stripe_dave")["id"] == "dave" and again.customer("d@x.io") is None
    assert again.meter_obj("alice", "chat") == policy.meter_obj("alice", "chat")
    assert again.customer("bob")["grants"] == {}  # drained and deleted


def test_reset_sch_period_boundary(clock: FakeClock, example: Policy) -> None:
    clock.now = JAN_31_END
    assert example.value("alice", "chat") == 4000
    assert example.resets("alice", "chat") == FEB_1
    assert example.remaining("alice", "chat") == 6000
    clock.now = FEB_1  # the boundary itself starts the new period
    assert example.value("alice", "chat") == 0
    assert example.remaining("alice", "chat") == 10000
    assert example.resets("alice", "chat") == MAR_1
    assert example.value("alice", "api") == 1000  # reset_inc: 30 days from its own start
    assert example.customer("alice")["meters"]["chat"]["value"] == 4000  # reads never touch the meter
    assert example.customer_local_margin_breakdown("alice")["cost"] == 0


def _names(recorded: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in recorded]


def test_allow_starting_a_period_sends_meter_reset_first(clock: FakeClock, example: Policy,
                                                         recorded: list) -> None:
    clock.now = FEB_1 + 5
    assert example.allow("alice", "chat", 10)
    assert _names(recorded) == ["meter-reset", "meter-changed"]
    reset, changed = (payload for _, payload in recorded)
    assert reset["period_start"] == FEB_1
    assert reset["meter"] == changed["meter"]
    assert reset["meter"]["old"] == 0 and reset["meter"]["value"] == 10
    assert reset["customer"] == "alice" and reset["entitlement"] == "chat"
    reset["meter"]["value"] = -1  # each event has its own payload
    assert changed["meter"]["value"] == 10
    meter = example.customer("alice")["meters"]["chat"]
    assert (meter["started"], meter["value"], meter["overhead"]) == (FEB_1, 10, pytest.approx(0.00005))
    recorded.clear()
    assert example.allow("alice", "chat", 10)
    assert _names(recorded) == ["meter-changed"]  # the period already started


def test_a_denied_allow_still_starts_the_period(clock: FakeClock, example: Policy, recorded: list) -> None:
    clock.now = T + 30 * DAY + 1  # alice's api (reset_inc 30 days) is due
    assert example.allow("alice", "api", 1001) is False
    assert _names(recorded) == ["meter-reset", "meter-limit"]
    reset, limit = (payload for _, payload in recorded)
    assert reset["period_start"] == T + 30 * DAY
    assert limit["meter"]["value"] == 0 and limit["meter"]["invalid"] == 1001 and limit["overage"] == 1
    meter = example.customer("alice")["meters"]["api"]
    assert meter["value"] == 0 and meter["started"] == T + 30 * DAY
    recorded.clear()
    assert example.allow("alice", "api", 1000)
    assert _names(recorded) == ["meter-changed"]


def test_soft_overage_after_a_reset(clock: FakeClock, example: Policy, recorded: list) -> None:
    clock.now = FEB_1
    assert example.allow("bob", "chat", 1_600_000)
    assert _names(recorded) == ["meter-reset", "meter-overage"]
    overage = recorded[-1][1]
    assert overage["grant_value_applied"] == 500_000 and overage["overage"] == 100_000


def test_event_false_and_check_at_a_pending_reset(clock: FakeClock, example: Policy, recorded: list) -> None:
    clock.now = FEB_1
    assert example.check("alice", "chat", 9000)
    assert example.customer("alice")["meters"]["chat"]["started"] == T  # check changes nothing
    assert example.allow("alice", "chat", 10, False)
    assert recorded == []
    assert example.customer("alice")["meters"]["chat"]["started"] == FEB_1


def test_a_clamped_decrement_still_reports_the_new_period(clock: FakeClock, recorded: list) -> None:
    policy = Policy.from_document({"policy": {
        "credits": {"seat": {}},
        "plans": {"p": {"default": True, "entitlements": {
            "seats": {"limit": {"credit": "seat", "value": 5, "minimum": 0, "resets": True,
                                "reset_inc": "1days"}}}}}}}, clock=clock)
    policy.subscribe(lambda name, payload: recorded.append((name, payload)))
    policy.create_customer("c")
    policy.increment("c", "seats")
    clock.advance(DAY + 1)
    recorded.clear()
    assert policy.decrement("c", "seats")  # 0 − 1 clamps at the minimum: nothing moves
    assert _names(recorded) == ["meter-reset"]
    assert recorded[0][1]["meter"]["diff"] == 0
    recorded.clear()
    assert policy.decrement("c", "seats")
    assert recorded == []


def test_each_allow_sends_at_most_one_decision(clock: FakeClock, example: Policy, recorded: list) -> None:
    calls = [("alice", "api", 1), ("alice", "chat", 7000), ("bob", "chat", 10_000), ("bob", "chat", 600_000),
             ("carol", "chat", 1000), ("bob", "export_pdf", 0), ("bob", "seats", -1), ("alice", "chat", 1)]
    for step, (customer, entitlement, value) in enumerate(calls):
        clock.now = NOW + step * 10 * DAY  # crosses Feb 1 and 30-day periods along the way
        recorded.clear()
        example.allow(customer, entitlement, value)
        names = _names(recorded)
        assert sum(name in DECISIONS for name in names) <= 1, names
        assert names.count("meter-reset") <= 1 and names[1:].count("meter-reset") == 0, names
