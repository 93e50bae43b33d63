"""Benchmark fixtures: the seed conditions, realistic customers and the policy the conditions read.

The policy is the real engine (`segmentr.policy`) when it is available, otherwise `StandInPolicy`, a small
in-memory implementation of the four read methods the seed conditions call (spec/policy.md §2.2 and §4),
enough to give every implementation the same answers at a realistic cost.
"""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

DAY_MS = 86_400_000

ConditionGroup = Literal["field", "call", "loop"]

# Targets per group (ratio to the floor). "field": plan/type/metadata/grants reads (issue 2: 3x); "loop": the
# templates that loop over meters with policy calls (issue 2: 5x); "call": one Time or policy call, no target
# stated in the issue, held to the loop bound.
TARGET_RATIO: dict[ConditionGroup, float] = {"field": 3.0, "call": 5.0, "loop": 5.0}


@dataclass(frozen=True)
class SeedCondition:
    """One condition of the seed document, verbatim."""

    key: str
    title: str
    source: str
    group: ConditionGroup


_LOOP_SOFT_OVERAGE = """for (const field in customer.meters.fields()) {
const name = field[0];
const ent = ?policy.entitlement(customer.id, name);
if (ent != null && ent.limit != null && ent.limit.mode == 'soft') {
const limit = ?policy.limit(customer.id, name);
const current = ?policy.value(customer.id, name);
if (limit != null && current != null && current > limit) return true;
}
}
false"""

_LOOP_HARD_IMMINENT = """for (const field in customer.meters.fields()) {
const name = field[0];
const ent = ?policy.entitlement(customer.id, name);
if (ent != null && ent.limit != null && ent.limit.mode == 'hard') {
const limit = ?policy.limit(customer.id, name);
const current = ?policy.value(customer.id, name);
if (limit != null && current != null && current >= limit * 0.9) return true;
}
}
false"""

_LOOP_HIGH_VALUE = """for (const field in customer.meters.fields()) {
const name = field[0];
const ent = ?policy.entitlement(customer.id, name);
if (ent != null && ent.limit != null && ent.limit.mode == 'hard') {
const pct = ?policy.value(customer.id, name, true);
if (pct != null && pct >= 80) return true;
}
}
false"""

# Every condition of /work/shared/seed/customer-segments.txt: the three Advanced-mode examples, the six
# templates and the six custom examples, in document order.
SEED_CONDITIONS: tuple[SeedCondition, ...] = (
    SeedCondition("plan-growth", "Advanced: plan is growth", 'customer.plan == "growth"', "field"),
    SeedCondition(
        "enterprise-org",
        "Advanced: enterprise org",
        'customer.plan == "enterprise" && customer.type == "org"',
        "field",
    ),
    SeedCondition(
        "metadata-pilot",
        "Advanced: metadata field",
        '// Match customers with a specific metadata field\ndata.internal_tier == "pilot"',
        "field",
    ),
    SeedCondition(
        "recently-created",
        "Template: Recently Created",
        "const ts: ms = Time.now() - 7days;\ncustomer.cloud_created != null && customer.cloud_created > ts",
        "call",
    ),
    SeedCondition(
        "active",
        "Template: Active Customers",
        "const ts: ms = Time.now() - 30days;\ncustomer.cloud_updated != null && customer.cloud_updated >= ts",
        "call",
    ),
    SeedCondition(
        "inactive",
        "Template: Inactive Customers",
        "const ts: ms = Time.now() - 30days;\ncustomer.cloud_updated != null && customer.cloud_updated < ts",
        "call",
    ),
    SeedCondition("overage", "Template: Overage", _LOOP_SOFT_OVERAGE, "loop"),
    SeedCondition("hard-limit-imminent", "Template: Hard Limit Imminent", _LOOP_HARD_IMMINENT, "loop"),
    SeedCondition(
        "negative-margin",
        "Template: Negative Snapshot Margin",
        "const snapshot = ?policy.customer_local_margin_breakdown(customer.id);\n"
        "(?snapshot.get('margin') ?? 0) < 0",
        "call",
    ),
    SeedCondition(
        "growth-or-enterprise",
        "Example: Growth or Enterprise",
        'customer.plan == "growth" || customer.plan == "enterprise"',
        "field",
    ),
    SeedCondition("org-only", "Example: Org customers only", 'customer.type == "org"', "field"),
    SeedCondition(
        "enterprise-seats",
        "Example: Enterprise orgs, > 20 seats",
        'customer.type == "org" &&\ncustomer.plan == "enterprise" &&\n'
        '(?policy.value(customer.id, "seats") ?? 0) > 20',
        "call",
    ),
    SeedCondition(
        "metadata-tag",
        "Example: metadata tag",
        'data.billing_tier == "custom" || data.account_manager != null',
        "field",
    ),
    SeedCondition(
        "active-grants",
        "Example: active grants",
        "customer.grants != null && customer.grants.fields().len() > 0",
        "field",
    ),
    SeedCondition("high-value", "Example: high-value near limit", _LOOP_HIGH_VALUE, "loop"),
)

