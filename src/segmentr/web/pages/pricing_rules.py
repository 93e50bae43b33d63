"""Pricing rules, under the policy settings: the environment's rules in priority order (segment, overrides,
supersedes, enabled, flagged when their segment was deleted or the policy dropped a target), create, edit and
delete (owners and admins; CSRF; a confirmation before a delete), and "explain the price of a target for a
customer": the winner and every rule considered with why it did not win (product.md §6)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors
from segmentr.service import Action, PricingRuleDetail, permits

from ..page_errors import PageRoute, message_of
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, field, read_form, viewer
from ..templating import templates
from .policy_view import money, number, policy_view
from .segments import when

router = APIRouter(include_in_schema=False, route_class=PageRoute)

BASE = "/policy/pricing-rules"
SUPERSEDES = "customer-overrides"


@dataclass(frozen=True, slots=True)
class TargetOption:
    """A target the live policy prices: ``credit:<name>`` or ``topup:<name>``, with its base price."""

    key: str
    label: str
    base: str


def price_text(price: Any) -> str:
    """``{"amount": x}`` as money; a tier list as its model and tiers, in words."""
    if not isinstance(price, dict):
        return "—"
    if "amount" in price:
        return money(price["amount"])
    tiers = price.get("tiers") or []
    parts = []
    for tier in tiers if isinstance(tiers, list) else []:
        if isinstance(tier, dict):
            upto = tier.get("up_to")
            inner = tier.get("price") if isinstance(tier.get("price"), dict) else tier
            amount = money(inner.get("amount"))
            parts.append(f"{amount} up to {number(upto)}" if upto is not None else f"{amount} beyond")
    model = str(price.get("pricing_model") or "tiered")
    return f"{model}: " + ", ".join(parts) if parts else model


def policy_targets(seen: Viewer) -> list[TargetOption]:
    """Every target of the live policy, credits first, topups once each (by name)."""
    try:
        document = seen.services.policies(seen.actor).current(seen.environment).document
    except errors.NotFound:
        return []
    view = policy_view(document)
    options = [TargetOption(f"credit:{credit.name}", f"Credit “{credit.label}” (per {credit.unit})", credit.price)
               for credit in view.credits]  # fmt: skip
    seen_topups: set[str] = set()
    for plan in view.plans:
        for topup in plan.topups:
            if topup.name not in seen_topups:
                seen_topups.add(topup.name)
                options.append(TargetOption(f"topup:{topup.name}", f"Topup “{topup.name}” (pack)", topup.price))
    return options


def _segments(seen: Viewer) -> dict[str, str]:
    return {segment.id: segment.name for segment in seen.segments().segments()}


def _can_edit(seen: Viewer) -> bool:
    return permits(seen.actor, Action.EDIT_PRICING)


def _row(detail: PricingRuleDetail, names: dict[str, str]) -> dict[str, Any]:
    rule = detail.rule
    return {
        "rule": rule, "segment_name": names.get(rule.segment), "updated": when(rule.updated_at),
        "overrides": [(target, price_text(price), target in detail.missing_targets)
                      for target, price in rule.overrides.items()],
        "segment_deleted": detail.segment_deleted, "missing_targets": detail.missing_targets,
        "supersedes": rule.supersedes == SUPERSEDES,
    }  # fmt: skip


def _list_page(request: Request, seen: Viewer, *, explain: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:  # fmt: skip
    names = _segments(seen)
    rules = seen.services.pricing(seen.actor).list(seen.environment)
    context = {
        "rows": [_row(detail, names) for detail in rules], "can_edit": _can_edit(seen), "targets": policy_targets(seen),
        "explain": explain or {"customer": "", "target": "", "result": None, "error": ""},
        "environment": seen.environment,
    }  # fmt: skip
    return render(templates, request, "pricing_rules.html", layout=seen.layout("Pricing rules", "pricing-rules"),
                  context=context, status_code=status_code)  # fmt: skip


@router.get(BASE, name="pricing_rules_page")
def pricing_rules_page(request: Request) -> Response:
    return _list_page(request, viewer(request))


# ---------------------------------------------------------------------------------------------- explain

WHY = {
    "applied": "Sets the price",
    "disabled": "Disabled",
    "segment_deleted": "Its segment was deleted: it never matches",
    "does_not_override_target": "Does not override this target",
    "target_missing": "The customer's plan does not offer this target",
    "evaluation_failed": "Its segment's condition failed for this customer (counted as no match)",
    "segment_not_matched": "The customer is not in its segment",
}


def _why(item: Any, resolution: Any) -> str:
    if item.why != "outranked":
        return WHY.get(item.why, item.why)
    source = resolution.source
    if source.kind == "customer_override":
        return "Matched, but the customer's own override comes first (the rule does not supersede customer overrides)"
    if source.rule is not None:
        first = "supersedes customer overrides and " if source.rule.supersedes and not item.rule.supersedes else ""
        return f"Matched, but “{source.rule.name}” (priority {source.rule.priority}) {first}comes first"
    return "Matched, but another rule comes first"


def explanation(resolution: Any, names: dict[str, str]) -> dict[str, Any]:
    source = resolution.source
    if source.kind == "rule" and source.rule is not None:
        winner = f"The pricing rule “{source.rule.name}” (priority {source.rule.priority})"
    elif source.kind == "customer_override":
        winner = "The customer's own price override"
    else:
        winner = "The policy's own price (no rule or override applies)"
    rows = [{"rule": item.rule, "segment_name": names.get(item.rule.segment),
             "matched": {True: "Yes", False: "No", None: "Not evaluated"}[item.matched],
             "overrides": "Yes" if item.overrides_target else "No", "why": _why(item, resolution),
             "applied": item.why == "applied", "error": item.error}
            for item in resolution.considered]  # fmt: skip
    price = resolution.price.to_json() if resolution.price is not None else None
    return {"price": price_text(price) if price is not None else "Not priced", "source": source.kind,
            "winner": winner, "considered": rows}  # fmt: skip


@router.get(f"{BASE}/explain", name="pricing_explain")
def explain(request: Request, customer: str = "", target: str = "") -> Response:
    """The effective price of ``target`` for ``customer`` now, in the environment shown; a fragment for htmx."""
    seen = viewer(request)
    chosen = {"customer": customer.strip(), "target": target, "result": None, "error": ""}
    status = 200
    if chosen["customer"] and target:
        try:
            resolution = seen.services.pricing(seen.actor).price(seen.environment, chosen["customer"], target)
            chosen["result"] = explanation(resolution, _segments(seen))
        except (errors.NotFound, errors.InvalidInput) as exc:
            chosen["error"] = message_of(exc)
            status = 404 if isinstance(exc, errors.NotFound) else 422
    elif customer or target:
        chosen["error"] = "Enter a customer id and choose a target."
        status = 422
    if request.headers.get("HX-Request"):
        return render(templates, request, "_pricing_explain.html",
                      context={"explain": chosen, "environment": seen.environment}, status_code=200)  # fmt: skip
    return _list_page(request, seen, explain=chosen, status_code=status)


# ---------------------------------------------------------------------------------------------- the form


_EXPONENT = re.compile(r"(?<=[\s:\[,])-?\d+(?:\.\d+)?[eE][-+]?\d+")


def plain_json(value: Any) -> str:
    """Indented JSON with small prices as people write them (0.00002, not 2e-05)."""
    def spelled(match: re.Match[str]) -> str:
        return f"{float(match.group()):.15f}".rstrip("0").rstrip(".")

    return _EXPONENT.sub(spelled, json.dumps(value, indent=2))


def _form_of(detail: PricingRuleDetail | None, next_priority: int) -> dict[str, Any]:
    if detail is None:
        return {"name": "", "segment": "", "priority": str(next_priority), "overrides": "{}", "supersedes": False,
                "enabled": True}  # fmt: skip
    rule = detail.rule
    return {"name": rule.name, "segment": rule.segment, "priority": str(rule.priority),
            "overrides": plain_json(rule.overrides), "supersedes": rule.supersedes == SUPERSEDES,
            "enabled": rule.enabled}  # fmt: skip


def _read_rule_form(form: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(what the form shows again, the fields for the service, problems found before the service)."""
    shown = {"name": field(form, "name").strip(), "segment": field(form, "segment"),
             "priority": field(form, "priority").strip(), "overrides": field(form, "overrides"),
             "supersedes": field(form, "supersedes") == "on", "enabled": field(form, "enabled") == "on"}  # fmt: skip
    problems: list[str] = []
    fields: dict[str, Any] = {"name": shown["name"], "segment": shown["segment"],
                              "supersedes": SUPERSEDES if shown["supersedes"] else None, "enabled": shown["enabled"]}
    try:
        fields["priority"] = int(shown["priority"])
    except ValueError:
        problems.append("Priority: a whole number (lower comes first)")
    try:
        fields["overrides"] = json.loads(shown["overrides"] or "{}")
    except json.JSONDecodeError as exc:
        problems.append(f"Overrides: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    return shown, fields, problems


def _form_page(request: Request, seen: Viewer, *, detail: PricingRuleDetail | None, form: dict[str, Any],
               problems: list[str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    names = _segments(seen)
    if detail is not None and detail.rule.segment not in names:
        names = {detail.rule.segment: f"{detail.rule.segment} (deleted)", **names}
    history = []
    if detail is not None:
        versions = seen.services.pricing(seen.actor).history(seen.environment, detail.rule.id)
        history = [{"version": v.version, "action": v.action, "when": when(v.changed_at), "by": v.changed_by,
                    "summary": _summary(v.fields, names)} for v in reversed(versions)]  # fmt: skip
    context = {"detail": detail, "form": form, "problems": problems or [], "segments": names,
               "targets": policy_targets(seen), "can_edit": _can_edit(seen), "environment": seen.environment,
               "history": history}  # fmt: skip
    title = f"Edit “{detail.rule.name}”" if detail else "New pricing rule"
    return render(templates, request, "pricing_rule_form.html", layout=seen.layout(title, "pricing-rules"),
                  context=context, status_code=status_code)  # fmt: skip


def _summary(fields: dict[str, Any], names: dict[str, str]) -> str:
    """A version's fields in one line: priority, segment, overrides, flags."""
    overrides = ", ".join(f"{target} → {price_text(price)}" for target, price in (fields.get("overrides") or {}).items())
    flags = [word for word, on in (("supersedes customer overrides", fields.get("supersedes") == SUPERSEDES),
                                   ("disabled", fields.get("enabled") is False)) if on]  # fmt: skip
    segment = names.get(str(fields.get("segment")), str(fields.get("segment")))
    head = f"“{fields.get('name')}”, priority {fields.get('priority')}, {segment}"
    return "; ".join([head, overrides or "no overrides", *flags])


def _problems_of(exc: errors.SegmentrError) -> list[str]:
    found = getattr(exc, "problems", None) or []
    lines = [f"{p.field}: {p.message}" if p.field else p.message for p in found]
    return lines or [message_of(exc)]


@router.get(f"{BASE}/new", name="pricing_rule_new")
def new_rule(request: Request) -> Response:
    seen = viewer(request)
    rules = seen.services.pricing(seen.actor).list(seen.environment)
    next_priority = (max(d.rule.priority for d in rules) + 10) if rules else 10
    return _form_page(request, seen, detail=None, form=_form_of(None, next_priority))


@router.post(BASE, name="pricing_rule_create")
async def create(request: Request) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    shown, fields, problems = _read_rule_form(form)
    if problems:
        return _form_page(request, seen, detail=None, form=shown, problems=problems, status_code=422)
    try:
        saved = seen.services.pricing(seen.actor).create(seen.environment, fields)
    except errors.InvalidInput as exc:
        return _form_page(request, seen, detail=None, form=shown, problems=_problems_of(exc), status_code=422)
    except errors.Conflict as exc:
        return _form_page(request, seen, detail=None, form=shown, problems=_problems_of(exc), status_code=409)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Pricing rule “{saved.rule.name}” created (priority {saved.rule.priority}).",
          request=request)  # fmt: skip
    return response


@router.get(f"{BASE}/{{rule_id}}/edit", name="pricing_rule_edit_page")
def edit_page(request: Request, rule_id: str) -> Response:
    seen = viewer(request)
    detail = seen.services.pricing(seen.actor).get(seen.environment, rule_id)
    return _form_page(request, seen, detail=detail, form=_form_of(detail, detail.rule.priority))


@router.post(f"{BASE}/{{rule_id}}/edit", name="pricing_rule_edit")
async def edit(request: Request, rule_id: str) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    pricing = seen.services.pricing(seen.actor)
    detail = pricing.get(seen.environment, rule_id)
    shown, fields, problems = _read_rule_form(form)
    if problems:
        return _form_page(request, seen, detail=detail, form=shown, problems=problems, status_code=422)
    if fields["segment"] == detail.rule.segment:
        del fields["segment"]  # unchanged: a rule whose segment was deleted can still be repriced or disabled
    try:
        saved = pricing.edit(seen.environment, rule_id, fields)
    except errors.InvalidInput as exc:
        return _form_page(request, seen, detail=detail, form=shown, problems=_problems_of(exc), status_code=422)
    except errors.Conflict as exc:
        return _form_page(request, seen, detail=detail, form=shown, problems=_problems_of(exc), status_code=409)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Pricing rule “{saved.rule.name}” saved.", request=request)
    return response


@router.get(f"{BASE}/{{rule_id}}/delete", name="pricing_rule_delete_confirm")
def delete_confirm(request: Request, rule_id: str) -> Response:
    seen = viewer(request)
    detail = seen.services.pricing(seen.actor).get(seen.environment, rule_id)
    context = {"row": _row(detail, _segments(seen)), "can_edit": _can_edit(seen), "environment": seen.environment}
    return render(templates, request, "pricing_rule_delete.html",
                  layout=seen.layout(f"Delete “{detail.rule.name}”?", "pricing-rules"), context=context)  # fmt: skip


@router.post(f"{BASE}/{{rule_id}}/delete", name="pricing_rule_delete")
async def delete(request: Request, rule_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    pricing = seen.services.pricing(seen.actor)
    name = pricing.get(seen.environment, rule_id).rule.name
    pricing.delete(seen.environment, rule_id)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Pricing rule “{name}” deleted: prices no longer consult it.", request=request)
    return response
