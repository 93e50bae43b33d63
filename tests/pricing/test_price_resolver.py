"""The resolver's explanations, failures, the no-recursion view, edits and the rule-book cache."""

from __future__ import annotations

import pytest
from pricing_fixtures import ALWAYS_FAILS, DOCUMENT, GROWTH, VIP, new_policy, recorder, rule

from segmentr.pricing import (
    EffectivePrices,
    PricingInvalid,
    RuleBook,
    RuleBooks,
    parse_price_overrides,
)

MARGIN_OVER_3 = "policy.customer_local_margin_breakdown(customer.id).revenue > 3"


def _whys(resolution) -> list[tuple[str, str]]:
    return [(item.rule.name, item.why) for item in resolution.considered]


def test_explanation_names_the_winner_and_why_each_other_rule_did_not_win() -> None:
    policy = new_policy()
    policy.create_customer("gina", plan="growth")
    token = {"credit:token": {"amount": 0.005}}
    rules = [
        rule(policy, "off", "seg_growth", 1, token, enabled=False),
        rule(policy, "gone", "seg_gone", 2, token),
        rule(policy, "mb only", "seg_growth", 3, {"credit:mb": {"amount": 0.01}}),
        rule(policy, "broken", "seg_broken", 4, token),
        rule(policy, "vips", "seg_vip", 5, token),
        rule(policy, "growth", "seg_growth", 6, {"credit:token": {"amount": 0.006}}),
        rule(policy, "growth later", "seg_growth", 7, token),
    ]
    book = RuleBook(rules, {"seg_growth": GROWTH, "seg_broken": ALWAYS_FAILS, "seg_vip": VIP})
    failures: list[tuple[str, str, str]] = []
    prices = EffectivePrices(policy, book, on_segment_error=lambda *failure: failures.append(failure))
    resolution = prices.explain("gina", "credit:token")
    assert resolution.price.to_json() == {"amount": 0.006}
    assert resolution.source.kind == "rule"
    assert (resolution.source.rule.id, resolution.source.rule.name, resolution.source.rule.priority,
            resolution.source.rule.segment) == ("prr_growth", "growth", 6, "seg_growth")
    assert _whys(resolution) == [
        ("off", "disabled"), ("gone", "segment_deleted"), ("mb only", "does_not_override_target"),
        ("broken", "evaluation_failed"), ("vips", "segment_not_matched"), ("growth", "applied"),
        ("growth later", "outranked"),
    ]
    broken = resolution.considered[3]
    assert broken.matched is False and broken.error and "nope" in broken.error
    assert [(f.segment, f.customer) for f in resolution.failures] == [("seg_broken", "gina")]
    assert failures and failures[0][:2] == ("seg_broken", "gina")
    shown = resolution.to_json()
    assert shown["source"]["rule"] == {"id": "prr_growth", "name": "growth", "priority": 6,
                                       "segment": "seg_growth", "supersedes": None}
    assert set(shown) == {"target", "price", "source", "considered"}
    assert shown["considered"][2] == {"rule": shown["considered"][2]["rule"], "matched": None,
                                      "overrides_target": False, "why": "does_not_override_target"}
    # the hook answers the same as the explanation
    assert prices.resolve(policy.customers["gina"], "credit:token") == {"amount": 0.006}


def test_customer_override_and_policy_sources() -> None:
    policy = new_policy()
    policy.create_customer("sam", plan="starter")
    book = RuleBook([rule(policy, "growth", "seg_growth", 1, {"credit:token": {"amount": 0.005}})],
                    {"seg_growth": GROWTH})
    overrides = {"sam": parse_price_overrides({"credit:token": {"amount": 0.008}}, policy)}
    prices = EffectivePrices(policy, book, overrides)
    own = prices.explain("sam", "credit:token")
    assert (own.source.kind, own.price.to_json()) == ("customer_override", {"amount": 0.008})
    base = prices.explain("sam", "credit:mb")
    assert base.source.kind == "policy"
    assert base.price.to_json() == {"pricing_model": "tiered", "tiers": [
        {"up_to": 100, "price": {"amount": 0.04}}, {"price": {"amount": 0.02}}]}
    assert prices.explain("sam", "topup:pack").price.to_json() == {"amount": 5}


