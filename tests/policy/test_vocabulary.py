"""One host vocabulary: the `policy` view's methods, the customer and event fields and the binding sets are
declared once (policy/vocabulary.py) and the checker, the runtime of both execution tiers and the editor's
completion data agree with it."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from segmentr import stof
from segmentr.policy import Policy, PolicyView
from segmentr.policy.vocabulary import EVENT, NOTIFICATION_BINDINGS, POLICY, SEGMENT_BINDINGS
from segmentr.stof import StofRuntimeError, parse
from segmentr.stof.condition import Condition

DOCUMENT = {"policy": {"credits": {"r": {"label": "R"}}, "plans": {"p": {"default": True, "entitlements": {
    "api": {"limit": {"credit": "r", "value": 10}}}}}}}
# methods that existed only in the checker's old list: none of them is offered by the view
NOT_OFFERED = ("plan_for", "local_margin_breakdown", "check_increment", "check_decrement", "customer", "plan_period",
               "plan_trial_period", "plan_sub_entitlement_name", "estimate", "held")


_ARGUMENT_OF_KIND = {"str": "'api'", "bool": "false", "float|str": "1", "float": "1"}


def view_methods() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(PolicyView).items()
            if callable(member) and not name.startswith("_")}


@pytest.fixture(scope="module")
def bindings() -> dict[str, Any]:
    policy = Policy.from_document(DOCUMENT, clock=lambda: 1_767_225_600_000)
    customer = policy.create_customer("c1")
    return {"customer": customer, "policy": policy.view()}


def tiers(source: str) -> list[Condition]:
    closures = Condition(source, parse(source), promote_after=None)
    generated = Condition(source, parse(source)).optimize()
    assert not closures.optimized and generated.optimized
    return [closures, generated]


def outcome(condition: Condition, bindings: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "value", condition.evaluate(bindings)
    except StofRuntimeError as error:
        return error.kind, (str(error), error.line, error.column)


def test_the_view_offers_exactly_the_declared_methods() -> None:
    assert set(view_methods()) == {m.name for m in POLICY.methods}
    assert PolicyView.stof_methods == POLICY.stof_methods()


@pytest.mark.parametrize("method", POLICY.methods, ids=lambda m: m.name)
def test_declared_arity_and_parameters_are_the_views(method: Any) -> None:
    params = [p for p in view_methods()[method.name].parameters.values() if p.name != "self"]
    required = sum(1 for p in params if p.default is inspect.Parameter.empty)
    assert method.arity == (required, len(params))  # (argument names are Limitr's, the view's may differ)


@pytest.mark.parametrize("method", POLICY.methods, ids=lambda m: m.name)
def test_checker_and_both_tiers_agree_on_every_argument_count(method: Any, bindings: dict[str, Any]) -> None:
    low, high = method.arity
    typed = [_ARGUMENT_OF_KIND.get(p.kind, "null") for p in method.params] + ["null"]
    typed[0] = "customer.id"
    for count in range(max(0, low - 1), high + 2):
        args = ", ".join(typed[:count])
        source = f"policy.{method.name}({args})"
        warned = "arity" in {d.code for d in stof.check(source, bindings=SEGMENT_BINDINGS)}
        outcomes = [outcome(condition, bindings) for condition in tiers(source)]
        assert outcomes[0] == outcomes[1], source
        assert warned == (outcomes[0][0] == "FuncArgs"), (source, outcomes[0])
        assert warned == (not low <= count <= high), source


@pytest.mark.parametrize("name", [*NOT_OFFERED, "nosuch"])
def test_an_unknown_method_warns_and_fails_the_same_way_in_both_tiers(name: str, bindings: dict[str, Any]) -> None:
    source = f"policy.{name}(customer.id)"
    assert [d.code for d in stof.check(source, bindings=SEGMENT_BINDINGS)] == ["unknown-method"]
    closures, generated = (outcome(c, bindings) for c in tiers(source))
    assert closures == generated and closures[0] == "FuncDne"
    guarded = f"?policy.{name}(customer.id) ?? 'none'"
    assert [outcome(c, bindings) for c in tiers(guarded)] == [("value", "none")] * 2


def test_the_rate_call_of_the_old_list_is_caught(bindings: dict[str, Any]) -> None:
    source = 'policy.rate(customer.id, "api", true)'
    assert [d.code for d in stof.check(source, bindings=SEGMENT_BINDINGS)] == ["arity"]
    assert {outcome(c, bindings)[0] for c in tiers(source)} == {"FuncArgs"}


def test_completion_data_documents_every_method_and_customer_field() -> None:
    data = json.loads(json.dumps(SEGMENT_BINDINGS.completion()))
    variables = {v["name"]: v for v in data["variables"]}
    assert list(variables) == ["customer", "data", "policy"]
    methods = {m["name"]: m for m in variables["policy"]["methods"]}
    assert set(methods) == set(view_methods())
    for name, entry in methods.items():
        assert entry["doc"] and entry["returns"] and entry["signature"].startswith(f"{name}(")
        assert (entry["min_args"], entry["max_args"]) == PolicyView.stof_methods[name]
        assert [p["name"] for p in entry["params"]] == [p.name for p in POLICY.method(name).params]
    fields = {f["name"] for f in variables["customer"]["fields"]}
    assert {"id", "plan", "type", "label", "meters", "grants", "metadata", "cloud_created"} <= fields
    assert all(f["doc"] for f in variables["customer"]["fields"])


def test_binding_sets() -> None:
    assert SEGMENT_BINDINGS.names == ("customer", "data", "policy")
    assert NOTIFICATION_BINDINGS.names == ("event", "customer", "data", "policy")
    assert NOTIFICATION_BINDINGS.variable("event") is EVENT
    meter = EVENT.field("meter")
    assert meter is not None and {"value", "limit", "old", "diff"} <= {f.name for f in meter.fields or ()}


def test_event_is_a_variable_of_notification_conditions_only() -> None:
    source = "event.meter.value > 5"
    assert [d.code for d in stof.check(source, bindings=SEGMENT_BINDINGS)] == ["unknown-variable"]
    assert stof.check(source, bindings=NOTIFICATION_BINDINGS) == []
    assert [d.code for d in stof.check("event.meter.valeu > 5", bindings=NOTIFICATION_BINDINGS)] == ["unknown-field"]
    assert [d.code for d in stof.check("event.amount > 5", bindings=NOTIFICATION_BINDINGS)] == ["unknown-field"]
    assert stof.check("let event = {};\nevent.anything", bindings=SEGMENT_BINDINGS) == []  # a local is fine


@pytest.mark.parametrize("promote", [False, True], ids=["closures", "generated"])
def test_event_is_read_from_the_bindings_in_both_tiers(promote: bool) -> None:
    event = {"name": "meter-changed", "meter": {"value": 9, "limit": 10}}
    source = "event.meter.value > 5 && event.meter.value >= event.meter.limit * 0.8 && customer.plan == 'pro'"
    condition = Condition(source, parse(source), bindings=NOTIFICATION_BINDINGS, promote_after=None)
    if promote:
        condition.optimize()
    bindings = {"event": event, "customer": {"id": "c1", "plan": "pro"}}
    assert condition.evaluate(bindings) is True
    assert condition.matches(bindings) is True
    assert condition.explain(bindings).matched is True
    assert condition.matches({"event": {"meter": {"value": 1, "limit": 10}}, "customer": bindings["customer"]}) is False
    assert condition.matches({"customer": bindings["customer"]}) is False  # no event: null


def test_compile_caches_per_binding_set() -> None:
    source = "event.meter.value > 5"
    plain = stof.compile(source)
    notification = stof.compile(source, NOTIFICATION_BINDINGS)
    assert plain is not notification and stof.compile(source, NOTIFICATION_BINDINGS) is notification
    event = {"meter": {"value": 7}}
    assert plain.matches({"event": event}) is False  # a segment condition has no `event`
    assert notification.matches({"event": event}) is True
