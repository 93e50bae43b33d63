"""Pricing rules (environment-scoped), a customer's own price overrides and the explained effective price
(api.md §4). Topups and margins are priced effectively by their own routes (customers.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query

from segmentr.api.deps import Environment, PricingDep, authenticate
from segmentr.api.errors import ApiError
from segmentr.api.idempotency import IdempotentRoute
from segmentr.api.openapi import errors as error_responses
from segmentr.api.schemas.common import MAX_LIMIT, JsonObject, Text
from segmentr.api.schemas.pricing import (
    ExplainedPrice,
    PriceOverridesObject,
    PricingRuleCreate,
    PricingRuleDeleted,
    PricingRuleList,
    PricingRuleObject,
    PricingRuleUpdate,
    PricingRuleVersionList,
    PricingRuleVersionObject,
)
from segmentr.service import PricingRuleDetail

__all__ = ["router"]

router = APIRouter(tags=["pricing"], route_class=IdempotentRoute, dependencies=[Depends(authenticate)])

RuleId = Annotated[Text, Path(description="the rule's id (`prr_…`)")]
CustomerId = Annotated[Text, Path(description="the customer's id")]
Target = Annotated[Text, Path(description="`credit:<name>` or `topup:<name>`")]


def rule_object(detail: PricingRuleDetail) -> PricingRuleObject:
    rule = detail.rule
    return PricingRuleObject(
        id=rule.id, environment=detail.environment, name=rule.name, segment=rule.segment, priority=rule.priority,
        overrides=rule.overrides, supersedes=rule.supersedes, enabled=rule.enabled,  # type: ignore[arg-type]
        segment_deleted=detail.segment_deleted, missing_targets=list(detail.missing_targets), version=rule.version,
        created_at=rule.created_at, created_by=rule.created_by, updated_at=rule.updated_at,
        updated_by=rule.updated_by,
    )


@router.get("/v1/{environment}/pricing-rules", operation_id="list_pricing_rules", response_model=PricingRuleList,
            responses=error_responses(404))
def list_rules(
    environment: Environment,
    pricing: PricingDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    starting_after: Annotated[Text | None, Query(description="the last id of the previous page")] = None,
) -> PricingRuleList:
    """The environment's rules in priority order (keyset-paged)."""
    rules = pricing.list(environment)
    if starting_after is not None:
        ids = [detail.rule.id for detail in rules]
        if starting_after not in ids:
            raise ApiError(404, "not_found", "not_found", f"no pricing rule {starting_after!r} in {environment}",
                           param="starting_after")
        rules = rules[ids.index(starting_after) + 1:]
    return PricingRuleList(data=[rule_object(detail) for detail in rules[:limit]], has_more=len(rules) > limit)


@router.post("/v1/{environment}/pricing-rules", operation_id="create_pricing_rule", status_code=201,
             response_model=PricingRuleObject, responses=error_responses(404, 409))
def create_rule(environment: Environment, body: PricingRuleCreate, pricing: PricingDep) -> PricingRuleObject:
    """A new rule; targets and prices are checked against the environment's policy (an unknown credit or
    topup is named), the priority must be free (409 ``priority_taken``)."""
    return rule_object(pricing.create(environment, body.model_dump()))


@router.get("/v1/{environment}/pricing-rules/{rule_id}", operation_id="get_pricing_rule",
            response_model=PricingRuleObject, responses=error_responses(404))
def get_rule(environment: Environment, rule_id: RuleId, pricing: PricingDep) -> PricingRuleObject:
    return rule_object(pricing.get(environment, rule_id))


@router.patch("/v1/{environment}/pricing-rules/{rule_id}", operation_id="update_pricing_rule",
              response_model=PricingRuleObject, responses=error_responses(404, 409))
def update_rule(environment: Environment, rule_id: RuleId, body: PricingRuleUpdate,
                pricing: PricingDep) -> PricingRuleObject:
    """Edit; each save that changes something is a new version."""
    return rule_object(pricing.edit(environment, rule_id, body.model_dump(exclude_unset=True)))


@router.delete("/v1/{environment}/pricing-rules/{rule_id}", operation_id="delete_pricing_rule",
               response_model=PricingRuleDeleted, responses=error_responses(404))
def delete_rule(environment: Environment, rule_id: RuleId, pricing: PricingDep) -> PricingRuleDeleted:
    pricing.delete(environment, rule_id)
    return PricingRuleDeleted(id=rule_id)


@router.get("/v1/{environment}/pricing-rules/{rule_id}/versions", operation_id="list_pricing_rule_versions",
            response_model=PricingRuleVersionList, responses=error_responses(404))
def list_versions(environment: Environment, rule_id: RuleId, pricing: PricingDep) -> PricingRuleVersionList:
    """Who changed what, when: every version, oldest first (a deleted rule's too, ending with its deletion)."""
    return PricingRuleVersionList(data=[
        PricingRuleVersionObject(rule=v.rule_id, version=v.version, action=v.action,  # type: ignore[arg-type]
                                 fields=v.fields, changed_at=v.changed_at, changed_by=v.changed_by)
        for v in pricing.history(environment, rule_id)
    ], has_more=False)


@router.get("/v1/{environment}/customers/{customer_id}/prices/{target}", operation_id="get_customer_price",
            response_model=ExplainedPrice, responses=error_responses(404), tags=["customers"])
def get_price(environment: Environment, customer_id: CustomerId, target: Target,
              pricing: PricingDep) -> ExplainedPrice:
    """The customer's effective price of a target now, and why: the rule, the customer's own override or the
    policy's price, with every rule considered and why it did not win."""
    resolution = pricing.price(environment, customer_id, target)
    return ExplainedPrice.model_validate({"customer": customer_id, **resolution.to_json()})


@router.get("/v1/{environment}/customers/{customer_id}/price-overrides", operation_id="get_price_overrides",
            response_model=PriceOverridesObject, responses=error_responses(404), tags=["customers"])
def get_overrides(environment: Environment, customer_id: CustomerId, pricing: PricingDep) -> PriceOverridesObject:
    return PriceOverridesObject(customer=customer_id, overrides=pricing.price_overrides(environment, customer_id))


@router.put("/v1/{environment}/customers/{customer_id}/price-overrides", operation_id="put_price_overrides",
            response_model=PriceOverridesObject, responses=error_responses(404), tags=["customers"])
def put_overrides(
    environment: Environment, customer_id: CustomerId, pricing: PricingDep,
    overrides: Annotated[JsonObject, Body(description="the customer's own prices `{target: price}` ({} clears them)")],
) -> PriceOverridesObject:
    """Replace the customer's own price overrides (checked against the environment's policy)."""
    saved = pricing.set_price_overrides(environment, customer_id, overrides)
    return PriceOverridesObject(customer=customer_id, overrides=saved)
