"""The six condition templates and the custom examples, with exactly the code of the source document."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Template:
    """A named, ready-to-use condition. Applying it switches the editor to Advanced mode with ``code``."""

    key: str
    name: str
    description: str
    code: str


TEMPLATES: tuple[Template, ...] = (
    Template(
        "recently_created",
        "Recently Created",
        "Customers created within the last 7 days.",
        "const ts: ms = Time.now() - 7days;\ncustomer.cloud_created != null && customer.cloud_created > ts",
    ),
    Template(
        "active_customers",
        "Active Customers",
        "Customers updated within the last 30 days.",
        "const ts: ms = Time.now() - 30days;\ncustomer.cloud_updated != null && customer.cloud_updated >= ts",
    ),
    Template(
        "inactive_customers",
        "Inactive Customers",
        "Customers not updated in the last 30 days.",
        "const ts: ms = Time.now() - 30days;\ncustomer.cloud_updated != null && customer.cloud_updated < ts",
    ),
    Template(
        "overage",
        "Overage",
        "Customers with at least one entitlement where the meter has exceeded a soft limit.",
        """for (const field in customer.meters.fields()) {
const name = field[0];
const ent = ?policy.entitlement(customer.id, name);
if (ent != null && ent.limit != null && ent.limit.mode == 'soft') {
const limit = ?policy.limit(customer.id, name);
const current = ?policy.value(customer.id, name);
if (limit != null && current != null && current > limit) return true;
}
}
false""",
    ),
    Template(
        "hard_limit_imminent",
        "Hard Limit Imminent",
        "Customers with a hard-limited entitlement at 90% or more of its limit.",
        """for (const field in customer.meters.fields()) {
const name = field[0];
const ent = ?policy.entitlement(customer.id, name);
if (ent != null && ent.limit != null && ent.limit.mode == 'hard') {
const limit = ?policy.limit(customer.id, name);
const current = ?policy.value(customer.id, name);
if (limit != null && current != null && current >= limit * 0.9) return true;
}
}
false""",
    ),
    Template(
        "negative_snapshot_margin",
        "Negative Snapshot Margin",
        "Customers with a negative margin in the current snapshot.",
        "const snapshot = ?policy.customer_local_margin_breakdown(customer.id);\n"
        "(?snapshot.get('margin') ?? 0) < 0",
    ),
)

# The source document's "Custom condition examples" (and the Advanced-mode examples before them).
EXAMPLES: tuple[Template, ...] = (
    Template("growth", "Growth customers", "Customers on the Growth plan.", 'customer.plan == "growth"'),
    Template(
        "enterprise_orgs",
        "Enterprise orgs",
        "Enterprise customers that are organisations.",
        'customer.plan == "enterprise" && customer.type == "org"',
    ),
    Template(
        "pilot_tier",
        "Pilot tier",
        "Match customers with a specific metadata field.",
        '// Match customers with a specific metadata field\ndata.internal_tier == "pilot"',
    ),
    Template(
        "growth_or_enterprise",
        "Customers on Growth or Enterprise",
        "Customers on the Growth or the Enterprise plan.",
        'customer.plan == "growth" || customer.plan == "enterprise"',
    ),
    Template("org_only", "Org customers only", "Customers of type org.", 'customer.type == "org"'),
    Template(
        "enterprise_orgs_20_seats",
        "Enterprise orgs with more than 20 seats used",
        "Enterprise organisations using more than 20 seats.",
        'customer.type == "org" &&\ncustomer.plan == "enterprise" &&\n(?policy.value(customer.id, "seats") ?? 0) > 20',
    ),
    Template(
        "metadata_tag",
        "Customers with a specific metadata tag",
        "A custom billing tier or an account manager.",
        'data.billing_tier == "custom" || data.account_manager != null',
    ),
    Template(
        "active_grants",
        "Customers with active grants",
        "Customers holding at least one grant.",
        "customer.grants != null && customer.grants.fields().len() > 0",
    ),
    Template(
        "high_value_approaching_limit",
        "High-value customers approaching their limit",
        "A hard-limited entitlement at 80% or more of its limit.",
        """for (const field in customer.meters.fields()) {
const name = field[0];
const ent = ?policy.entitlement(customer.id, name);
if (ent != null && ent.limit != null && ent.limit.mode == 'hard') {
const pct = ?policy.value(customer.id, name, true);
if (pct != null && pct >= 80) return true;
}
}
false""",
    ),
)

_BY_KEY = {template.key: template for template in (*TEMPLATES, *EXAMPLES)}


def template(key: str) -> Template:
    """A template or example by its key (``overage``, ``recently_created``, …); KeyError if unknown."""
    return _BY_KEY[key]


__all__ = ["EXAMPLES", "TEMPLATES", "Template", "template"]
