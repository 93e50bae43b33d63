"""The example policy of spec/policy.md §6 (credits and plans, and its customers alice, bob and carol with meters
started at a given time), plus a clock tests move by hand. The segments tests build on the same plans."""

from __future__ import annotations

import copy
from typing import Any

NOW = 1_767_225_600_000 + 10 * 86_400_000  # 2026-01-11T00:00Z
T = NOW - 86_400_000

# spec/policy.md §6 as written (without its customers); deep-copy it before changing anything
EXAMPLE_POLICY: dict[str, Any] = {
    "credits": {"request": {"label": "Request"}, "seat": {"label": "Seat"},
                "ai_token": {"label": "AI token", "price": {"amount": 0.00002}, "overhead_cost": 0.000005}},
    "plans": {
        "free": {"label": "Free", "default": True, "entitlements": {
            "api": {"limit": {"credit": "request", "mode": "hard", "value": 1000, "resets": True}},
            "chat": {"limit": {"credit": "ai_token", "mode": "hard", "value": 10000, "resets": True,
                               "reset_sch": "monthly:1"}},
            "seats": {"limit": {"credit": "seat", "value": 1}}}},
        "pro": {"label": "Pro", "entitlements": {
            "api": {"limit": {"credit": "request", "value": 100000, "resets": True}},
            "chat": {"limit": {"credit": "ai_token", "mode": "soft", "value": 1000000, "resets": True,
                               "reset_sch": "monthly:1"}},
            "seats": {"limit": {"credit": "seat", "value": 10}},
            "export_pdf": {"description": "feature flag"}},
            "topups": {"tokens_1m": {"credit": "ai_token", "value": 1000000, "price": {"amount": 15}}}},
        "enterprise": {"label": "Enterprise", "hidden": True, "entitlements": {
            "api": {"limit": {"credit": "request", "value": 1000000, "resets": True}},
            "chat": {"limit": {"credit": "ai_token", "mode": "observe", "value": 0}}, "export_pdf": {}}}},
}  # fmt: skip


class FakeClock:
    """An injectable clock (epoch ms) that tests move by hand."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def example_customers(started: int = T) -> dict[str, dict[str, Any]]:
    """The §6 customers, their meters started at `started` (inside the current period: no reset pending)."""
    return {
        "alice": {"id": "alice", "plan": "free", "type": "user", "label": "Alice", "alt_ids": ["a@x.io"],
                  "refs": [],
                  "meters": {"api": {"credit": "request", "started": started, "value": 1000, "overhead": 0},
                             "chat": {"credit": "ai_token", "started": started, "value": 4000, "overhead": 0.02},
                             "seats": {"credit": "seat", "started": started, "value": 1, "overhead": 0}},
                  "overrides": {}, "grants": {}, "caps": {}, "metadata": None},
        "bob": {"id": "bob", "plan": "pro", "type": "user", "label": "Bob",
                "meters": {"api": {"credit": "request", "started": started, "value": 20000, "overhead": 0},
                           "chat": {"credit": "ai_token", "started": started, "value": 1500000, "overhead": 7.5},
                           "seats": {"credit": "seat", "started": started, "value": 3, "overhead": 0}},
                "grants": {"lgrnt_a1": {"id": "lgrnt_a1", "credit": "ai_token", "topup": "tokens_1m",
                                        "created_on": started, "granted_on": started, "starting_value": 1000000,
                                        "value": 500000, "resets": False, "expires_on": None,
                                        "reset_mode": "hard"}},
                "metadata": {"stripe": "cus_1"}},
        "carol": {"id": "carol", "plan": "enterprise", "type": "org", "label": "Acme Corp",
                  "meters": {"api": {"credit": "request", "started": started, "value": 2000000, "overhead": 0},
                             "chat": {"credit": "ai_token", "started": started, "value": 3000000, "overhead": 15}},
                  "overrides": {"api": {"credit": "request", "mode": "hard", "value": 5000000, "increment": 1,
                                        "resets": True}},
                  "metadata": {"crm": "acme"}},
    }  # fmt: skip


def example_document() -> dict[str, Any]:
    """The whole §6 document, customers included (a fresh copy each call)."""
    return {"policy": {**copy.deepcopy(EXAMPLE_POLICY), "customers": example_customers()}}
