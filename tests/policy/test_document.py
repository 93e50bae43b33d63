"""Loading documents: defaults, unit strings, unknown fields, round trips, errors listed by path."""

from __future__ import annotations

import json

import pytest
import yaml
from policy_example import NOW, example_document

from segmentr.policy import Policy, PolicyDocumentError


def test_errors_are_listed_by_path() -> None:
    document = {"policy": {
        "credits": {"tok": {"overhead_cost": -1, "pricing_model": "banded"}},
        "plans": {"pro": {"entitlements": {
            "chat": {"limit": {"credit": "tok", "mode": "strict"}},
            "api": {"limit": {"credit": "nope", "value": "lots", "reset_sch": "hourly"}}}}},
        "exchange": {"grant_strategy": "random"}}}
    with pytest.raises(PolicyDocumentError) as caught:
        Policy.from_document(document)
    problems = caught.value.messages
    assert "plans.pro.entitlements.chat.limit.mode: expected one of hard, soft, observe" in problems
    assert "credits.tok.overhead_cost: must be >= 0" in problems
    assert any(p.startswith("credits.tok.pricing_model: expected one of flat") for p in problems)
    assert "plans.pro.entitlements.api.limit.credit: unknown credit 'nope'" in problems
    assert any(p.startswith("plans.pro.entitlements.api.limit.value: expected a number") for p in problems)
    assert any(p.startswith("plans.pro.entitlements.api.limit.reset_sch: unknown schedule") for p in problems)
    assert any(p.startswith("exchange.grant_strategy: expected one of") for p in problems)


def test_defaults_units_and_unknown_fields() -> None:
    policy = Policy.from_document({"policy": {
        "credits": {"mb": {"stof_units": "MB", "x_vendor": {"keep": True}}},
        "plans": {"p": {"default": True, "custom": 1, "entitlements": {
            "disk": {"limit": {"credit": "mb", "value": "1GB", "resets": True, "reset_inc": "7days"}}}}},
        "notifications": {"n": {"anything": 1}}}})
    document = policy.to_document()["policy"]
    assert document["credits"]["mb"]["x_vendor"] == {"keep": True}
    assert document["credits"]["mb"]["label"] == "Credit"
    assert document["plans"]["p"]["custom"] == 1
    assert document["notifications"] == {"n": {"anything": 1}}
    limit = policy.entitlement("p", "disk")["limit"]
    assert (limit["value"], limit["mode"], limit["increment"]) == ("1GB", "hard", 1)
    assert policy.limit("p", "disk") == 1000
    policy.create_customer("c")
    assert policy.allow("c", "disk", "500MB")
    assert policy.value("c", "disk") == 500
    assert policy.check("c", "disk", "0.6GB") is False


def test_round_trip_keeps_the_document(example: Policy) -> None:
    example.allow("bob", "chat", 10)
    first = example.to_document()
    again = Policy.from_document(json.dumps(first)).to_document()
    assert again == first


def test_yaml_loads() -> None:
    policy = Policy.from_document(yaml.safe_dump(example_document()), clock=lambda: NOW)
    assert policy.value("alice", "api") == 1000


def test_customer_fields_kept(example: Policy) -> None:
    state = example.export_customer("bob")
    state.update(cloud_created=1, cloud_updated=2)
    example.put_customer(state)
    assert example.allow("bob", "api", 1)
    assert example.customer("bob")["cloud_created"] == 1
    assert example.customer("bob")["cloud_updated"] == 2
