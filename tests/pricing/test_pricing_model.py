"""Rules, prices and customer overrides are validated against the environment's policy, problems by JSON path."""

from __future__ import annotations

import pytest
from pricing_fixtures import DOCUMENT, new_policy, rule

from segmentr.pricing import (
    RULE_ID_PREFIX,
    PricingError,
    PricingInvalid,
    RuleFlags,
    new_rule_id,
    parse_price_overrides,
    parse_rule,
    rule_flags,
)


def _problems(raw: dict) -> dict[str, str]:
    with pytest.raises(PricingInvalid) as caught:
        parse_rule(raw, new_policy())
    return {problem.field: problem.message for problem in caught.value.problems}


def test_a_valid_rule_in_canonical_form() -> None:
    policy = new_policy()
    parsed = parse_rule({"name": "Growth discount", "segment": "seg_1", "priority": 10,
                         "overrides": {"credit:token": {"amount": 0.005},
                                       "credit:mb": [{"price": {"amount": 0.01}}, {"up_to": 50, "price": {"amount": 0.03}}],
                                       "topup:bulk": {"amount": 30}},
                         "supersedes": "customer-overrides"}, policy)
    assert parsed.id.startswith(RULE_ID_PREFIX) and parsed.enabled and parsed.supersedes_customer_overrides
    assert parsed.to_json()["overrides"] == {
        "credit:token": {"amount": 0.005},
        # a bare tier list takes the credit's model; tiers are sorted as the policy sorts them
        "credit:mb": {"pricing_model": "tiered", "tiers": [{"up_to": 50, "price": {"amount": 0.03}},
                                                          {"price": {"amount": 0.01}}]},
        "topup:bulk": {"amount": 30},
    }
    again = parse_rule(parsed.to_json(), policy)
    assert again == parsed


def test_a_tier_list_with_its_own_pricing_model() -> None:
    parsed = rule(new_policy(), "vol", "seg", 1, {"credit:token": {"pricing_model": "volume", "tiers": [
        {"up_to": 100, "price": {"amount": 0.01}}, {"price": {"amount": 0.005}}]}})
    assert parsed.overrides["credit:token"].pricing_model == "volume"


def test_unknown_targets_are_named() -> None:
    with pytest.raises(PricingInvalid) as caught:
        parse_rule({"name": "x", "segment": "s", "priority": 1,
                    "overrides": {"credit:gold": {"amount": 1}, "topup:mega": {"amount": 1}}}, new_policy())
    assert caught.value.unknown_targets == ["credit:gold", "topup:mega"]
    assert "unknown credit 'gold'" in str(caught.value)
    assert "unknown topup 'mega'" in str(caught.value)
    assert isinstance(caught.value, PricingError)


def test_shape_problems_by_json_path() -> None:
    problems = _problems({
        "name": "", "segment": "s", "priority": True, "supersedes": "everything", "enabled": "yes", "colour": 1,
        "overrides": {
            "plan:growth": {"amount": 1},
            "credit:token": {"amount": -1},
            "credit:mb": {"pricing_model": "stairstep", "tiers": [{"up_to": "ten"}]},
            "topup:pack": {"amount": 1, "tiers": []},
        },
    })
    assert set(problems) == {
        "name", "priority", "supersedes", "enabled", "colour", "overrides.plan:growth",
        "overrides.credit:token.amount", "overrides.credit:mb.tiers.0.up_to", "overrides.credit:mb.tiers.0.price",
        "overrides.topup:pack.tiers",
    }
    assert problems["overrides.credit:token.amount"] == "must be >= 0"


def test_price_shapes_a_credit_cannot_hold() -> None:
    problems = _problems({"name": "x", "segment": "s", "priority": 1, "overrides": {
        "credit:token": {"amount": 1, "tiers": [{"price": {"amount": 1}}]},
        "credit:mb": {"pricing_model": "flat", "tiers": [{"price": {"amount": 1}}]},
    }})
    assert problems["overrides.credit:token"] == "either an amount (a flat price) or tiers, not both"
    assert "tiers need pricing_model" in problems["overrides.credit:mb.pricing_model"]
    bare = _problems({"name": "x", "segment": "s", "priority": 1, "overrides": {
        "credit:mb": [{"up_to": 5, "price": {"amount": "cheap"}}], "credit:token": "free"}})
    assert set(bare) == {"overrides.credit:mb.0.price", "overrides.credit:token"}
    assert _problems({"name": "x", "segment": "s", "priority": 1, "overrides": {}}) == {
        "overrides": "a rule overrides at least one target"}
    assert _problems({"name": "x", "segment": "s", "priority": 1, "overrides": {
        "credit:token": {"amount": float("inf")}}}) == {"overrides.credit:token.amount": "must be a finite number"}


def test_not_an_object() -> None:
    with pytest.raises(PricingInvalid) as caught:
        parse_rule(["a", "list"], new_policy())
    assert caught.value.problems[0].field == "rule"


def test_customer_price_overrides() -> None:
    policy = new_policy()
    parsed = parse_price_overrides({"credit:token": {"amount": 0.002}, "topup:pack": {"amount": 3}}, policy)
    assert {target: price.to_json() for target, price in parsed.items()} == {
        "credit:token": {"amount": 0.002}, "topup:pack": {"amount": 3}}
    assert parse_price_overrides({}, policy) == {}
    with pytest.raises(PricingInvalid) as caught:
        parse_price_overrides({"credit:gold": {"amount": 1}, "topup:pack": [{"price": {"amount": 1}}]}, policy)
    assert caught.value.unknown_targets == ["credit:gold"]
    assert {problem.field for problem in caught.value.problems} == {"credit:gold", "topup:pack"}


def test_rule_flags_after_the_policy_or_the_segments_changed() -> None:
    policy = new_policy()
    saved = rule(policy, "r", "seg_1", 1, {"credit:mb": {"amount": 0.01}, "topup:bulk": {"amount": 1},
                                           "credit:token": {"amount": 0.001}})
    assert rule_flags(saved, policy, {"seg_1": "true"}) == RuleFlags(segment_deleted=False, missing_targets=())
    smaller = {"policy": {"credits": {"token": DOCUMENT["policy"]["credits"]["token"]},
                          "plans": {"starter": {"default": True, "entitlements": {}}}}}
    flags = rule_flags(saved, new_policy(smaller), {})
    assert flags.segment_deleted is True
    assert flags.missing_targets == ("credit:mb", "topup:bulk")


def test_new_rule_ids_are_opaque_and_distinct() -> None:
    ids = {new_rule_id() for _ in range(100)}
    assert len(ids) == 100 and all(i.startswith("prr_") for i in ids)
