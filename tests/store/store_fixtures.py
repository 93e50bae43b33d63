"""Shared test data for the store tests: a manual clock and a tiny two-plan policy."""

from __future__ import annotations

START_MS = 1_760_000_000_000  # 2025-10-09, a fixed "now" for deterministic timestamps


class ManualClock:
    """Epoch ms that only move when told to."""

    def __init__(self, now: int = START_MS) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> int:
        self.now += ms
        return self.now


TINY_POLICY = {
    "policy": {
        "credits": {
            "request": {"label": "Request"},
            "ai_token": {"label": "AI token", "price": {"amount": 0.00002}, "overhead_cost": 0.000005},
        },
        "plans": {
            "free": {
                "label": "Free",
                "default": True,
                "entitlements": {
                    "api": {"limit": {"credit": "request", "mode": "hard", "value": 1000, "resets": True}},
                    "chat": {"limit": {"credit": "ai_token", "mode": "soft", "value": 10000}},
                },
            },
            "pro": {
                "label": "Pro",
                "entitlements": {
                    "api": {"limit": {"credit": "request", "mode": "hard", "value": 100000, "resets": True}},
                    "chat": {"limit": {"credit": "ai_token", "mode": "soft", "value": 1000000}},
                },
            },
        },
    }
}
