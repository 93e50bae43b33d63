"""Shared fixtures for the policy engine tests: the §6 example document and a controllable clock."""

from __future__ import annotations

import copy
from typing import Any

import pytest

NOW = 1_767_225_600_000 + 10 * 86_400_000  # 2026-01-11T00:00Z
T = NOW - 86_400_000


class FakeClock:
    """An injectable clock (epoch ms) that tests move by hand."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def example_document() -> dict[str, Any]:
    return copy.deepcopy({"policy": {
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
        "customers": {
            "alice": {"id": "alice", "plan": "free", "type": "user", "label": "Alice", "alt_ids": ["a@x.io"],
                      "refs": [],
                      "meters": {"api": {"credit": "request", "started": T, "value": 1000, "overhead": 0},
                                 "chat": {"credit": "ai_token", "started": T, "value": 4000, "overhead": 0.02},
                                 "seats": {"credit": "seat", "started": T, "value": 1, "overhead": 0}},
                      "overrides": {}, "grants": {}, "caps": {}, "metadata": None},
            "bob": {"id": "bob", "plan": "pro", "type": "user", "label": "Bob",
                    "meters": {"api": {"credit": "request", "started": T, "value": 20000, "overhead": 0},
                               "chat": {"credit": "ai_token", "started": T, "value": 1500000, "overhead": 7.5},
                               "seats": {"credit": "seat", "started": T, "value": 3, "overhead": 0}},
                    "grants": {"lgrnt_a1": {"id": "lgrnt_a1", "credit": "ai_token", "topup": "tokens_1m",
                                            "created_on": T, "granted_on": T, "starting_value": 1000000,
                                            "value": 500000, "resets": False, "expires_on": None,
                                            "reset_mode": "hard"}},
                    "metadata": {"stripe": "cus_1"}},
            "carol": {"id": "carol", "plan": "enterprise", "type": "org", "label": "Acme Corp",
                      "meters": {"api": {"credit": "request", "started": T, "value": 2000000, "overhead": 0},
                                 "chat": {"credit": "ai_token", "started": T, "value": 3000000, "overhead": 15}},
                      "overrides": {"api": {"credit": "request", "mode": "hard", "value": 5000000, "increment": 1,
                                            "resets": True}},
                      "metadata": {"crm": "acme"}}}}})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorded() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def example(clock: FakeClock, recorded: list[tuple[str, dict[str, Any]]]):
    from segmentr.policy import Policy

    policy = Policy.from_document(example_document(), clock=clock)
    policy.subscribe(lambda name, payload: recorded.append((name, payload)))
    return policy
