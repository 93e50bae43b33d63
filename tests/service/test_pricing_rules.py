"""Pricing rules through the service on both databases: saved and validated per environment with history, and
the effective price everywhere the engine prices (meter events, margins, topups), hand-computed from the small
policy below (`token` 0.01/unit over a 1000 soft limit, `mb` tiered 0-100 @0.04 then @0.02, topup `pack` 5)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from segmentr.errors import InvalidInput, NotFound, PermissionDenied, PriorityTaken, SegmentInUse
from segmentr.service import Actor, SegmentChanges, SegmentInput, Services, UsageRecord
from segmentr.store import Store
from segmentr_testkit.pricing_policy import DOCUMENT

CUSTOMERS = {"gina": ("growth", None), "sam": ("starter", None), "vera": ("growth", {"vip": True})}
GROWTH_RATES = {
    "credit:token": {"amount": 0.005},
    "credit:mb": {"pricing_model": "tiered",
                  "tiers": [{"up_to": 50, "price": {"amount": 0.03}}, {"price": {"amount": 0.01}}]},
    "topup:pack": {"amount": 4},
}  # fmt: skip


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.init()
        for env in ("test", "live"):
            opened.put_policy(env, copy.deepcopy(DOCUMENT))
            for customer_id, (plan, metadata) in CUSTOMERS.items():
                opened.create_customer(env, {"id": customer_id, "plan": plan, "metadata": metadata})
        yield opened


@pytest.fixture
def services(store: Store) -> Services:
    return Services(store)


@pytest.fixture
def owner(services: Services) -> Actor:
    return services.local_owner()


@pytest.fixture
def segments(services: Services, owner: Actor) -> dict[str, str]:
    made = services.segments(owner)
    return {
        "growth": made.create(SegmentInput(name="Growth", condition='customer.plan == "growth"')).id,
        "vip": made.create(SegmentInput(name="VIP", condition="customer.metadata.vip == true")).id,
        "broken": made.create(SegmentInput(name="Broken", condition="customer.plan.nope()")).id,
    }


def _rule(services: Services, owner: Actor, env: str, name: str, segment: str, priority: int,
          overrides: dict[str, Any], **fields: Any) -> str:
    body = {"name": name, "segment": segment, "priority": priority, "overrides": overrides, **fields}
    return services.pricing(owner).create(env, body).rule.id


def _overage(services: Services, owner: Actor, env: str, customer: str, entitlement: str, value: float) -> Any:
    result = services.customers(owner).record_usage(env, customer, entitlement, value)
    return next(event["data"] for event in result.events if event["type"] == "meter-overage")


def test_rules_are_saved_validated_and_versioned(services: Services, owner: Actor,
                                                 segments: dict[str, str]) -> None:
    pricing = services.pricing(owner)
    created = pricing.create("live", {"name": "Growth", "segment": "Growth", "priority": 10,
                                      "overrides": GROWTH_RATES})
    rule = created.rule
    assert rule.id.startswith("prr_") and rule.segment == segments["growth"]  # the name is stored as the id
    assert rule.overrides["credit:token"] == {"amount": 0.005} and rule.version == 1
    assert not created.segment_deleted and created.missing_targets == ()
    with pytest.raises(PriorityTaken) as taken:
        pricing.create("live", {"name": "Other", "segment": segments["vip"], "priority": 10,
                                "overrides": {"credit:token": {"amount": 0.001}}})
    assert taken.value.code == "priority_taken"
    with pytest.raises(InvalidInput) as unknown:
        pricing.create("live", {"name": "Bad", "segment": segments["vip"], "priority": 11,
                                "overrides": {"credit:nope": {"amount": 1}, "topup:gone": {"amount": 1}}})
    assert "credit 'nope'" in unknown.value.message and "topup 'gone'" in unknown.value.message
    assert {problem.field for problem in unknown.value.problems} == {"overrides.credit:nope", "overrides.topup:gone"}
    with pytest.raises(InvalidInput) as no_segment:
        pricing.create("live", {"name": "Bad", "segment": "seg_missing", "priority": 12,
                                "overrides": {"credit:token": {"amount": 1}}})
    assert no_segment.value.field == "segment"
    edited = pricing.edit("live", rule.id, {"enabled": False, "priority": 20})
    assert edited.rule.version == 2 and not edited.rule.enabled and edited.rule.priority == 20
    assert pricing.edit("live", rule.id, {"enabled": False}).rule.version == 2  # nothing changed
    assert [r.rule.id for r in pricing.list("live")] == [rule.id] and pricing.list("test") == []
    pricing.delete("live", rule.id)
    with pytest.raises(NotFound):
        pricing.get("live", rule.id)
    history = pricing.history("live", rule.id)
    assert [(v.version, v.action) for v in history] == [(1, "created"), (2, "updated"), (3, "deleted")]
    assert history[1].fields["priority"] == 20 and history[1].changed_by == owner.label
    assert all(v.changed_at > 0 for v in history)


def test_meter_events_margins_and_topups_use_effective_prices(services: Services, owner: Actor,
                                                               segments: dict[str, str]) -> None:
    _rule(services, owner, "live", "Growth", segments["growth"], 10, GROWTH_RATES)
    _rule(services, owner, "live", "VIP", segments["vip"], 5, {"credit:token": {"amount": 0.001}},
          supersedes="customer-overrides")
    pricing = services.pricing(owner)
    pricing.set_price_overrides("live", "sam", {"credit:token": {"amount": 0.008}})
    pricing.set_price_overrides("live", "vera", {"credit:token": {"amount": 0.009}})
    gina = _overage(services, owner, "live", "gina", "t", 1500)
    assert gina["overage"] == 500 and gina["overage_price"] == pytest.approx(2.5)  # 500 @0.005
    assert _overage(services, owner, "live", "gina", "m", 120)["meter"]["price_diff"] == pytest.approx(2.2)
    assert _overage(services, owner, "live", "sam", "t", 1500)["overage_price"] == pytest.approx(4.0)  # own 0.008
    assert _overage(services, owner, "live", "sam", "m", 120)["meter"]["price_diff"] == pytest.approx(4.4)
    assert _overage(services, owner, "live", "vera", "t", 1500)["overage_price"] == pytest.approx(0.5)  # VIP wins
    margin = services.customers(owner).margin("live", "gina")
    assert margin is not None
    assert margin["entitlements"]["t"]["revenue"] == pytest.approx(2.5)
    assert margin["entitlements"]["m"]["revenue"] == pytest.approx(2.2)  # 50 @0.03 + 70 @0.01
    assert margin["cost"] == pytest.approx(1500 * 0.002 + 120 * 0.01)
    batch = services.customers(owner).batch_usage("live", [UsageRecord("gina", "t", 100)])
    assert batch[0].result is not None
    over = next(e["data"] for e in batch[0].result.events if e["type"] == "meter-overage")
    assert over["overage_price"] == pytest.approx(0.5)  # 100 more past the limit @0.005
    topup = services.customers(owner).topup("live", "gina", "pack")
    assert topup.price == {"amount": 4}
    assert services.customers(owner).topup("live", "gina", "bulk").price == {"amount": 40}
    assert services.customers(owner).topup("live", "sam", "pack").price == {"amount": 5}


def test_environments_never_see_each_others_rules(services: Services, owner: Actor,
                                                  segments: dict[str, str]) -> None:
    _rule(services, owner, "test", "Growth", segments["growth"], 10, GROWTH_RATES)
    assert _overage(services, owner, "test", "gina", "t", 1100)["overage_price"] == pytest.approx(0.5)
    assert _overage(services, owner, "live", "gina", "t", 1100)["overage_price"] == pytest.approx(1.0)
    assert services.pricing(owner).list("live") == []
    # one priority per environment, not per workspace
    _rule(services, owner, "live", "Live growth", segments["growth"], 10, {"credit:token": {"amount": 0.002}})
    assert _overage(services, owner, "live", "gina", "t", 100)["overage_price"] == pytest.approx(0.2)
    assert services.customers(owner).topup("live", "gina", "pack").price == {"amount": 5}
    assert services.customers(owner).topup("test", "gina", "pack").price == {"amount": 4}


def test_edits_of_rules_and_segments_take_effect_on_the_next_resolution(
    services: Services, owner: Actor, segments: dict[str, str]
) -> None:
    rule_id = _rule(services, owner, "live", "Growth", segments["growth"], 10, {"credit:token": {"amount": 0.005}})
    assert _overage(services, owner, "live", "gina", "t", 1100)["overage_price"] == pytest.approx(0.5)
    services.pricing(owner).edit("live", rule_id, {"overrides": {"credit:token": {"amount": 0.003}}})
    assert _overage(services, owner, "live", "gina", "t", 100)["overage_price"] == pytest.approx(0.3)
    services.segments(owner).edit(segments["growth"], SegmentChanges(condition='customer.plan == "starter"'))
    assert _overage(services, owner, "live", "gina", "t", 100)["overage_price"] == pytest.approx(1.0)
    assert _overage(services, owner, "live", "sam", "t", 1100)["overage_price"] == pytest.approx(0.3)
    services.pricing(owner).edit("live", rule_id, {"enabled": False})  # a disabled rule is skipped
    assert _overage(services, owner, "live", "sam", "t", 100)["overage_price"] == pytest.approx(1.0)
    explained = services.pricing(owner).price("live", "sam", "credit:token")
    assert explained.source.kind == "policy" and explained.considered[0].why == "disabled"


def test_an_upgrade_gets_the_rule_on_the_very_next_billable_action(
    services: Services, owner: Actor, segments: dict[str, str]
) -> None:
    _rule(services, owner, "live", "Growth", segments["growth"], 10, GROWTH_RATES)
    assert _overage(services, owner, "live", "sam", "t", 1100)["overage_price"] == pytest.approx(1.0)
    services.customers(owner).patch("live", "sam", {"plan": "growth"})
    assert _overage(services, owner, "live", "sam", "t", 100)["overage_price"] == pytest.approx(0.5)
    assert services.customers(owner).topup("live", "sam", "pack").price == {"amount": 4}


def test_a_referenced_segment_is_kept_unless_forced_then_its_rule_never_matches(
    services: Services, owner: Actor, segments: dict[str, str]
) -> None:
    rule_id = _rule(services, owner, "live", "Growth", segments["growth"], 10, GROWTH_RATES)
    usage = services.segments(owner).usage(segments["growth"])
    assert usage.references == [{"type": "pricing_rule", "environment": "live", "id": rule_id, "name": "Growth",
                                 "priority": 10}]
    with pytest.raises(SegmentInUse) as in_use:
        services.segments(owner).delete(segments["growth"])
    assert in_use.value.references == usage.references
    services.segments(owner).delete(segments["growth"], force=True)
    detail = services.pricing(owner).get("live", rule_id)
    assert detail.segment_deleted
    assert _overage(services, owner, "live", "gina", "t", 1100)["overage_price"] == pytest.approx(1.0)
    explained = services.pricing(owner).price("live", "gina", "credit:token")
    assert explained.source.kind == "policy" and explained.considered[0].why == "segment_deleted"
    # it can still be disabled (the dangling segment stays, flagged); naming a missing segment is refused
    assert services.pricing(owner).edit("live", rule_id, {"enabled": False}).segment_deleted
    with pytest.raises(InvalidInput):
        services.pricing(owner).edit("live", rule_id, {"segment": segments["growth"]})
    # an edit that names an existing segment clears the flag
    edited = services.pricing(owner).edit("live", rule_id, {"segment": segments["vip"]})
    assert not edited.segment_deleted


def test_a_failing_segment_never_matches_is_recorded_and_never_breaks_the_action(
    services: Services, owner: Actor, segments: dict[str, str], store: Store
) -> None:
    _rule(services, owner, "live", "Broken", segments["broken"], 1, {"credit:token": {"amount": 0.0001}})
    _rule(services, owner, "live", "Growth", segments["growth"], 10, {"credit:token": {"amount": 0.005}})
    assert _overage(services, owner, "live", "gina", "t", 1100)["overage_price"] == pytest.approx(0.5)
    broken = store.get_segment(owner.workspace_id, segments["broken"])
    assert broken.error_count >= 1 and "pricing rule" in (broken.last_error or "")
    explained = services.pricing(owner).price("live", "gina", "credit:token")
    assert [item.why for item in explained.considered] == ["evaluation_failed", "applied"]
    assert explained.considered[0].error


def test_a_policy_that_drops_a_target_flags_the_rule(services: Services, owner: Actor, store: Store,
                                                      segments: dict[str, str]) -> None:
    rule_id = _rule(services, owner, "live", "Growth", segments["growth"], 10, GROWTH_RATES)
    smaller = copy.deepcopy(DOCUMENT)
    del smaller["policy"]["plans"]["growth"]["topups"]["pack"]
    del smaller["policy"]["plans"]["starter"]["topups"]["pack"]
    store.put_policy("live", smaller)
    detail = services.pricing(owner).get("live", rule_id)
    assert detail.missing_targets == ("topup:pack",)
    assert _overage(services, owner, "live", "gina", "t", 1100)["overage_price"] == pytest.approx(0.5)


def test_the_price_explained_and_segment_conditions_see_effective_margins(
    services: Services, owner: Actor, segments: dict[str, str]
) -> None:
    rule_id = _rule(services, owner, "live", "Growth", segments["growth"], 10, GROWTH_RATES)
    services.customers(owner).record_usage("live", "gina", "t", 1200)
    explained = services.pricing(owner).price("live", "gina", "credit:token")
    assert explained.price is not None and explained.price.to_json() == {"amount": 0.005}
    assert explained.source.kind == "rule" and explained.source.rule is not None
    assert explained.source.rule.id == rule_id
    assert services.pricing(owner).price("live", "sam", "credit:token").source.kind == "policy"
    services.pricing(owner).set_price_overrides("live", "sam", {"credit:token": {"amount": 0.008}})
    assert services.pricing(owner).price("live", "sam", "credit:token").source.kind == "customer_override"
    # 200 past the limit: 1.0 at the rule's price (2.0 at the policy's)
    made = services.segments(owner).create(SegmentInput(
        name="Low revenue", condition="policy.customer_local_margin_breakdown(customer.id).revenue < 1.5"))
    assert services.segments(owner).evaluate(made.id, "gina", "live").matched
    with pytest.raises(InvalidInput):
        services.pricing(owner).price("live", "gina", "nope")
    with pytest.raises(InvalidInput):
        services.pricing(owner).set_price_overrides("live", "gina", {"credit:nope": {"amount": 1}})


def test_roles_and_key_environments(services: Services, owner: Actor, segments: dict[str, str]) -> None:
    from segmentr.service.auth import member_actor

    viewer = member_actor(services.store.add_member(owner.workspace_id, "v@example.com", "viewer"))
    editor = member_actor(services.store.add_member(owner.workspace_id, "e@example.com", "editor"))
    rule_id = _rule(services, owner, "live", "Growth", segments["growth"], 10, GROWTH_RATES)
    assert services.pricing(viewer).get("live", rule_id).rule.name == "Growth"
    for actor in (viewer, editor):
        with pytest.raises(PermissionDenied):
            services.pricing(actor).edit("live", rule_id, {"enabled": False})
        with pytest.raises(PermissionDenied):
            services.pricing(actor).set_price_overrides("live", "gina", {})
    key = services.keys(owner).create("k", environment="test", role="admin")
    key_actor = services.authenticate_key(key.secret)
    with pytest.raises(PermissionDenied):
        services.pricing(key_actor).list("live")


def test_concurrent_saves_of_one_priority_store_one_rule(services: Services, owner: Actor,
                                                          segments: dict[str, str]) -> None:
    import threading

    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def save(index: int) -> None:
        barrier.wait()
        try:
            _rule(services, owner, "live", f"r{index}", segments["growth"], 7, {"credit:token": {"amount": 0.001}})
            outcomes.append("saved")
        except PriorityTaken:
            outcomes.append("taken")

    threads = [threading.Thread(target=save, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["saved", "taken", "taken", "taken"]
    assert [detail.rule.priority for detail in services.pricing(owner).list("live")] == [7]


def test_stored_rules_resolve_as_the_pure_resolver_does(services: Services, owner: Actor, store: Store,
                                                        segments: dict[str, str]) -> None:
    """Random rule sets saved through the service give, for every customer and target, the explanation the pure
    resolver gives over the same rules, segments and overrides (storage changes nothing)."""
    import random

    from segmentr.pricing import EffectivePrices, RuleBook, parse_price_overrides, parse_rule

    rng = random.Random(20261204)
    pricing = services.pricing(owner)
    prices = [{"amount": 0.001}, {"amount": 0.004}, {"amount": 0.02}]
    targets = ["credit:token", "credit:mb", "topup:pack", "topup:bulk"]
    for index, priority in enumerate(rng.sample(range(100), 12)):
        overrides = {t: (rng.choice(prices) if t.startswith("credit") else {"amount": rng.randint(1, 9)})
                     for t in rng.sample(targets, rng.randint(1, 3))}
        pricing.create("live", {"name": f"r{index}", "segment": rng.choice(list(segments.values())),
                                "priority": priority, "overrides": overrides, "enabled": rng.random() > 0.2,
                                "supersedes": "customer-overrides" if rng.random() > 0.6 else None})
    pricing.set_price_overrides("live", "sam", {"credit:token": {"amount": 0.008}, "topup:pack": {"amount": 3}})
    policy = store.live_policy("live")
    table = {customer_id: store.get_customer("live", customer_id) for customer_id in CUSTOMERS}
    policy = policy.with_customers(table)
    rules = [parse_rule(detail.rule.fields(), policy, rule_id=detail.rule.id) for detail in pricing.list("live")]
    conditions = {saved.id: saved.condition for saved in services.segments(owner).segments()}
    own = {"sam": parse_price_overrides(pricing.price_overrides("live", "sam"), policy)}
    pure = EffectivePrices(policy, RuleBook(rules, conditions), own)
    for customer_id in CUSTOMERS:
        for target in targets:
            stored = pricing.price("live", customer_id, target).to_json()
            assert stored == pure.explain(customer_id, target).to_json(), (customer_id, target)