def test_a_failing_condition_never_breaks_the_billable_action() -> None:
    policy = new_policy()
    policy.create_customer("gina", plan="growth")
    book = RuleBook([rule(policy, "broken", "seg_broken", 1, {"credit:token": {"amount": 0.005}}),
                     rule(policy, "growth", "seg_growth", 2, {"credit:token": {"amount": 0.006}})],
                    {"seg_broken": ALWAYS_FAILS, "seg_growth": GROWTH})
    failures: list[tuple[str, str, str]] = []
    events: list = []

    def on_error(*failure: str) -> None:
        failures.append(failure)
        raise RuntimeError("the recorder itself failing must not break metering either")

    priced = EffectivePrices(policy, book, on_segment_error=on_error).priced(subscribers=[recorder(events)])
    assert priced.allow("gina", "t", 1100)
    assert events[-1][1]["overage_price"] == pytest.approx(0.6)  # the next rule: 100 @0.006
    assert {segment for segment, _, _ in failures} == {"seg_broken"}


def test_rules_whose_segment_or_target_is_gone() -> None:
    policy = new_policy()
    policy.create_customer("gina", plan="growth")
    policy.create_customer("sam", plan="starter")
    mb_rule = rule(policy, "mb", "seg_growth", 1, {"credit:mb": {"amount": 0.01}, "topup:bulk": {"amount": 1}})
    gone = rule(policy, "gone", "seg_deleted", 2, {"credit:token": {"amount": 0.001}})
    without_mb = {"policy": {**DOCUMENT["policy"], "credits": {"token": DOCUMENT["policy"]["credits"]["token"]},
                             "plans": {name: {**plan, "entitlements": {"t": plan["entitlements"]["t"]}}
                                       for name, plan in DOCUMENT["policy"]["plans"].items()}}}
    changed = new_policy(without_mb)
    changed.create_customer("gina", plan="growth")
    changed.create_customer("sam", plan="starter")
    prices = EffectivePrices(changed, RuleBook([mb_rule, gone], {"seg_growth": GROWTH}))
    missing = prices.explain("gina", "credit:mb")
    assert (missing.price, missing.source.kind) == (None, "policy")
    assert _whys(missing) == [("mb", "target_missing"), ("gone", "segment_deleted")]
    assert _whys(prices.explain("sam", "topup:bulk"))[0] == ("mb", "target_missing")  # not on sam's plan
    assert prices.explain("gina", "topup:bulk").price.to_json() == {"amount": 1}
    token = prices.explain("gina", "credit:token")
    assert (token.source.kind, token.price.to_json()) == ("policy", {"amount": 0.01})
    assert prices.resolve(changed.customers["gina"], "credit:token") is None


def test_segment_conditions_see_prices_without_rules() -> None:
    """A rule's segment reads margins, which are priced: inside a resolution the view prices without rules
    (the customer's own override, else the policy's price), so a resolution never consults the rules again."""
    policy = new_policy()
    for cid in ("gina", "ola"):
        policy.create_customer(cid, plan="growth")
        policy.allow(cid, "t", 1500)  # 500 past the limit: 5.0 at the policy's price
    heavy = rule(policy, "heavy", "seg_heavy", 1, {"credit:token": {"amount": 0.004}},
                 supersedes="customer-overrides")
    overrides = {"ola": parse_price_overrides({"credit:token": {"amount": 0.002}}, policy)}  # revenue 1.0
    prices = EffectivePrices(policy, RuleBook([heavy], {"seg_heavy": MARGIN_OVER_3}), overrides)
    gina = prices.explain("gina", "credit:token")
    assert (gina.source.kind, gina.price.to_json(), gina.failures) == ("rule", {"amount": 0.004}, ())
    ola = prices.explain("ola", "credit:token")
    assert (ola.source.kind, ola.price.to_json()) == ("customer_override", {"amount": 0.002})
    priced = prices.priced()
    assert priced.customer_local_margin_breakdown("gina")["revenue"] == pytest.approx(2.0)  # 500 @0.004
    assert priced.customer_local_margin_breakdown("ola")["revenue"] == pytest.approx(1.0)


def test_edits_take_effect_on_the_next_resolution() -> None:
    policy = new_policy()
    policy.create_customer("gina", plan="growth")
    policy.create_customer("vera", plan="starter", metadata={"vip": True})
    stored = {"rules": [rule(policy, "r", "seg_a", 1, {"credit:token": {"amount": 0.005}})],
              "segments": {"seg_a": GROWTH}, "versions": (1, 1)}
    built: list[tuple] = []
    books = RuleBooks(size=4)

    def price_for(cid: str):
        key = ("env_test", *stored["versions"])

        def build():
            built.append(key)
            return stored["rules"], stored["segments"]

        return EffectivePrices(policy, books.get(key, build)).resolve(policy.customers[cid], "credit:token")

    assert (price_for("gina"), price_for("vera")) == ({"amount": 0.005}, None)
    stored["segments"] = {"seg_a": VIP}
    stored["versions"] = (1, 2)  # the segment was edited
    assert (price_for("gina"), price_for("vera")) == (None, {"amount": 0.005})
    stored["rules"] = [rule(policy, "r", "seg_a", 1, {"credit:token": {"amount": 0.007}})]
    stored["versions"] = (2, 2)  # the rule was edited
    assert price_for("vera") == {"amount": 0.007}
    stored["rules"] = [rule(policy, "r", "seg_a", 1, {"credit:token": {"amount": 0.007}}, enabled=False)]
    stored["versions"] = (3, 2)  # and disabled
    assert price_for("vera") is None
    stored["segments"] = {}
    stored["rules"] = [rule(policy, "r", "seg_a", 1, {"credit:token": {"amount": 0.007}})]
    stored["versions"] = (4, 3)  # re-enabled, but the segment was deleted (forced)
    assert price_for("vera") is None
    assert built == [("env_test", 1, 1), ("env_test", 1, 2), ("env_test", 2, 2), ("env_test", 3, 2),
                     ("env_test", 4, 3)]  # each version compiled once, however many resolutions


