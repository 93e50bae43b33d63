"""Everywhere the engine prices, the effective price applies: meter events, margin snapshots, topups (flat and
tiered credits, values computed by hand from pricing_fixtures)."""

from __future__ import annotations

from typing import Any

import pytest
from pricing_fixtures import GROWTH, VIP, new_policy, recorder, rule

from segmentr.policy import Policy
from segmentr.pricing import EffectivePrices, RuleBook, parse_price_overrides
from segmentr.segments import evaluate_many

Events = list[tuple[str, dict[str, Any]]]


def _setup() -> tuple[Policy, RuleBook, dict]:
    policy = new_policy()
    policy.create_customer("gina", plan="growth")
    policy.create_customer("sam", plan="starter")
    policy.create_customer("vera", plan="growth", metadata={"vip": True})
    growth = rule(policy, "growth", "seg_growth", 10, {
        "credit:token": {"amount": 0.005},
        "credit:mb": {"pricing_model": "tiered",
                      "tiers": [{"up_to": 50, "price": {"amount": 0.03}}, {"price": {"amount": 0.01}}]},
        "topup:pack": {"amount": 4},
    })
    vip = rule(policy, "vip", "seg_vip", 5, {"credit:token": {"amount": 0.001}},
               supersedes="customer-overrides")
    book = RuleBook([growth, vip], {"seg_growth": GROWTH, "seg_vip": VIP})
    overrides = {"sam": parse_price_overrides({"credit:token": {"amount": 0.008}}, policy),
                 "vera": parse_price_overrides({"credit:token": {"amount": 0.009}}, policy)}
    return policy, book, overrides


def test_meter_events_use_the_rule_price_flat_and_tiered() -> None:
    policy, book, overrides = _setup()
    events: Events = []
    priced = EffectivePrices(policy, book, overrides).priced(subscribers=[recorder(events)])
    assert priced.allow("gina", "t", 1500)
    name, payload = events[-1]
    assert name == "meter-overage"
    assert payload["overage"] == 500
    assert payload["meter"]["price_diff"] == pytest.approx(2.5)  # 500 past the limit at 0.005
    assert payload["overage_price"] == pytest.approx(2.5)
    assert priced.allow("gina", "m", 120)
    assert events[-1][1]["meter"]["price_diff"] == pytest.approx(2.2)  # 50 @0.03 + 70 @0.01
    assert priced.allow("gina", "m", 30)
    assert events[-1][1]["meter"]["price_diff"] == pytest.approx(0.3)  # from position 120: 30 @0.01
    assert events[-1][1]["overage_price"] == pytest.approx(0.3)


def test_customer_overrides_and_superseding_rules_in_meter_events() -> None:
    policy, book, overrides = _setup()
    events: Events = []
    priced = EffectivePrices(policy, book, overrides).priced(subscribers=[recorder(events)])
    priced.allow("sam", "t", 1500)  # starter: no rule; its own override 0.008
    assert events[-1][1]["overage_price"] == pytest.approx(4.0)
    priced.allow("sam", "m", 120)  # no override for mb: the policy's tiers
    assert events[-1][1]["meter"]["price_diff"] == pytest.approx(4.4)  # 100 @0.04 + 20 @0.02
    priced.allow("vera", "t", 1500)  # vip supersedes her own 0.009
    assert events[-1][1]["overage_price"] == pytest.approx(0.5)


def test_margin_snapshot_revenue_is_priced_effectively() -> None:
    policy, book, overrides = _setup()
    priced = EffectivePrices(policy, book, overrides).priced()
    priced.allow("gina", "t", 1500)
    priced.allow("gina", "m", 150)
    margin = priced.customer_local_margin_breakdown("gina")
    assert margin["entitlements"]["t"]["revenue"] == pytest.approx(2.5)
    assert margin["entitlements"]["m"]["revenue"] == pytest.approx(2.5)  # 50 @0.03 + 100 @0.01
    assert margin["revenue"] == pytest.approx(5.0)
    assert margin["cost"] == pytest.approx(4.5)  # 1500 x 0.002 + 150 x 0.01
    assert margin["margin"] == pytest.approx(10.0)
    plain = policy.customer_local_margin_breakdown("gina")  # the same state without the resolver
    assert plain["revenue"] == pytest.approx(10.0)
    assert plain["margin"] == pytest.approx(55.0)
    # the view bound in conditions outside a resolution sees the same effective margin
    assert priced.view().customer_local_margin_breakdown("gina")["revenue"] == pytest.approx(5.0)


