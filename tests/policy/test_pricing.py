"""Pricing models of §1.2, the margins example of §4 and tutorial 06's figures."""

from __future__ import annotations

import pytest

from segmentr.policy import Policy, compile_price

TIERS = [{"up_to": 100, "price": {"amount": 0.01}}, {"up_to": 1000, "price": {"amount": 0.005}},
         {"price": {"amount": 0.001}}]


def test_tiered() -> None:
    pricing = compile_price(TIERS, "tiered")
    assert pricing.total_price(1000) == pytest.approx(5.5)
    assert pricing.price_of(50, 75) == pytest.approx(0.375)


def test_volume() -> None:
    pricing = compile_price(TIERS, "volume")
    assert pricing.total_price(101) == pytest.approx(0.505)
    assert pricing.price_of(1, 100) == pytest.approx(-0.495)


def test_stairstep() -> None:
    fees = [{"up_to": 100, "price": {"amount": 5}}, {"up_to": 1000, "price": {"amount": 20}},
            {"price": {"amount": 50}}]
    pricing = compile_price(fees, "stairstep")
    assert pricing.price_of(1, 100) == pytest.approx(15)
    assert pricing.total_price(0) == 0


def test_flat_and_inverse() -> None:
    assert compile_price({"amount": 0.5}).price_of(4) == 2
    tiered = compile_price(TIERS, "tiered")
    assert tiered.quantity_for(tiered.price_of(700, 50), 50) == pytest.approx(700)


MARGINS = {"policy": {
    "credits": {
        "pro_plan": {"price": {"amount": 50}},
        "ai_token": {"price": {"amount": 0.000006}, "overhead_cost": 0.000004},
        "mb_storage": {"overhead_cost": 0.6, "pricing_model": "tiered", "stof_units": "MB", "tiers": [
            {"up_to": 5, "price": {"amount": 0.8}}, {"up_to": 10, "price": {"amount": 0.7}},
            {"up_to": 50, "price": {"amount": 0.6}}, {"price": {"amount": 0.55}}]}},
    "plans": {"pro": {"default": True, "entitlements": {
        "subscription": {"limit": {"credit": "pro_plan", "mode": "soft", "value": 0}},
        "file_storage": {"limit": {"credit": "mb_storage", "mode": "soft", "value": "10MB"}},
        "tokens": {"limit": {"credit": "ai_token", "mode": "soft", "value": 100000, "resets": True,
                             "reset_inc": "1day"}}}}}}}


def test_margins_example() -> None:
    policy = Policy.from_document(MARGINS, clock=lambda: 1_767_225_600_000)
    policy.create_customer("c")
    assert policy.increment("c", "subscription")
    assert policy.allow("c", "file_storage", "70MB")
    assert policy.allow("c", "tokens", 2_300_000)
    snapshot = policy.customer_local_margin_breakdown("c")
    assert snapshot["revenue"] == pytest.approx(100.2)
    assert snapshot["cost"] == pytest.approx(51.2)
    assert snapshot["margin"] == 48.9


def test_margins_local_variant() -> None:
    policy = Policy.from_document(MARGINS)
    snapshot = policy.local_margin_breakdown(
        "pro", {"subscription": 1, "file_storage": "70MB", "tokens": {"meter": 100000, "limit": 100000}})
    assert snapshot["revenue"] == pytest.approx(87)
    assert snapshot["cost"] == pytest.approx(54)
    assert snapshot["margin"] == 37.93


def test_tutorial_06(recorded: list) -> None:
    policy = Policy.from_document({"policy": {
        "credits": {"ai_token": {"price": {"amount": 0.00002}, "overhead_cost": 0.000008},
                    "image": {"pricing_model": "tiered", "overhead_cost": 0.01,
                              "tiers": [{"up_to": 100, "price": {"amount": 0.04}}, {"price": {"amount": 0.02}}]}},
        "plans": {"p": {"default": True, "entitlements": {
            "tokens": {"limit": {"credit": "ai_token", "mode": "soft", "value": 0}},
            "images": {"limit": {"credit": "image", "mode": "soft", "value": 0}}}}}}})
    policy.create_customer("c")
    policy.subscribe(lambda name, payload: recorded.append(payload["meter"]["price_diff"]))
    policy.allow("c", "tokens", 12000)
    policy.allow("c", "images", 90)
    policy.allow("c", "images", 20)
    assert recorded == [pytest.approx(0.24), pytest.approx(3.6), pytest.approx(0.6)]
    snapshot = policy.customer_local_margin_breakdown("c")
    assert (snapshot["revenue"], snapshot["cost"], snapshot["margin"]) == (pytest.approx(4.44),
                                                                           pytest.approx(1.196), 73.06)


class HalfPrice:
    def resolve(self, customer: dict, target: str):
        return {"amount": 0.005} if target == "credit:token" and customer["id"] == "vip" else None


def test_resolver_prices_overage_and_margin(recorded: list) -> None:
    document = {"policy": {"credits": {"token": {"price": {"amount": 0.01}}},
                           "plans": {"p": {"default": True, "entitlements": {
                               "t": {"limit": {"credit": "token", "mode": "soft", "value": 0}}},
                               "topups": {"pack": {"credit": "token", "value": 10, "price": {"amount": 3}}}}}}}
    policy = Policy.from_document(document, resolver=HalfPrice())
    policy.create_customer("vip")
    policy.create_customer("std")
    policy.subscribe(lambda name, payload: recorded.append(payload))
    policy.allow("vip", "t", 100)
    policy.allow("std", "t", 100)
    assert recorded[-2]["overage_price"] == pytest.approx(0.5)
    assert recorded[-1]["overage_price"] == pytest.approx(1.0)
    assert policy.customer_local_margin_breakdown("vip")["revenue"] == pytest.approx(0.5)
    assert policy.topup_price("vip", "pack") == {"amount": 3}
    callable_policy = policy.with_customers(policy.customers, resolver=lambda c, t: {"amount": 1})
    assert callable_policy.topup_price("std", "pack") == {"amount": 1}
    assert callable_policy.customer_local_margin_breakdown("std")["revenue"] == pytest.approx(100)
