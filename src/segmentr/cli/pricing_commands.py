"""`segmentr pricing-rules …` and `segmentr prices`: pricing rules and effective prices from the command line,
through the service layer (``segmentr.service.PricingService``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from segmentr.cli import app
from segmentr.cli.context import cell, check_env, fail, open_local, out, say
from segmentr.service import PricingRuleDetail

pricing_app = typer.Typer(no_args_is_help=True, help="Create, list, edit and version pricing rules.")
app.add_typer(pricing_app, name="pricing-rules")

RuleArg = Annotated[str, typer.Argument(help="The rule's id (prr_…).")]
EnvOption = Annotated[str, typer.Option("--env", help="The environment: test or live.")]
OverrideOption = Annotated[
    list[str] | None,
    typer.Option("--override", help="TARGET=PRICE, e.g. credit:token=0.005 or 'credit:mb={\"tiers\": [...]}' "
                                    "(repeat; on edit the list replaces the rule's overrides)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def parse_override(text: str) -> tuple[str, Any]:
    """``TARGET=PRICE``: a number is ``{"amount": n}``, anything else is read as JSON; exit 2 if malformed."""
    target, equals, value = text.partition("=")
    if not equals or not target.strip() or not value.strip():
        raise fail(f"cannot read the override {text!r}: expected TARGET=PRICE, e.g. credit:token=0.005", 2)
    try:
        return target.strip(), {"amount": float(value) if "." in value or "e" in value.lower() else int(value)}
    except ValueError:
        pass
    try:
        return target.strip(), json.loads(value)
    except json.JSONDecodeError as exc:
        raise fail(f"the price of {target.strip()!r} is neither a number nor JSON: {exc.msg}", 2) from None


def _overrides(texts: list[str]) -> dict[str, Any]:
    return dict(parse_override(text) for text in texts)


def _when(ms: int | None) -> str:
    return "—" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def rule_json(detail: PricingRuleDetail) -> dict[str, Any]:
    rule = detail.rule
    return {
        "id": rule.id, "environment": detail.environment, **rule.fields(),
        "segment_deleted": detail.segment_deleted, "missing_targets": list(detail.missing_targets),
        "version": rule.version, "created_at": rule.created_at, "created_by": rule.created_by,
        "updated_at": rule.updated_at, "updated_by": rule.updated_by,
    }


def _print_rule(detail: PricingRuleDetail) -> None:
    rule = detail.rule
    state = "enabled" if rule.enabled else "disabled"
    say((rule.name, "bold"), f" ({rule.id}) priority {rule.priority}, {state}, version {rule.version}")
    say("  segment: ", rule.segment, *([("  (deleted: never matches)", "yellow")] if detail.segment_deleted else []))
    if rule.supersedes:
        say(f"  supersedes: {rule.supersedes}")
    for target, price in rule.overrides.items():
        missing = target in detail.missing_targets
        say("  ", target, " = ", json.dumps(price, ensure_ascii=False),
            *([("  (not in the policy any more)", "yellow")] if missing else []))
    say(f"  updated {_when(rule.updated_at)}", *([" by ", rule.updated_by] if rule.updated_by else []))


@pricing_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="The new rule's name.")],
    env: EnvOption,
    segment: Annotated[str, typer.Option("--segment", help="The segment's name or id.")],
    priority: Annotated[int, typer.Option("--priority", help="Lower first; unique per environment.")],
    override: OverrideOption = None,
    supersedes: Annotated[bool, typer.Option(
        "--supersedes-customer-overrides", help="Win even over the customer's own price overrides.")] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="Save it disabled.")] = False,
    as_json: JsonOption = False,
) -> None:
    """A new pricing rule (targets and prices checked against the environment's policy)."""
    check_env(env)
    body = {"name": name, "segment": segment, "priority": priority, "overrides": _overrides(override or []),
            "supersedes": "customer-overrides" if supersedes else None, "enabled": not disabled}
    with open_local() as local:
        detail = local.services.pricing(local.actor).create(env, body)
    if as_json:
        print(json.dumps(rule_json(detail), ensure_ascii=False))
    else:
        say("created ", (detail.rule.name, "bold"), f" ({detail.rule.id})")


@pricing_app.command("list")
def list_command(env: EnvOption, as_json: JsonOption = False) -> None:
    """The environment's rules in priority order."""
    check_env(env)
    with open_local() as local:
        rules = local.services.pricing(local.actor).list(env)
    if as_json:
        print(json.dumps([rule_json(detail) for detail in rules], ensure_ascii=False))
        return
    table = Table("priority", "id", "name", "segment", "targets", "enabled", "flags")
    for detail in rules:
        rule = detail.rule
        flags = (["segment deleted"] if detail.segment_deleted else []) + [
            f"{target} missing" for target in detail.missing_targets]
        table.add_row(cell(rule.priority), cell(rule.id), cell(rule.name), cell(rule.segment),
                      cell(", ".join(rule.overrides)), "yes" if rule.enabled else "no", cell(", ".join(flags)))
    out.print(table)


@pricing_app.command("show")
def show_command(rule_id: RuleArg, env: EnvOption, as_json: JsonOption = False) -> None:
    """One rule and its flags."""
    check_env(env)
    with open_local() as local:
        detail = local.services.pricing(local.actor).get(env, rule_id)
    if as_json:
        print(json.dumps(rule_json(detail), ensure_ascii=False))
    else:
        _print_rule(detail)


@pricing_app.command("edit")
def edit_command(
    rule_id: RuleArg,
    env: EnvOption,
    name: Annotated[str | None, typer.Option("--name")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="The segment's name or id.")] = None,
    priority: Annotated[int | None, typer.Option("--priority")] = None,
    override: OverrideOption = None,
    supersedes: Annotated[str | None, typer.Option(
        "--supersedes", help="customer-overrides, or none to stop superseding.")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change some fields of a rule (saved as a new version)."""
    check_env(env)
    changes: dict[str, Any] = {}
    for key, value in (("name", name), ("segment", segment), ("priority", priority), ("enabled", enabled)):
        if value is not None:
            changes[key] = value
    if override:
        changes["overrides"] = _overrides(override)
    if supersedes is not None:
        if supersedes not in ("customer-overrides", "none"):
            raise fail(f"unknown --supersedes {supersedes!r}: use customer-overrides or none", 2)
        changes["supersedes"] = None if supersedes == "none" else supersedes
    if not changes:
        raise fail("nothing to change: give --name, --segment, --priority, --override, --supersedes or "
                   "--enable/--disable", 2)
    with open_local() as local:
        detail = local.services.pricing(local.actor).edit(env, rule_id, changes)
    if as_json:
        print(json.dumps(rule_json(detail), ensure_ascii=False))
    else:
        _print_rule(detail)


@pricing_app.command("delete")
def delete_command(rule_id: RuleArg, env: EnvOption) -> None:
    """Delete a rule (its history stays)."""
    check_env(env)
    with open_local() as local:
        local.services.pricing(local.actor).delete(env, rule_id)
    say("deleted ", rule_id)


@pricing_app.command("history")
def history_command(rule_id: RuleArg, env: EnvOption, as_json: JsonOption = False) -> None:
    """Who changed the rule, what and when (oldest first)."""
    check_env(env)
    with open_local() as local:
        versions = local.services.pricing(local.actor).history(env, rule_id)
    if as_json:
        print(json.dumps([{"version": v.version, "action": v.action, "fields": v.fields, "changed_at": v.changed_at,
                           "changed_by": v.changed_by} for v in versions], ensure_ascii=False))
        return
    table = Table("version", "action", "when", "by", "fields")
    for v in versions:
        table.add_row(cell(v.version), cell(v.action), _when(v.changed_at), cell(v.changed_by or "—"),
                      cell(json.dumps(v.fields, ensure_ascii=False, sort_keys=True)))
    out.print(table)


@app.command("prices")
def prices_command(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    target: Annotated[str, typer.Argument(help="credit:<name> or topup:<name>.")],
    env: EnvOption,
    explain: Annotated[bool, typer.Option("--explain", help="Every rule considered and why it did not win.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The customer's effective price of a target now, and where it comes from."""
    check_env(env)
    with open_local() as local:
        resolution = local.services.pricing(local.actor).price(env, customer_id, target)
    shown = resolution.to_json()
    if as_json:
        print(json.dumps({"customer": customer_id, **shown}, ensure_ascii=False))
        return
    price = "unpriced" if resolution.price is None else json.dumps(shown["price"], ensure_ascii=False)
    source = resolution.source
    if source.rule is not None:
        where: list[Any] = ["rule ", (source.rule.name, "bold"),
                            f" ({source.rule.id}, priority {source.rule.priority})"]
    else:
        where = ["the customer's own override" if source.kind == "customer_override" else "the policy's price"]
    say(target, " = ", price, "  from ", *where)
    if explain:
        for item in resolution.considered:
            matched = {True: "matched", False: "did not match", None: "not evaluated"}[item.matched]
            say(f"  {item.rule.priority:>6}  ", item.rule.name, f" ({item.rule.id}): {item.why}, {matched}",
                *([": ", item.error] if item.error else []))
        if not resolution.considered:
            say("  no rules in this environment")