def test_rule_books_are_reused_and_bounded() -> None:
    books = RuleBooks(size=2)
    calls: list[str] = []

    def build(name: str):
        return lambda: calls.append(name) or ([], {})

    first = books.get("a", build("a"))
    assert books.get("a", build("a")) is first
    books.get("b", build("b"))
    books.get("c", build("c"))
    books.get("a", build("a"))  # evicted by then: rebuilt
    assert calls == ["a", "b", "c", "a"]


def test_explain_refuses_unknown_targets_and_customers() -> None:
    policy = new_policy()
    policy.create_customer("gina", plan="growth")
    prices = EffectivePrices(policy)
    with pytest.raises(PricingInvalid) as bad_target:
        prices.explain("gina", "plan:growth")
    assert bad_target.value.problems[0].field == "target"
    with pytest.raises(PricingInvalid) as nobody:
        prices.explain("nobody", "credit:token")
    assert "nobody" in str(nobody.value)


def test_memoized_answers_follow_the_values_read_exactly() -> None:
    """Field-only segments are memoized by the values they read, typed (`1`, `1.0` and `true` differ in Stof),
    and a list or object value is never memoized (it can change in place)."""
    policy = new_policy()
    for cid, n in (("one", 1), ("true", True), ("float", 1.0)):
        policy.create_customer(cid, plan="growth", metadata={"n": n, "tags": ["a"]})
    book = RuleBook([rule(policy, "n is 1", "seg_n", 1, {"credit:token": {"amount": 0.001}}),
                     rule(policy, "tagged", "seg_tag", 2, {"credit:mb": {"amount": 0.002}})],
                    {"seg_n": "customer.metadata.n == 1", "seg_tag": '(?customer.metadata.tags.contains("x") ?? false)'})
    prices = EffectivePrices(policy, book)
    customers = policy.customers
    assert prices.resolve(customers["one"], "credit:token") == {"amount": 0.001}
    assert prices.resolve(customers["float"], "credit:token") == {"amount": 0.001}  # 1.0 == 1 in Stof
    assert prices.resolve(customers["true"], "credit:token") is None  # true never equals 1
    assert len(book.candidates("credit:token").memo) == 3  # 1, 1.0 and true: three keys
    assert prices.resolve(customers["true"], "credit:mb") is None
    customers["true"]["metadata"]["tags"].append("x")  # changed in place: the next resolution sees it
    assert prices.resolve(customers["true"], "credit:mb") == {"amount": 0.002}
    customers["one"]["metadata"]["n"] = 2
    assert prices.resolve(customers["one"], "credit:token") is None


def test_memo_keys_over_nested_and_odd_metadata_names() -> None:
    policy = new_policy()
    policy.create_customer("deep", plan="growth", metadata={"billing": {"tier": "gold"}, 'it\'s "x"\n': 1})
    book = RuleBook([rule(policy, "deep", "seg_deep", 1, {"credit:token": {"amount": 0.001}}),
                     rule(policy, "odd", "seg_odd", 2, {"credit:mb": {"amount": 0.002}})],
                    {"seg_deep": 'customer.metadata.billing.tier == "gold"',
                     "seg_odd": '(?customer.metadata.get("it\'s \\"x\\"\\n") ?? null) == 1'})
    prices = EffectivePrices(policy, book)
    state = policy.customers["deep"]
    assert prices.resolve(state, "credit:token") == {"amount": 0.001}
    assert prices.resolve(state, "credit:mb") == {"amount": 0.002}
    assert book.candidates("credit:token").fields == (("metadata", ("billing", "tier")),)
    state["metadata"]["billing"]["tier"] = "silver"
    state["metadata"]['it\'s "x"\n'] = 2
    assert prices.resolve(state, "credit:token") is None
    assert prices.resolve(state, "credit:mb") is None
    state["metadata"] = None
    assert prices.resolve(state, "credit:token") is None