def test_topup_price_and_purchase_event() -> None:
    policy, book, overrides = _setup()
    events: Events = []
    priced = EffectivePrices(policy, book, overrides).priced(subscribers=[recorder(events)])
    assert priced.topup_price("gina", "pack") == {"amount": 4}
    assert priced.topup_price("gina", "bulk") == {"amount": 40}  # not overridden: the plan's price
    assert priced.topup_price("sam", "pack") == {"amount": 5}
    assert priced.apply_customer_topup("gina", "pack")
    name, payload = events[-1]
    assert name == "customer-topup-granted"
    assert payload["price"] == {"amount": 4}


def test_an_upgrade_gets_the_rule_on_the_next_billable_action() -> None:
    policy, book, overrides = _setup()
    policy.create_customer("uma", plan="starter")
    events: Events = []
    priced = EffectivePrices(policy, book, overrides).priced(subscribers=[recorder(events)])
    priced.allow("uma", "t", 1100)
    assert events[-1][1]["overage_price"] == pytest.approx(1.0)  # 100 @0.01
    assert priced.set_customer_plan("uma", "growth")
    priced.allow("uma", "t", 100)
    assert events[-1][1]["overage_price"] == pytest.approx(0.5)  # 100 @0.005
    assert priced.topup_price("uma", "pack") == {"amount": 4}


def test_no_resolver_bound_prices_as_before() -> None:
    policy, _, _ = _setup()
    events: Events = []
    policy.subscribe(recorder(events))
    policy.allow("gina", "t", 1500)
    assert events[-1][1]["overage_price"] == pytest.approx(5.0)
    assert policy.topup_price("gina", "pack") == {"amount": 5}
    empty = EffectivePrices(policy).priced(subscribers=[recorder(events)])
    empty.allow("gina", "t", 100)
    assert events[-1][1]["overage_price"] == pytest.approx(1.0)


def test_two_environments_never_see_each_others_rules() -> None:
    test_policy, book, _ = _setup()
    live_policy = new_policy()
    live_policy.create_customer("gina", plan="growth")
    live_book = RuleBook([rule(live_policy, "live growth", "seg_growth", 10, {"credit:token": {"amount": 0.002}})],
                         {"seg_growth": GROWTH})
    test_events: Events = []
    live_events: Events = []
    test_priced = EffectivePrices(test_policy, book).priced(subscribers=[recorder(test_events)])
    live_priced = EffectivePrices(live_policy, live_book).priced(subscribers=[recorder(live_events)])
    test_priced.allow("gina", "t", 1100)
    live_priced.allow("gina", "t", 1100)
    assert test_events[-1][1]["overage_price"] == pytest.approx(0.5)
    assert live_events[-1][1]["overage_price"] == pytest.approx(0.2)
    assert live_priced.topup_price("gina", "pack") == {"amount": 5}  # the test rule's topup price stays in test


def test_copies_of_the_priced_policy_read_their_own_customers() -> None:
    """A `with_customers` copy (how the store meters one customer, how membership streams a batch) rebinds
    the resolver: segment conditions read the copy's customers, and their margins are priced effectively."""
    policy, book, overrides = _setup()
    priced = EffectivePrices(policy, book, overrides).priced()
    state = {"id": "zed", "plan": "growth", "type": "user", "label": "Z", "meters": {
        "t": {"credit": "token", "started": policy.now(), "value": 1200, "overhead": 0}},
        "overrides": {}, "grants": {}, "metadata": None}
    one = priced.with_customers({"zed": state})
    assert one.customer_local_margin_breakdown("zed")["revenue"] == pytest.approx(1.0)  # 200 @0.005
    results = list(evaluate_many("policy.customer_local_margin_breakdown(customer.id).revenue < 1.5",
                                 [state], priced))
    assert results == [("zed", True, None)]  # 1.0 effective (2.0 at the policy's price)
