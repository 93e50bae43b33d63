"""The shipped sample: a valid policy of the promised shape, and deterministic, realistic customers."""

from __future__ import annotations

from collections import Counter

from segmentr.policy.engine import Policy
from segmentr.sample import generate_customers, sample_policy

NOW = 1_760_000_000_000
YEAR_MS = 365 * 86_400_000


def test_policy_shape() -> None:
    document = sample_policy()["policy"]
    policy = Policy.from_document(sample_policy())
    assert list(policy.plans()) == ["free", "starter", "growth", "enterprise"]
    entitlements = {name for plan in document["plans"].values() for name in plan["entitlements"]}
    assert len(entitlements) == 6
    modes = {
        ent["limit"]["mode"] for plan in document["plans"].values() for ent in plan["entitlements"].values()
    }
    assert modes == {"hard", "soft", "observe"}
    models = {credit.get("pricing_model") for credit in document["credits"].values() if "price" in credit or "tiers" in credit}
    assert {"flat", "tiered"} <= models
    assert any(plan.get("topups") for plan in document["plans"].values())


def test_generation_is_deterministic() -> None:
    first = list(generate_customers(200, seed=5, now_ms=NOW))
    assert first == list(generate_customers(200, seed=5, now_ms=NOW))
    assert first != list(generate_customers(200, seed=6, now_ms=NOW))
    assert len({c["id"] for c in first}) == 200


def test_customers_are_varied_and_valid_for_the_policy() -> None:
    customers = list(generate_customers(3000, seed=1, now_ms=NOW))
    policy = Policy.from_document(sample_policy()).with_customers({c["id"]: c for c in customers})
    plans = Counter(c["plan"] for c in customers)
    assert set(plans) == {"free", "starter", "growth", "enterprise"}
    assert set(Counter(c["type"] for c in customers)) == {"user", "org", "team"}
    metadata = [c["metadata"] for c in customers]
    assert any(m is None for m in metadata)
    present = [m for m in metadata if m is not None]
    for key in ("email", "billing_tier", "account_manager", "internal_tier", "seats", "region"):
        assert any(key in m for m in present), key
        assert any(key not in m for m in present), key
    assert any(m.get("billing_tier", "x") is None for m in present)  # null values, not only missing keys
    assert any(isinstance(m.get("seats"), str) for m in present)  # numbers stored as strings
    assert any(isinstance(m.get("seats"), int) for m in present)
    assert Counter(len(c["meters"]) for c in customers).most_common(1)[0][0] == 5
    assert sum(1 for c in customers if c["grants"]) > 50
    for c in customers:
        assert NOW - YEAR_MS <= c["cloud_created"] <= c["cloud_updated"] <= NOW
    # meters near and past their limits, read through the real policy engine
    near = past = 0
    for c in customers:
        for name in c["meters"]:
            limit = policy.limit(c["id"], name, False)
            value = policy.value(c["id"], name)
            if limit and value is not None:
                near += 0.9 * limit <= value <= limit
                past += value > limit
    assert near > 300 and past > 100


def test_hard_limits_are_never_exceeded() -> None:
    document = sample_policy()["policy"]
    for c in generate_customers(2000, seed=2, now_ms=NOW):
        entitlements = document["plans"][c["plan"]]["entitlements"]
        for name, meter in c["meters"].items():
            limit = entitlements[name]["limit"]
            if limit["mode"] == "hard":
                assert meter["value"] <= limit["value"]