# A Limitr policy document (spec/policy.md §6 layout): five metered entitlements per paid plan, each limit mode.
POLICY_DOCUMENT: dict[str, Any] = {
    "policy": {
        "credits": {
            "request": {"label": "Request", "price": {"amount": 0.001}, "overhead_cost": 0.0002},
            "ai_token": {"label": "AI token", "price": {"amount": 0.00002}, "overhead_cost": 0.000005},
            "seat": {"label": "Seat", "price": {"amount": 12}},
            "mb_storage": {"label": "MB storage", "price": {"amount": 0.02}, "overhead_cost": 0.005},
            "export": {"label": "Export", "overhead_cost": 0.01},
        },
        "plans": {
            "free": {
                "label": "Free",
                "default": True,
                "entitlements": {
                    "api": {"limit": {"credit": "request", "mode": "hard", "value": 1000, "resets": True}},
                    "chat": {"limit": {"credit": "ai_token", "mode": "hard", "value": 10000}},
                    "seats": {"limit": {"credit": "seat", "mode": "hard", "value": 1}},
                },
            },
            "growth": {
                "label": "Growth",
                "entitlements": {
                    "api": {"limit": {"credit": "request", "mode": "hard", "value": 100000, "resets": True}},
                    "chat": {"limit": {"credit": "ai_token", "mode": "soft", "value": 1000000}},
                    "seats": {"limit": {"credit": "seat", "mode": "hard", "value": 10}},
                    "storage": {"limit": {"credit": "mb_storage", "mode": "soft", "value": 5000}},
                    "exports": {"limit": {"credit": "export", "mode": "observe", "value": 0}},
                    "export_pdf": {"description": "feature flag"},
                },
            },
            "enterprise": {
                "label": "Enterprise",
                "entitlements": {
                    "api": {"limit": {"credit": "request", "mode": "hard", "value": 1000000, "resets": True}},
                    "chat": {"limit": {"credit": "ai_token", "mode": "soft", "value": 5000000}},
                    "seats": {"limit": {"credit": "seat", "mode": "hard", "value": 50}},
                    "storage": {"limit": {"credit": "mb_storage", "mode": "soft", "value": 50000}},
                    "exports": {"limit": {"credit": "export", "mode": "observe", "value": 0}},
                    "export_pdf": {},
                },
            },
        },
    }
}


def _meter(credit: str, value: float, overhead: float, started: int) -> dict[str, Any]:
    return {
        "credit": credit,
        "started": started,
        "value": value,
        "overhead": overhead,
        "holds": {},
        "history": [{"ts": started + 3_600_000, "delta": 1}],
    }


