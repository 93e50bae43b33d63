"""The customer record's one set of checks (``segmentr.policy.customer``): shapes of spec/policy.md §1.8-§1.10,
plans and credits of a policy, finite numbers, 64-bit integers, lengths; the document validator uses them."""

from __future__ import annotations

import math

import pytest

from segmentr.policy import PolicyDocumentError, validate_document
from segmentr.policy.customer import (
    MAX_ID_CHARS,
    CustomerRules,
    InvalidCustomer,
    customer_problems,
    fill_customer,
    normalised,
)

RULES = CustomerRules(plans=frozenset({"free", "pro"}), credits=frozenset({"request", "ai_token"}))


def _problems(record: dict, rules: CustomerRules | None = RULES) -> list[str]:
    return customer_problems(normalised(record), rules)


def test_a_well_formed_record_has_no_problems() -> None:
    record = {
        "id": "bob", "plan": "pro", "meters": {"api": {"credit": "request", "started": 1, "value": 2.5, "overhead": 0}},
        "grants": {"lgrnt_1": {"id": "lgrnt_1", "credit": "ai_token", "value": 10, "topup": "t", "expires_on": None}},
        "overrides": {"api": {"credit": "request", "mode": "soft", "value": 5}},
        "caps": {"c1": {"credit": "rune", "value": 3}},
        "metadata": {"n": 2**64 - 1, "nested": [{"x": -(2**63)}]},
    }
    assert _problems(record) == []
    assert "mode" in record["overrides"]["api"] and "increment" not in record["overrides"]["api"]  # left as given


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"id": "c", "meters": {"e": "lots"}}, "customers.c.meters.e: expected an object {credit, started, value, …}"),
        ({"id": "c", "meters": {"e": {"started": 1}}}, "customers.c.meters.e.value: expected a number, got null"),
        ({"id": "c", "meters": {"e": {"started": "x", "value": 1}}}, "customers.c.meters.e.started: expected a number"),
        ({"id": "c", "meters": {"e": {"started": 1, "value": 1, "overhead": "x"}}},
         "customers.c.meters.e.overhead: expected a number or null"),
        ({"id": "c", "grants": {"g": {"credit": "gold", "value": 1}}}, "customers.c.grants.g.credit: unknown credit"),
        ({"id": "c", "grants": {"g": {"credit": "request"}}}, "customers.c.grants.g.value: expected a number"),
        ({"id": "c", "overrides": {"api": {"credit": "request", "mode": "loud"}}},
         "customers.c.overrides.api.mode: expected one of hard, soft, observe"),
        ({"id": "c", "overrides": {"api": 5}}, "customers.c.overrides.api: expected a limit object"),
        ({"id": "c", "caps": {"k": {"value": "x"}}}, "customers.c.caps.k.value: expected a number"),
        ({"id": "c", "plan": "gold"}, 'customers.c.plan: unknown plan "gold" (the policy\'s plans: free, pro)'),
        ({"id": "c", "refs": ["ok", ""]}, "customers.c.refs: each id must have 1 to 255 characters"),
        ({"id": "c", "label": "x" * 501}, "customers.c.label: at most 500 characters, got 501"),
        ({"id": "c", "metadata": {"n": 2**64}}, "customers.c.metadata.n: integer out of the 64-bit range"),
        ({"id": "c", "metadata": {"a": [1, math.nan]}}, "customers.c.metadata.a.1: expected a finite number, got nan"),
        ({"id": "c", "meters": {"e": {"started": 1, "value": math.inf}}},
         "customers.c.meters.e.value: expected a finite number, got inf"),
        ({"id": "c", "cloud_created": 2**63}, "customers.c.cloud_created: integer out of the 64-bit range"),
        ({"id": "c", "cloud_created": "yesterday"}, "customers.c.cloud_created: expected integer epoch milliseconds"),
        ({"id": "x" * (MAX_ID_CHARS + 1)}, "customer.id: at most 255 characters, got 256"),
        ({"plan": "free"}, "customer.id: expected a non-empty string, got null"),
    ],
)
def test_each_problem_is_one_line_with_its_path(record: dict, problem: str) -> None:
    problems = _problems(record)
    assert any(line.startswith(problem) for line in problems), problems
    assert all("\n" not in line for line in problems)


def test_without_a_policy_names_are_not_checked() -> None:
    assert _problems({"id": "c", "plan": "gold", "grants": {"g": {"credit": "gold", "value": 1}}}, None) == []


def test_normalised_fills_defaults_and_coerces_documented_cases() -> None:
    record = normalised({"id": 12, "cloud_created": 5.0, "alt_ids": None})
    assert record["id"] == "12" and record["cloud_created"] == 5 and record["alt_ids"] == []
    assert (record["plan"], record["type"], record["label"], record["metadata"]) == ("", "user", "User", None)
    with pytest.raises(InvalidCustomer, match="expected a JSON object"):
        normalised(["not", "a", "record"])
    assert fill_customer({"id": "a"})["meters"] == {} and fill_customer({"id": "a"})["meters"] is not \
        fill_customer({"id": "b"})["meters"]


def test_the_policy_document_checks_its_customers_the_same_way() -> None:
    document = {"credits": {"request": {}}, "plans": {"free": {}},
                "customers": {"c": {"plan": "gold", "meters": {"e": "lots"}}}}
    with pytest.raises(PolicyDocumentError) as caught:
        validate_document(document)
    assert any(p.startswith("customers.c.meters.e: expected an object") for p in caught.value.messages)
    assert any(p.startswith('customers.c.plan: unknown plan "gold"') for p in caught.value.messages)
