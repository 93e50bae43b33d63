"""The condition editor's completion data, in one place so a richer host vocabulary can replace it later."""

from __future__ import annotations

from typing import Any

from segmentr import errors
from segmentr.service import ENVIRONMENTS, Actor, Services

CUSTOMER_FIELDS = (
    ("id", "str", "the customer's id"), ("plan", "str", "the plan's name"),
    ("type", "str", "user, org or another type"), ("label", "str", "a display name"),
    ("metadata", "obj", "free-form attributes (also `data`)"),
    ("cloud_created", "int", "when the customer was created (epoch ms)"),
    ("meters", "obj", "usage meters per entitlement"), ("grants", "list", "topups and credit grants"),
)  # fmt: skip
POLICY_METHODS = (
    ("limit", ["customer_id", "name", "raw?"], "the customer's limit for an entitlement"),
    ("usage", ["customer_id", "name"], "the customer's usage of an entitlement this period"),
    ("remaining", ["customer_id", "name"], "what is left of an entitlement"),
    ("customer_local_margin_breakdown", ["customer_id"], "revenue, cost and margin this period"),
)  # fmt: skip


def plan_names(services: Services, actor: Actor) -> list[str]:
    """Plans of both environments' live policies (a segment is workspace-level), sorted, without repeats."""
    names: set[str] = set()
    for environment in ENVIRONMENTS:
        try:
            document = services.policies(actor).current(environment).document
        except errors.SegmentrError:
            continue
        names.update((document.get("policy", document).get("plans") or {}).keys())
    return sorted(names)


def entitlement_names(services: Services, actor: Actor) -> list[str]:
    names: set[str] = set()
    for environment in ENVIRONMENTS:
        try:
            document = services.policies(actor).current(environment).document
        except errors.SegmentrError:
            continue
        for plan in (document.get("policy", document).get("plans") or {}).values():
            if isinstance(plan, dict):
                names.update((plan.get("entitlements") or {}).keys())
    return sorted(names)


def editor_vocabulary(services: Services, actor: Actor) -> dict[str, Any]:
    """The completion document (docs/internal/dashboard.md) the editor's `data-vocabulary` names."""
    return {
        "variables": [
            {"name": "customer", "doc": "the customer being evaluated",
             "fields": [{"name": name, "type": kind, "doc": doc} for name, kind, doc in CUSTOMER_FIELDS]},
            {"name": "policy", "doc": "the environment's pricing policy"},
            {"name": "data", "doc": "alias of customer.metadata"},
        ],
        "methods": [{"name": name, "params": params, "doc": doc} for name, params, doc in POLICY_METHODS],
        "plans": plan_names(services, actor),
        "entitlements": entitlement_names(services, actor),
        "metadata_keys": ["email"],
    }  # fmt: skip


__all__ = ["editor_vocabulary", "entitlement_names", "plan_names"]