def make_customers(now_ms: int | None = None) -> dict[str, dict[str, Any]]:
    """The benchmark customers keyed by id; timestamps are relative to `now_ms` (default: now).

    `cus_acme` is the timed one: a realistic enterprise org with 5 meters, metadata and a grant, that matches
    some conditions and runs every loop template to the end (no meter triggers). The others exist to check
    that every implementation decides the same thing on matching and non-matching customers.
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms
    started = now - 10 * DAY_MS
    acme: dict[str, Any] = {
        "id": "cus_acme",
        "plan": "enterprise",
        "type": "org",
        "label": "Acme Corp",
        "alt_ids": ["ops@acme.io", "cus_Stripe4711"],
        "refs": [],
        "meters": {
            "api": _meter("request", 412_000, 82.4, started),
            "chat": _meter("ai_token", 3_100_000, 15.5, started),
            "seats": _meter("seat", 34, 0, started),
            "storage": _meter("mb_storage", 21_500, 107.5, started),
            "exports": _meter("export", 120, 1.2, started),
        },
        "overrides": {},
        "grants": {
            "lgrnt_a1": {
                "id": "lgrnt_a1",
                "credit": "ai_token",
                "topup": "tokens_1m",
                "created_on": started,
                "granted_on": started,
                "starting_value": 1_000_000,
                "value": 400_000,
                "resets": False,
                "expires_on": None,
                "reset_mode": "hard",
            }
        },
        "caps": {},
        "metadata": {
            "email": "ops@acme.io",
            "region": "eu",
            "internal_tier": "ga",
            "billing_tier": "standard",
            "account_manager": None,
            "crm_id": "0015g00000XyZ",
            "industry": "logistics",
        },
        "cloud_created": now - 200 * DAY_MS,
        "cloud_updated": now - 2 * DAY_MS,
    }

    def variant(new_id: str, **changes: Any) -> dict[str, Any]:
        customer = copy.deepcopy(acme)
        customer["id"] = new_id
        for key, value in changes.items():
            if value is _DROP:
                customer.pop(key, None)
            else:
                customer[key] = value
        return customer

    growth_meters = copy.deepcopy(acme["meters"])
    growth_meters["chat"]["value"] = 1_250_000  # soft limit 1M: overage
    growth_meters["api"]["value"] = 50_000
    growth_meters["seats"]["value"] = 4
    growth_meters["storage"]["value"] = 1_000
    hard_meters = copy.deepcopy(growth_meters)
    hard_meters["chat"]["value"] = 10_000
    hard_meters["api"]["value"] = 95_000  # hard limit 100k: 95 %
    pilot_metadata = {"internal_tier": "pilot", "billing_tier": "custom", "account_manager": "Dana"}
    return {
        customer["id"]: customer
        for customer in (
            acme,
            variant(
                "cus_bolt",
                plan="growth",
                type="user",
                meters=growth_meters,
                grants={},
                metadata=pilot_metadata,
                cloud_created=now - 2 * DAY_MS,
                cloud_updated=now - 40 * DAY_MS,
            ),
            variant(
                "cus_crane",
                plan="growth",
                meters=hard_meters,
                grants=None,
                metadata={"account_manager": "Lee"},
                cloud_created=now - 8 * DAY_MS,
                cloud_updated=None,
            ),
            variant(
                "cus_dune", plan="free", type="user", metadata=None, cloud_created=_DROP, cloud_updated=_DROP
            ),
            variant("cus_echo", type="team", meters={}, grants={}, metadata={}),
            {"id": "cus_fern", "plan": "growth", "meters": {}},
        )
    }


class _Drop:
    """Marker: remove the key in a customer variant."""


_DROP: Any = _Drop()

TIMED_CUSTOMER_ID = "cus_acme"


class StandInPolicy:
    """The policy reads of spec/policy.md §2.2/§4 over a document and customers, as a Stof host object.

    Used only until the real engine (`segmentr.policy`) lands; flat prices only, no periods or overrides.
    """

    stof_methods: ClassVar[dict[str, tuple[int, int]]] = {
        "entitlement": (2, 2),
        "limit": (2, 3),
        "value": (2, 4),
        "customer_local_margin_breakdown": (1, 1),
    }

    def __init__(self, document: dict[str, Any], customers: dict[str, dict[str, Any]]) -> None:
        policy = document["policy"]
        self._credits: dict[str, Any] = policy["credits"]
        self._plans: dict[str, Any] = policy["plans"]
        self._default_plan = next((p for p in self._plans.values() if p.get("default")), None)
        self._customers = customers

    def _plan_of(self, customer_id: Any) -> dict[str, Any] | None:
        customer = self._customers.get(customer_id)
        if customer is not None:
            return self._plans.get(customer.get("plan") or "", self._default_plan)
        return self._plans.get(customer_id, self._default_plan)

    def entitlement(self, customer_id: Any, name: Any) -> dict[str, Any] | None:
        plan = self._plan_of(customer_id)
        return None if plan is None else plan.get("entitlements", {}).get(name)

    def _limit_obj(self, customer_id: Any, name: Any) -> dict[str, Any] | None:
        ent = self.entitlement(customer_id, name)
        return None if ent is None else ent.get("limit")

    def _grant_balance(self, customer_id: Any, credit: str) -> float:
        customer = self._customers.get(customer_id)
        grants = (customer or {}).get("grants") or {}
        return sum(g["value"] for g in grants.values() if g.get("credit") == credit)

    def limit(self, customer_id: Any, name: Any, grants: Any = True) -> float | None:
        limit = self._limit_obj(customer_id, name)
        if limit is None or limit.get("mode", "hard") == "observe":
            return None
        value = limit.get("value", 0)
        if grants and customer_id in self._customers:
            value += self._grant_balance(customer_id, limit["credit"])
        return value

    def value(self, customer_id: Any, name: Any, percent: Any = False, grants: Any = True) -> float | None:
        customer = self._customers.get(customer_id)
        if customer is None or self.entitlement(customer_id, name) is None:
            return None
        meter = (customer.get("meters") or {}).get(name)
        used = 0 if meter is None else meter.get("value", 0)
        if not percent:
            return used
        limit = self._limit_obj(customer_id, name)
        if limit is None or limit.get("mode", "hard") == "observe":
            return None
        allowance = limit.get("value", 0)
        balance = self._grant_balance(customer_id, limit["credit"]) if grants else 0
        if balance > 0:
            allowance = max(used, allowance) + balance
        remaining_pct = max(0, allowance - used) / allowance * 100 if allowance else 0
        return 100 - remaining_pct

    def customer_local_margin_breakdown(self, customer_id: Any) -> dict[str, Any] | None:
        customer = self._customers.get(customer_id)
        plan = self._plan_of(customer_id)
        if customer is None or plan is None:
            return None
        meters = customer.get("meters") or {}
        revenue = cost = 0.0
        entitlements: dict[str, Any] = {}
        for name, ent in plan.get("entitlements", {}).items():
            limit, meter = ent.get("limit"), meters.get(name)
            if limit is None or meter is None or limit["credit"] not in self._credits:
                continue
            credit = self._credits[limit["credit"]]
            used, allowance = meter.get("value", 0), limit.get("value", 0)
            price = (credit.get("price") or {}).get("amount", 0)
            rev_e = (used - allowance) * price if used > allowance else 0.0
            cost_e = meter.get("overhead")
            if cost_e is None:
                cost_e = used * credit.get("overhead_cost", 0)
            revenue, cost = revenue + rev_e, cost + cost_e
            margin_e = round((rev_e - cost_e) / rev_e * 100, 2) if rev_e > 0 else None
            entitlements[name] = {"cost": cost_e, "revenue": rev_e, "margin": margin_e}
        margin = round((revenue - cost) / revenue * 100, 2) if revenue > 0 else -100
        return {"revenue": revenue, "cost": cost, "margin": margin, "entitlements": entitlements}


def make_policy(customers: dict[str, dict[str, Any]], prefer_real: bool = True) -> tuple[Any, str]:
    """The policy host object the conditions read, and which engine it is ("segmentr.policy" or "stand-in")."""
    if prefer_real:
        try:
            from segmentr.policy import Policy  # type: ignore[attr-defined]
        except ImportError:
            pass
        else:
            try:
                view = Policy.from_document(POLICY_DOCUMENT).with_customers(customers).view()
            except Exception as error:  # an engine still in progress must not stop the benchmark
                print(f"segmentr.policy unusable ({error!r}); using the stand-in policy", file=sys.stderr)
            else:
                return view, "segmentr.policy"
    return StandInPolicy(POLICY_DOCUMENT, customers), "stand-in"
