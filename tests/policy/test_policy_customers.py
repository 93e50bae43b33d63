"""Customer operations, plan changes, overrides, topups and grant strategies, copies and the read-only view."""

from __future__ import annotations

import copy

from segmentr.policy import Policy, PolicyView

STRATEGY_DOC = {"policy": {
    "credits": {"ot": {}, "cheap": {}, "dear": {}},
    "exchange": {"ot": {"value": 1, "currency": "rune"}, "cheap": {"value": 0.1, "currency": "rune"},
                 "dear": {"value": 2, "currency": "rune"}, "grant_strategy": "cheapest_first"},
    "plans": {"p": {"default": True, "entitlements": {"o": {"limit": {"credit": "ot", "mode": "soft", "value": 0}}},
                    "topups": {"cheap10": {"credit": "cheap", "value": 10}, "dear1": {"credit": "dear", "value": 1},
                               "ot5": {"credit": "ot", "value": 5}}}}}}


def _grants(policy: Policy, customer: str) -> dict[str, float]:
    return {g["topup"]: g["value"] for g in policy.customer(customer)["grants"].values()}


def test_cheapest_first_after_exact_credit() -> None:
    policy = Policy.from_document(STRATEGY_DOC)
    policy.create_customer("c")
    for topup in ("dear1", "cheap10", "ot5"):
        assert policy.apply_customer_topup("c", topup)
    policy.allow("c", "o", 5)  # exact credit grants first
    assert _grants(policy, "c") == {"dear1": 1, "cheap10": 10}
    policy.allow("c", "o", 0.5)  # then the cheapest
    assert _grants(policy, "c") == {"dear1": 1, "cheap10": 5}


def test_valuable_first() -> None:
    document = copy.deepcopy(STRATEGY_DOC)
    document["policy"]["exchange"]["grant_strategy"] = "valuable_first"
    policy = Policy.from_document(document)
    policy.create_customer("c")
    policy.apply_customer_topup("c", "cheap10")
    policy.apply_customer_topup("c", "dear1")
    policy.allow("c", "o", 1)
    assert _grants(policy, "c") == {"cheap10": 10, "dear1": 0.5}


def test_with_customers_shares_the_document(example: Policy, recorded: list) -> None:
    table = {"bob": example.export_customer("bob")}
    seen: list[str] = []
    copy_ = example.with_customers(table, subscribers=[lambda name, payload: seen.append(name)])
    assert copy_.allow("bob", "api", 5)
    assert table["bob"]["meters"]["api"]["value"] == 20005
    assert example.value("bob", "api") == 20000  # the original table is untouched
    assert seen == ["meter-changed"] and recorded == []
    assert copy_.value("alice", "api") is None


def test_override_create_and_remove(example: Policy, recorded: list) -> None:
    limit = example.create_customer_override("alice", "api", value=2000)
    assert limit["value"] == 2000 and limit["mode"] == "hard"
    assert example.limit("alice", "api") == 2000
    assert example.entitlement("alice", "api")["limit"]["value"] == 1000
    assert example.create_customer_override("alice", "api", credit="nope") is None
    assert example.remove_customer_override("alice", "api")
    assert example.limit("alice", "api") == 1000
    assert [name for name, _ in recorded] == ["customer-set", "customer-set"]


def test_delete_customer(example: Policy, recorded: list) -> None:
    assert example.set_alt_customer_id("alice", "stripe_alice", event=False)
    assert example.delete_customer("stripe_alice")
    assert example.customer("alice") is None and example.customer("stripe_alice") is None
    assert recorded[-1][0] == "customer-removed"


def test_plan_change_overwrite_meters(example: Policy) -> None:
    assert example.set_customer_plan("alice", "pro", overwrite_meters=True)
    assert example.value("alice", "api") == 0
    assert example.plan("alice")["label"] == "Pro"


def test_view_is_read_only(example: Policy) -> None:
    view = example.view()
    assert isinstance(view, PolicyView)
    for name, (low, high) in PolicyView.stof_methods.items():
        assert callable(getattr(view, name)) and 0 <= low <= high
    for forbidden in ("allow", "increment", "create_customer", "set_customer_plan", "apply_customer_topup"):
        assert not hasattr(view, forbidden)
    before = example.export_customer("bob")
    limit = view.limit_obj("carol", "api")
    limit["value"] = 1
    assert example.limit("carol", "api") == 5_000_000
    assert view.check("bob", "chat", 10**9) is True
    assert view.value("bob", "chat") == 1_500_000
    assert view.customer_local_margin_breakdown("bob")["margin"] == 25.0
    assert example.export_customer("bob") == before
