"""Every row of the example table of policy.md §6."""

from __future__ import annotations

import pytest

from segmentr.policy import Policy


def test_alice_reads(example: Policy) -> None:
    limit = example.entitlement("alice", "chat")["limit"]
    assert (limit["mode"], limit["value"], limit["credit"], limit["increment"]) == ("hard", 10000, "ai_token", 1)
    assert example.entitlement("alice", "export_pdf") is None
    assert example.allow("alice", "export_pdf") is False
    assert [example.value("alice", "api"), example.limit("alice", "api"), example.remaining("alice", "api"),
            example.value("alice", "api", True)] == [1000, 1000, 0, 100]
    assert example.value("alice", "chat", True) == 40
    assert example.remaining("alice", "chat") == 6000


def test_alice_denied_calls(example: Policy, recorded: list) -> None:
    assert example.allow("alice", "api", 1) is False
    name, payload = recorded[-1]
    assert name == "meter-limit"
    assert payload["meter"]["value"] == 1000 and payload["meter"]["invalid"] == 1001
    assert payload["overage"] == 1 and payload["meter"]["price_diff"] is None
    assert example.allow("alice", "chat", 7000) is False
    name, payload = recorded[-1]
    assert name == "meter-limit"
    assert payload["overage"] == 1000
    assert payload["meter"]["price_diff"] == pytest.approx(0.02)
    assert payload["meter"]["overhead_diff"] == pytest.approx(0.035)


def test_alice_margin(example: Policy) -> None:
    assert example.customer_local_margin_breakdown("alice") == {
        "revenue": 0, "cost": 0.02, "margin": -100,
        "entitlements": {"api": {"cost": 0, "revenue": 0, "margin": None},
                         "chat": {"cost": 0.02, "revenue": 0, "margin": None},
                         "seats": {"cost": 0, "revenue": 0, "margin": None}},
    }


def test_bob_reads(example: Policy) -> None:
    assert example.limit("bob", "chat") == 1_500_000
    assert example.limit("bob", "chat", False) == 1_000_000
    assert example.value("bob", "chat") == 1_500_000
    assert example.remaining("bob", "chat") == 500_000
    assert example.remaining("bob", "chat", False, False) == -500_000
    assert example.value("bob", "chat", True) == 75
    assert example.value("bob", "chat", True, False) == 100
    assert example.credit_remaining("bob", "ai_token") == 500_000


def test_bob_metering(example: Policy, recorded: list) -> None:
    assert example.allow("bob", "chat", 10000) is True
    name, payload = recorded[-1]
    assert name == "meter-changed"
    assert example.customer("bob")["grants"]["lgrnt_a1"]["value"] == 490_000
    assert payload["meter"] == {"old": 1_500_000, "value": 1_510_000, "limit": 1_000_000, "diff": 10000,
                                "overhead": pytest.approx(7.55), "overhead_diff": pytest.approx(0.05),
                                "price_diff": pytest.approx(0.2)}
    assert payload["remaining"] == -510_000 and payload["overage"] == 0
    assert payload["grant_value_applied"] == 10000
    assert example.allow("bob", "chat", 600000) is True
    name, payload = recorded[-1]
    assert name == "meter-overage"
    assert example.customer("bob")["grants"] == {}
    assert payload["overage"] == 110_000 and payload["grant_value_applied"] == 490_000
    assert payload["overage_price"] == pytest.approx(2.2) and payload["meter"]["price_diff"] == pytest.approx(12)


def test_bob_flag_and_check(example: Policy, recorded: list) -> None:
    assert example.allow("bob", "export_pdf") is True
    assert recorded == []
    assert "export_pdf" not in example.customer("bob")["meters"]
    assert example.check("bob", "seats", 8) is False


def test_bob_margin(example: Policy) -> None:
    snapshot = example.customer_local_margin_breakdown("bob")
    assert snapshot["revenue"] == 10 and snapshot["cost"] == 7.5 and snapshot["margin"] == 25.0
    assert snapshot["entitlements"] == {"chat": {"cost": 7.5, "revenue": 10, "margin": 25},
                                        "api": {"cost": 0, "revenue": 0, "margin": None},
                                        "seats": {"cost": 0, "revenue": 0, "margin": None}}


def test_carol(example: Policy, recorded: list) -> None:
    assert example.entitlement("carol", "api")["limit"]["value"] == 1_000_000
    assert example.limit_obj("carol", "api")["value"] == 5_000_000
    assert [example.limit("carol", "api"), example.remaining("carol", "api"),
            example.value("carol", "api", True)] == [5_000_000, 3_000_000, 40]
    assert [example.limit("carol", "chat"), example.remaining("carol", "chat"),
            example.value("carol", "chat")] == [None, None, 3_000_000]
    snapshot = example.customer_local_margin_breakdown("carol")
    assert (snapshot["revenue"], snapshot["cost"], snapshot["margin"]) == (60, 15, 75.0)
    assert example.allow("carol", "chat", 1000) is True
    name, payload = recorded[-1]
    assert name == "meter-changed" and payload["meter"]["price_diff"] == pytest.approx(0.02)


def test_unknown_customer(example: Policy) -> None:
    assert example.limit("nobody", "chat") == 10000
    assert example.value("nobody", "chat") is None
    assert example.allow("nobody", "chat") is False


def test_alt_id_with_a_dot_does_not_resolve(example: Policy) -> None:
    # as in the reference, where `Obj.insert` files a dotted alt id under nested objects `Obj.get` never finds
    assert example.value("a@x.io", "api") is None
    assert example.limit("a@x.io", "api") == 1000  # the default plan's limit, as for any unknown id
    assert example.allow("a@x.io", "api") is False
    assert example.set_alt_customer_id("alice", "stripe_alice") is True
    assert example.value("stripe_alice", "api") == 1000
