"""What conditions may name, declared once: the `customer` and `event` fields, the `policy` view's methods with
their Limitr signatures (spec/policy.md §2, §3), and the two binding sets. The checker, `compile`, both execution
tiers (through `PolicyView.stof_methods`) and the editor's completion data read these.

Public names (import them from this module): ``CUSTOMER``, ``DATA``, ``POLICY``, ``EVENT`` (variables),
``SEGMENT_BINDINGS`` (customer, data, policy) and ``NOTIFICATION_BINDINGS`` (event, customer, data, policy).
"""

from __future__ import annotations

from segmentr.stof.host import BindingSet, HostField, HostMethod, HostParam, HostVariable

_ID = HostParam("id", "str")
_ENT = HostParam("entitlement", "str")


def _method(name: str, params: tuple[HostParam, ...], returns: str, doc: str) -> HostMethod:
    return HostMethod(name, params, returns, doc)


def _opt(name: str, kind: str, default: str) -> HostParam:
    return HostParam(name, kind, default)


POLICY_METHODS: tuple[HostMethod, ...] = (
    _method("entitlement", (_ID, HostParam("name", "str")), "obj|null",
            "The plan's entitlement object (overrides not reflected); `id` is a customer id or a plan name."),
    _method("limit", (_ID, _ENT, _opt("grants", "bool", "true")), "float|null",
            "The limit in credit units, plus the grant balance; null for observe limits and feature flags."),
    _method("value", (_ID, _ENT, _opt("percent", "bool", "false"), _opt("grants", "bool", "true")), "float|null",
            "Usage this period; with percent, 100 - remaining percent (100 when there is no remaining)."),
    _method("remaining", (_ID, _ENT, _opt("percent", "bool", "false"), _opt("grants", "bool", "true")),
            "float|null", "Limit - value (grants extend the limit); null for observe limits and feature flags."),
    _method("limit_obj", (_ID, _ENT), "obj|null", "The effective limit object: the customer's override, else "
                                                   "the plan's."),
    _method("credit_remaining", (_ID, HostParam("credit", "str")), "float|null",
            "The customer's grant balance in units of `credit`."),
    _method("resets", (_ID, _ENT), "int|null", "When the current period ends (epoch ms); null if it never resets."),
    _method("plan", (_ID, _opt("default", "bool", "true")), "obj|null",
            "The plan object of a plan name or customer id; the default plan as a fallback."),
    _method("default_plan", (), "obj|null", "The policy's default plan object."),
    _method("customer_local_margin_breakdown", (_ID,), "map|null",
            "The margin snapshot: a map of revenue, cost, margin and entitlements."),
    _method("cost", (_ID, _ENT), "float|null", "The entitlement's increment (not money)."),
    _method("check", (_ID, _ENT, _opt("value", "float|str", "0"), _opt("cap", "obj|map", "null"),
                      _opt("context", "obj|str", "null"), _opt("overhead", "float", "null")), "bool",
            "Would allow() accept `value`? Decides without metering anything."),
    _method("credit", (HostParam("id", "str"),), "obj|null", "The credit object named `id`."),
    _method("credit_for", (_ID, _ENT), "obj|null", "The credit an entitlement meters."),
    _method("credit_exchange", (HostParam("in_currency", "str"), HostParam("out_currency", "str"),
                                _opt("value", "float", "1")), "float|null",
            "`value` of one credit in another through the exchange; null without a path."),
    _method("customer_metadata", (_ID,), "obj|null", "The customer's metadata object."),
    _method("customer_refs", (_ID,), "list|null", "The ids the customer refers to (team, org)."),
    _method("allowance", (_ID, _ENT, _opt("grants", "bool", "true")), "float|null",
            "What a call could use now: remaining, capped by the governor's tokens."),
    _method("meter_obj", (_ID, _ENT), "obj|null", "A copy of the meter (on the scope owner) as of now."),
    _method("rate", (_ID, _ENT), "float|null", "Consumption in credit units per ms (smoothed)."),
    _method("acceleration", (_ID, _ENT), "float|null", "Change of the consumption rate, in units per ms²."),
    _method("projected_exhaustion", (_ID, _ENT, _opt("smoothed", "bool", "false"), _opt("grants", "bool", "true")),
            "int|null", "When the limit runs out at the current rate (epoch ms); null when it never does."),
)


def _f(name: str, kind: str, doc: str, fields: tuple[HostField, ...] | None = None) -> HostField:
    return HostField(name, kind, doc, fields)


