"""The example policy of spec/policy.md §6 (from the policy tests) and customers around it, for the template and
evaluator tests."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

from segmentr.policy import Policy

# The §6 example lives with the policy tests, whose folder pytest puts on sys.path only when it collects them
# (and `policy` alone names bench/policy.py once the bench tests have run): add the folder, import by module name.
_POLICY_TESTS = str(Path(__file__).resolve().parent.parent / "policy")
if _POLICY_TESTS not in sys.path:
    sys.path.append(_POLICY_TESTS)
from policy_example import EXAMPLE_POLICY  # noqa: E402

NOW_MS = 1_718_452_800_000  # 2024-06-15T12:00:00Z, mid-period: no monthly reset pending
DAY_MS = 86_400_000
T = NOW_MS - DAY_MS  # inside the current period: no reset pending

# The §6 example policy, plus a seat limit on enterprise so the seat templates have something to count for carol.
DOCUMENT: dict[str, Any] = {"policy": copy.deepcopy(EXAMPLE_POLICY)}
DOCUMENT["policy"]["plans"]["enterprise"]["entitlements"]["seats"] = {"limit": {"credit": "seat", "value": 50}}


def meter(credit: str, value: float, overhead: float = 0) -> dict[str, Any]:
    return {"credit": credit, "started": T, "value": value, "overhead": overhead}


def customer(customer_id: str, plan: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": customer_id, "plan": plan, "type": "user", "label": customer_id.title(), "alt_ids": [], "refs": [],
        "meters": {}, "overrides": {}, "grants": {}, "caps": {}, "metadata": None,
        "cloud_created": NOW_MS - 100 * DAY_MS, "cloud_updated": NOW_MS - 10 * DAY_MS,
    }  # fmt: skip
    base.update(fields)
    return base


CUSTOMERS: dict[str, dict[str, Any]] = {
    # free, api at its hard limit, chat 40 %: hard limit imminent; margin −100
    "alice": customer("alice", "free", meters={"api": meter("request", 1000), "chat": meter("ai_token", 4000, 0.02),
                                               "seats": meter("seat", 1)}),
    # pro, 1.5M tokens of a soft 1M, but a 1M top-up grant raises the limit: not in overage; margin 25
    "bob": customer("bob", "pro", meters={"api": meter("request", 20000), "chat": meter("ai_token", 1500000, 7.5),
                                          "seats": meter("seat", 3)},
                    grants={"lgrnt_a1": {"id": "lgrnt_a1", "credit": "ai_token", "topup": "tokens_1m", "created_on": T,
                                         "granted_on": T, "starting_value": 1000000, "value": 500000,
                                         "resets": False, "expires_on": None, "reset_mode": "hard"}},
                    metadata={"stripe": "cus_1"}),
    # pro without grants, past the soft chat limit: overage
    "dave": customer("dave", "pro", meters={"chat": meter("ai_token", 1200000, 6.0), "seats": meter("seat", 2)},
                     cloud_created=NOW_MS - 3 * DAY_MS, cloud_updated=NOW_MS - 1 * DAY_MS),
    # enterprise org with 25 seats used and an api override
    "carol": customer("carol", "enterprise", type="org", label="Acme Corp",
                      meters={"api": meter("request", 2000000), "chat": meter("ai_token", 3000000, 15),
                              "seats": meter("seat", 25)},
                      overrides={"api": {"credit": "request", "mode": "hard", "value": 5000000, "increment": 1,
                                         "resets": True}},
                      metadata={"crm": "acme", "billing_tier": "custom"}, cloud_updated=NOW_MS - 40 * DAY_MS),
    # no meters at all (null): the meter templates fail for it, so it does not match
    "erin": customer("erin", "free", meters=None, metadata={"internal_tier": "pilot", "account_manager": "Zoe"},
                     cloud_created=NOW_MS - 8 * DAY_MS, cloud_updated=None),
}  # fmt: skip


def make_policy() -> Policy:
    return Policy.from_document(copy.deepcopy(DOCUMENT), clock=lambda: NOW_MS)
