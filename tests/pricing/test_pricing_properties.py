"""Over random policies, rules, customer overrides and segments, the resolver answers what product.md §6 says.

The oracle below reads §6 plainly: superseding rules by priority, then the customer's own override, then the
other rules by priority, then the policy's price; a rule applies when it is enabled, overrides the target and
its segment exists and matches (a condition that fails does not match). Segment membership in the oracle is
computed in Python from the simple-mode shapes, independently of the Stof engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentr.policy import Policy
from segmentr.pricing import EffectivePrices, PricingRule, RuleBook, parse_price_overrides, parse_rule


class Fails(Exception):
    """The condition fails at run time for this customer."""


def _tier_len(customer: dict[str, Any]) -> bool:
    tier = (customer.get("metadata") or {}).get("tier")
    if tier is None:
        raise Fails
    return len(tier) > 2


def _meta(customer: dict[str, Any], key: str) -> Any:
    return (customer.get("metadata") or {}).get(key)


# simple-mode shapes (product.md §3) and two conditions that fail at run time, each with its plain reading
SHAPES: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ('customer.plan == "p0"', lambda c: c["plan"] == "p0"),
    ('customer.plan != "p1"', lambda c: c["plan"] != "p1"),
    ('(customer.plan == "p1" || customer.plan == "p2")', lambda c: c["plan"] in ("p1", "p2")),
    ('customer.metadata.tier == "gold"', lambda c: _meta(c, "tier") == "gold"),
    ('customer.metadata.tier != "gold"', lambda c: _meta(c, "tier") != "gold"),
    ("(customer.metadata.n != null && customer.metadata.n > 5)", lambda c: _meta(c, "n") is not None and _meta(c, "n") > 5),
    ("customer.metadata.flag == true", lambda c: _meta(c, "flag") is True),
    ("customer.metadata.n == null", lambda c: _meta(c, "n") is None),
    ('(?customer.metadata.tier.starts_with("go") ?? false)',
     lambda c: isinstance(_meta(c, "tier"), str) and _meta(c, "tier").startswith("go")),
    ("customer.plan.nope()", lambda c: (_ for _ in ()).throw(Fails())),
    ("customer.metadata.tier.len() > 2", _tier_len),
]

PLANS = ("p0", "p1", "p2")
AMOUNTS = st.sampled_from([0, 0.001, 0.005, 0.01, 0.5, 2, 15])


def _tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    bounds = sorted(draw(st.sets(st.integers(1, 500), min_size=0, max_size=3)))
    return [{"up_to": b, "price": {"amount": draw(AMOUNTS)}} for b in bounds] + [{"price": {"amount": draw(AMOUNTS)}}]


def _credit_price(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["flat", "tiered", "volume"]))
    if kind == "flat":
        return {"amount": draw(AMOUNTS)}
    return {"pricing_model": kind, "tiers": _tiers(draw)}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    credits: dict[str, Any] = {}
    for index in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            credits[f"c{index}"] = {"price": {"amount": draw(AMOUNTS)}}
        else:
            credits[f"c{index}"] = {"pricing_model": draw(st.sampled_from(["tiered", "volume", "stairstep"])),
                                    "tiers": _tiers(draw)}
    plans: dict[str, Any] = {name: {"entitlements": {}, "topups": {}} for name in PLANS}
    plans["p0"]["default"] = True
    topups = [f"u{index}" for index in range(draw(st.integers(0, 2)))]
    for topup in topups:
        for plan in draw(st.sets(st.sampled_from(PLANS), min_size=1)):
            plans[plan]["topups"][topup] = {"credit": "c0", "value": 10, "price": {"amount": draw(AMOUNTS)}}
    targets = [f"credit:{name}" for name in credits] + [f"topup:{name}" for name in topups]

    def price_for(target: str) -> Any:
        return _credit_price(draw) if target.startswith("credit:") else {"amount": draw(AMOUNTS)}

    segments = {f"seg_{i}": i for i in draw(st.sets(st.integers(0, len(SHAPES) - 1), min_size=1, max_size=6))}
    segment_ids = [*segments, "seg_deleted"]
    priorities = draw(st.lists(st.integers(-5, 50), unique=True, max_size=8))
    rules = []
    for number, priority in enumerate(priorities):
        chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=len(targets), unique=True))
        rules.append({"name": f"rule {number}", "segment": draw(st.sampled_from(segment_ids)),
                      "priority": priority, "enabled": draw(st.booleans()),
                      "supersedes": draw(st.sampled_from([None, "customer-overrides"])),
                      "overrides": {target: price_for(target) for target in chosen}})
    customers = []
    for number in range(draw(st.integers(1, 4))):
        metadata = draw(st.one_of(st.none(), st.fixed_dictionaries({}, optional={
            "tier": st.sampled_from(["gold", "ab", "silver"]), "n": st.sampled_from([3, 7]),
            "flag": st.booleans()})))
        own = draw(st.lists(st.sampled_from(targets), unique=True, max_size=len(targets)))
        customers.append({"id": f"k{number}", "plan": draw(st.sampled_from(PLANS)), "metadata": metadata,
                          "own": {target: price_for(target) for target in own}})
    changes = [{"plan": draw(st.sampled_from(PLANS)), "metadata": draw(st.fixed_dictionaries({}, optional={
        "tier": st.sampled_from(["gold", "ab", "silver"]), "n": st.sampled_from([3, 7, 7.0]),
        "flag": st.booleans()}))} for _ in customers]
    return {"document": {"policy": {"credits": credits, "plans": plans}}, "rules": rules, "segments": segments,
            "customers": customers, "targets": targets, "changes": changes}


def _oracle(rules: list[PricingRule], segments: dict[str, int], own: dict[str, Any], customer: dict[str, Any],
            target: str) -> tuple[str, str | None]:
    """product.md §6, step by step."""

    def applies(rule: PricingRule) -> bool:
        if not rule.enabled or target not in rule.overrides or rule.segment not in segments:
            return False
        try:
            return bool(SHAPES[segments[rule.segment]][1](customer))
        except Fails:
            return False

    by_priority = sorted(rules, key=lambda rule: rule.priority)
    for rule in by_priority:  # 1. superseding rules
        if rule.supersedes == "customer-overrides" and applies(rule):
            return "rule", rule.id
    if target in own:  # 2. the customer's own override
        return "customer_override", None
    for rule in by_priority:  # 3. the other rules
        if rule.supersedes is None and applies(rule):
            return "rule", rule.id
    return "policy", None  # 4. the policy's price


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_resolver_equals_the_plain_reading_of_section_6(scenario: dict[str, Any]) -> None:
    policy = Policy.from_document(scenario["document"], clock=lambda: 1_767_225_600_000)
    for customer in scenario["customers"]:
        policy.create_customer(customer["id"], plan=customer["plan"], metadata=customer["metadata"])
    rules = [parse_rule(raw, policy, rule_id=f"prr_{n}") for n, raw in enumerate(scenario["rules"])]
    overrides = {c["id"]: parse_price_overrides(c["own"], policy) for c in scenario["customers"]}
    sources = {segment: SHAPES[index][0] for segment, index in scenario["segments"].items()}
    prices = EffectivePrices(policy, RuleBook(rules, sources), overrides)
    by_id = {rule.id: rule for rule in rules}
    _check_every_target(scenario, policy, prices, rules, overrides, by_id)
    # the customers change in place (plan, metadata): the next resolution answers from the new state
    for customer, change in zip(scenario["customers"], scenario["changes"], strict=True):
        state = policy.customers[customer["id"]]
        policy.set_customer_plan(customer["id"], change["plan"])
        customer["plan"] = change["plan"]
        if isinstance(state["metadata"], dict):
            state["metadata"].update(change["metadata"])
        else:
            state["metadata"] = dict(change["metadata"])
    _check_every_target(scenario, policy, prices, rules, overrides, by_id)


def _check_every_target(scenario: dict[str, Any], policy: Policy, prices: EffectivePrices,
                        rules: list[PricingRule], overrides: dict[str, Any], by_id: dict[str, PricingRule]) -> None:
    for customer in scenario["customers"]:
        state = policy.customers[customer["id"]]
        for target in scenario["targets"]:
            kind, name = target.split(":")
            available = kind == "credit" or name in scenario["document"]["policy"]["plans"][customer["plan"]]["topups"]
            resolution = prices.explain(state, target)
            if not available:  # a topup not on the customer's plan: nothing applies
                assert (resolution.source.kind, resolution.price) == ("policy", None)
                continue
            own = overrides[customer["id"]]
            source, rule_id = _oracle(rules, scenario["segments"], own, state, target)
            assert resolution.source.kind == source, (target, customer, resolution)
            hook = prices.resolve(state, target)
            applied = [item for item in resolution.considered if item.why == "applied"]
            if source == "rule":
                assert resolution.source.rule is not None and resolution.source.rule.id == rule_id
                assert resolution.price == by_id[rule_id].overrides[target]
                assert hook == by_id[rule_id].overrides[target].document
                assert [item.rule.id for item in applied] == [rule_id]  # the explanation names the winner
            elif source == "customer_override":
                assert resolution.price == own[target] and hook == own[target].document and not applied
            else:
                assert hook is None and not applied
            assert [item.rule.id for item in resolution.considered] == \
                [rule.id for rule in sorted(rules, key=lambda rule: rule.priority)]
            for item in resolution.considered:
                rule = by_id[item.rule.id]
                if not rule.enabled:
                    assert item.why == "disabled"
                elif rule.segment not in scenario["segments"]:
                    assert item.why == "segment_deleted"
                elif target not in rule.overrides:
                    assert item.why == "does_not_override_target"
                elif item.why == "evaluation_failed":
                    assert item.error
                    try:
                        SHAPES[scenario["segments"][rule.segment]][1](state)
                        raise AssertionError(f"{rule.segment} should not have failed")
                    except Fails:
                        pass
                else:
                    assert item.why in ("applied", "outranked", "segment_not_matched")