CUSTOMER_FIELDS: tuple[HostField, ...] = (
    _f("id", "str", "The customer's id."),
    _f("plan", "str", "The plan name ('' when it is inherited through refs)."),
    _f("type", "str", "The customer type: user, org, team, seat..."),
    _f("label", "str", "The human-facing label."),
    _f("alt_ids", "list", "Alternative ids (email, billing id...)."),
    _f("refs", "list", "Ids of the customers it belongs to (team, org)."),
    _f("meters", "obj", "Meters by entitlement name: credit, started, value, overhead, history..."),
    _f("overrides", "obj", "Limit overrides by entitlement name."),
    _f("grants", "obj", "Credit grants by id: credit, topup, value, expires_on..."),
    _f("caps", "obj", "Spend caps by id."),
    _f("metadata", "obj|null", "Custom data (also bound as `data`)."),
    _f("cloud_created", "int", "When the customer was created (epoch ms)."),
    _f("cloud_updated", "int", "When the customer last changed (epoch ms)."),
)

_EVENT_METER = (
    _f("old", "float", "The meter before the call."),
    _f("value", "float", "The meter after the call (meter-limit: before it)."),
    _f("limit", "float", "The limit in credit units."),
    _f("diff", "float", "What the call metered."),
    _f("invalid", "float", "meter-limit: the value the call was refused."),
    _f("overhead", "float", "Overhead this period (runes)."),
    _f("overhead_diff", "float", "This call's overhead (runes)."),
    _f("price_diff", "float|null", "This call's billable units at list price (runes); null when unpriced."),
)
_EVENT_GOVERNOR = (
    _f("tokens", "float", "Tokens left."),
    _f("capacity", "float", "Bucket capacity."),
    _f("requested", "float", "What the call asked for."),
)
# the payload fields of the policy events (spec/policy.md §3), meter events and customer events together
EVENT_FIELDS: tuple[HostField, ...] = (
    _f("name", "str", "The event's name: meter-changed, meter-overage, meter-limit, customer-set..."),
    _f("meter", "obj", "Meter events: the meter's numbers.", _EVENT_METER),
    _f("customer", "str|obj", "The customer whose meter moved (the scope owner), or the changed customer."),
    _f("caller", "str|obj", "Cap events: the customer who made the call."),
    _f("entitlement", "str", "Meter and cap events: the entitlement."),
    _f("plan", "str", "Meter events: the plan name."),
    _f("credit", "obj", "Meter events: the credit object."),
    _f("remaining", "float", "Limit - value after the call."),
    _f("overage", "float", "Units past the limit (meter-overage: left uncovered by grants)."),
    _f("grant_value_applied", "float", "Units grants covered."),
    _f("overage_price", "float|null", "meter-overage: the uncovered overage in runes (what to bill)."),
    _f("invalid_value", "float", "meter-limit: the value the call was refused."),
    _f("event_data", "obj|null", "The call's event data."),
    _f("governor", "obj", "meter-governed: the token bucket.", _EVENT_GOVERNOR),
    _f("cap", "obj", "Cap events: the cap."),
    _f("previous_plan", "str|null", "customer-plan-changed: the plan before."),
    _f("new_plan", "str", "customer-plan-changed: the plan after."),
    _f("topup_name", "str", "customer-topup-granted: the topup."),
    _f("plan_name", "str", "customer-topup-granted: the plan of the topup."),
    _f("topup", "obj", "customer-topup-granted: the topup object."),
)

CUSTOMER = HostVariable("customer", "obj", "The customer being evaluated.", CUSTOMER_FIELDS)
DATA = HostVariable("data", "obj|null", "The customer's metadata (customer.metadata): any fields.")
POLICY = HostVariable("policy", "host", "The live policy, read-only.", methods=POLICY_METHODS)
EVENT = HostVariable("event", "obj", "The policy event that fired (spec/policy.md §3).", EVENT_FIELDS)

SEGMENT_BINDINGS = BindingSet("segment", (CUSTOMER, DATA, POLICY))
NOTIFICATION_BINDINGS = BindingSet("notification", (EVENT, CUSTOMER, DATA, POLICY))

__all__ = [
    "CUSTOMER",
    "CUSTOMER_FIELDS",
    "DATA",
    "EVENT",
    "EVENT_FIELDS",
    "NOTIFICATION_BINDINGS",
    "POLICY",
    "POLICY_METHODS",
    "SEGMENT_BINDINGS",
]
