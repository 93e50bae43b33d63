"""A small policy with a flat and a tiered credit and two plans with topups, and helpers to build rules over it.

Hand-computed prices in the tests read from these numbers: `token` 0.01 per unit (cost 0.002), `mb` tiered
0-100 @0.04 then @0.02 (cost 0.01), soft limits `t` 1000 tokens and `m` 0 MB, topup `pack` 5 on both plans.
"""

from __future__ import annotations

import copy
from typing import Any

from segmentr.policy import Policy
from segmentr.pricing import PricingRule, parse_rule
from segmentr_testkit.pricing_policy import DOCUMENT

NOW = 1_767_225_600_000 + 10 * 86_400_000  # 2026-01-11T00:00Z


GROWTH = 'customer.plan == "growth"'
VIP = "customer.metadata.vip == true"
ALWAYS_FAILS = "customer.plan.nope()"


def new_policy(document: dict[str, Any] | None = None) -> Policy:
    return Policy.from_document(copy.deepcopy(document or DOCUMENT), clock=lambda: NOW)


def rule(policy: Policy, name: str, segment: str, priority: int, overrides: dict[str, Any],
         **fields: Any) -> PricingRule:
    """A rule through the same validation a save goes through; its id derives from its name."""
    raw = {"name": name, "segment": segment, "priority": priority, "overrides": overrides, **fields}
    return parse_rule(raw, policy, rule_id=f"prr_{name.replace(' ', '_')}")


def recorder(events: list[tuple[str, dict[str, Any]]]):
    return lambda name, payload: events.append((name, payload))
