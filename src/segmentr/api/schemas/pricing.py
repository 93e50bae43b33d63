"""Pricing rules, a customer's price overrides and an explained price (api.md §4)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from segmentr.api.schemas.common import ApiModel, JsonObject, ListOf, Text

__all__ = [
    "ExplainedPrice",
    "PriceOverridesObject",
    "PricingRuleCreate",
    "PricingRuleDeleted",
    "PricingRuleList",
    "PricingRuleObject",
    "PricingRuleUpdate",
    "PricingRuleVersionList",
    "PricingRuleVersionObject",
]

Supersedes = Literal["customer-overrides"] | None
OVERRIDES_DOC = ('target -> price: `"credit:<name>"` -> `{"amount": x}` or `{"pricing_model", "tiers"}`, '
                 '`"topup:<name>"` -> `{"amount": x}`; checked against the environment\'s policy')


class PricingRuleCreate(ApiModel):
    name: Text
    segment: Text = Field(description="the segment's id (or exact name; stored as the id)")
    priority: int = Field(description="lower first; unique per environment (409 `priority_taken`)")
    overrides: JsonObject = Field(description=OVERRIDES_DOC)
    supersedes: Supersedes = Field(default=None, description="`customer-overrides`: wins over the customer's own")
    enabled: bool = True


class PricingRuleUpdate(ApiModel):
    """Only the fields given change (``overrides`` is replaced whole); the rule is validated again."""

    name: Text | None = None
    segment: Text | None = None
    priority: int | None = None
    overrides: JsonObject | None = None
    supersedes: Supersedes = None
    enabled: bool | None = None


class PricingRuleObject(BaseModel):
    object: Literal["pricing_rule"] = "pricing_rule"
    id: str
    environment: str
    name: str
    segment: str
    priority: int
    overrides: dict[str, Any]
    supersedes: Supersedes
    enabled: bool
    segment_deleted: bool = Field(description="the segment no longer exists: the rule never matches until edited")
    missing_targets: list[str] = Field(
        default_factory=list, description="targets the current policy no longer has (never priced until edited)"
    )
    version: int
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None


PricingRuleList = ListOf[PricingRuleObject]


class PricingRuleDeleted(BaseModel):
    object: Literal["pricing_rule"] = "pricing_rule"
    id: str
    deleted: bool = True


class PricingRuleVersionObject(BaseModel):
    object: Literal["pricing_rule_version"] = "pricing_rule_version"
    rule: str
    version: int
    action: Literal["created", "updated", "deleted"]
    fields: dict[str, Any] = Field(description="the rule's fields after the change (at deletion: its last ones)")
    changed_at: int
    changed_by: str | None


PricingRuleVersionList = ListOf[PricingRuleVersionObject]


class PriceOverridesObject(BaseModel):
    object: Literal["price_overrides"] = "price_overrides"
    customer: str
    overrides: dict[str, Any]


class RuleRefObject(BaseModel):
    id: str
    name: str
    priority: int
    segment: str
    supersedes: Supersedes = None


class _OmitsAbsent(BaseModel):
    """Optional members (``rule?``, ``error?``) are left out when absent, not sent as null."""

    @model_serializer(mode="wrap")
    def _omit(self, handler: SerializerFunctionWrapHandler) -> Any:
        shown = handler(self)
        for key in ("rule", "error"):
            if key in shown and shown[key] is None:
                del shown[key]
        return shown


class PriceSourceObject(_OmitsAbsent):
    kind: Literal["rule", "customer_override", "policy"]
    rule: RuleRefObject | None = Field(default=None, description="the rule, when the source is a rule")


class ConsideredRule(_OmitsAbsent):
    rule: RuleRefObject
    matched: bool | None = Field(description="whether its segment matched (null: not evaluated)")
    overrides_target: bool
    why: Literal["applied", "outranked", "disabled", "segment_deleted", "does_not_override_target",
                 "target_missing", "evaluation_failed", "segment_not_matched"]
    error: str | None = Field(default=None, description="the segment's failure, when it failed")


class ExplainedPrice(BaseModel):
    object: Literal["price"] = "price"
    customer: str
    target: str
    price: Any = Field(description="the effective price (null: the target is not priced for this customer)")
    source: PriceSourceObject
    considered: list[ConsideredRule] = Field(description="every rule of the environment, by priority")
