"""Pricing rules, prices and per-customer price overrides, validated against an environment's policy (product.md §6).

A target is ``credit:<name>`` (the per-unit price of that credit) or ``topup:<name>`` (the pack price). A price is
what the policy document can hold there, checked by the policy's own definition (``price_model_problems``):
``{"amount": x}`` for a topup or a flat credit price, or ``{"pricing_model": m, "tiers": [...]}`` for a credit (a
bare tier list is accepted too). Every price is kept in one canonical JSON form, the object the engine receives.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from segmentr.policy import Policy, price_model_problems, price_problems
from segmentr.segments import Problem

from .errors import PricingInvalid

RULE_ID_PREFIX = "prr_"
SUPERSEDES_CUSTOMER_OVERRIDES = "customer-overrides"
TARGET_KINDS = ("credit", "topup")
MAX_RULE_NAME_CHARS = 120
_TIERED_MODELS = ("tiered", "volume", "stairstep")
_PRICE_KEYS = frozenset({"amount", "id", "pricing_model", "tiers"})


def new_rule_id() -> str:
    """A fresh opaque rule id (``prr_`` and 16 random bytes, URL-safe)."""
    return RULE_ID_PREFIX + secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Target:
    """``credit:<name>`` or ``topup:<name>``."""

    kind: str
    name: str

    @classmethod
    def parse(cls, text: Any) -> Target | None:
        """The target a key names, or None when it is not ``credit:<name>`` / ``topup:<name>``."""
        if not isinstance(text, str):
            return None
        kind, colon, name = text.partition(":")
        if not colon or kind not in TARGET_KINDS or not name:
            return None
        return cls(kind, name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True, eq=False)
class Price:
    """A validated price in canonical form: ``{"amount": x}`` or ``{"pricing_model": m, "tiers": [...]}``.

    ``document`` is what the policy engine is handed (one object per price, so the engine's compiled-price
    cache keeps hitting); treat it as read-only and use ``to_json()`` for a copy.
    """

    document: Mapping[str, Any]

    @property
    def pricing_model(self) -> str:
        return str(self.document.get("pricing_model") or "flat")

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.document))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Price) and self.document == other.document

    def __hash__(self) -> int:
        return hash(repr(self.document))


PriceOverrides = Mapping[str, Price]  # target text -> price: a customer's own, or a rule's


@dataclass(frozen=True, slots=True)
class PricingRule:
    """One rule of an environment: prices for the customers of a segment (product.md §6)."""

    id: str
    name: str
    segment: str
    priority: int
    overrides: PriceOverrides = field(default_factory=dict)
    supersedes: str | None = None
    enabled: bool = True

    @property
    def supersedes_customer_overrides(self) -> bool:
        return self.supersedes == SUPERSEDES_CUSTOMER_OVERRIDES

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "segment": self.segment, "priority": self.priority,
            "overrides": {target: price.to_json() for target, price in self.overrides.items()},
            "supersedes": self.supersedes, "enabled": self.enabled,
        }


@dataclass(frozen=True, slots=True)
class RuleFlags:
    """What a saved rule has lost since it was saved: its segment, or targets the current policy dropped."""

    segment_deleted: bool
    missing_targets: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- policy targets


def target_exists(policy: Policy, target: Target) -> bool:
    """Whether the policy has this credit, or this topup on any plan."""
    if target.kind == "credit":
        return policy.credit(target.name) is not None
    return any(target.name in (plan.get("topups") or {}) for plan in policy.plans().values())


def policy_price(policy: Policy, target: Target, customer_id: str) -> Price | None:
    """The policy's own price of a target for a customer (a topup's is its price on the customer's plan)."""
    if target.kind == "credit":
        credit = policy.credit(target.name)
        if credit is None:
            return None
        if credit.get("tiers"):
            model = credit.get("pricing_model")
            return Price({"pricing_model": model if model in _TIERED_MODELS else "tiered", "tiers": credit["tiers"]})
        return None if credit.get("price") is None else Price(credit["price"])
    plan = policy.plan(customer_id)
    topup = None if plan is None else (plan.get("topups") or {}).get(target.name)
    return None if topup is None or topup.get("price") is None else Price(topup["price"])


# ---------------------------------------------------------------------------------------------- prices


def _problems(located: list[tuple[str, str]]) -> list[Problem]:
    return [Problem(field=path, message=message) for path, message in located]


def parse_price(raw: Any, target: Target, policy: Policy, path: str) -> tuple[Price | None, list[Problem]]:
    """The canonical price for `target`, or the problems by JSON path; the target must exist in the policy."""
    if target.kind == "topup":
        if isinstance(raw, Mapping):
            extra = sorted(set(raw) - {"amount", "id"})
            if extra:
                return None, [Problem(field=f"{path}.{key}", message="unknown field (a topup price is {\"amount\": x})")
                              for key in extra]
        problems = _problems(price_problems(raw, path))
        return (None, problems) if problems else (Price(copy.deepcopy(dict(raw))), [])
    if isinstance(raw, list):
        body: dict[str, Any] = {"tiers": raw}
    elif isinstance(raw, Mapping):
        body = dict(raw)
    else:
        return None, [Problem(field=path, message='expected {"amount": x} or {"pricing_model": ..., "tiers": [...]}')]
    problems = [Problem(field=f"{path}.{key}", message="unknown field") for key in sorted(set(body) - _PRICE_KEYS)]
    if body.get("tiers") is not None:
        if "amount" in body:
            problems.append(Problem(field=path, message="either an amount (a flat price) or tiers, not both"))
        credit = policy.credit(target.name) or {}
        model = body.get("pricing_model") or (
            credit.get("pricing_model") if credit.get("pricing_model") in _TIERED_MODELS else "tiered")
        if model == "flat":
            problems.append(Problem(field=f"{path}.pricing_model", message="tiers need pricing_model tiered, volume or stairstep"))
        candidate = {"pricing_model": model, "tiers": copy.deepcopy(body["tiers"])}
        located = price_model_problems(candidate, path)
        if isinstance(raw, list):  # the tiers are the value itself: their paths start at `path`
            located = [(spot.replace(f"{path}.tiers", path, 1), message) for spot, message in located]
        problems.extend(_problems(located))
        document: dict[str, Any] = {"pricing_model": candidate["pricing_model"], "tiers": candidate["tiers"]}
    elif "amount" in body:
        if body.get("pricing_model") not in (None, "flat"):
            problems.append(Problem(field=f"{path}.pricing_model", message="an amount is a flat price; other models need tiers"))
        document = {key: copy.deepcopy(body[key]) for key in ("amount", "id") if key in body}
        problems.extend(_problems(price_problems(document, path)))
    else:
        problems.append(Problem(field=path, message='expected {"amount": x} or {"pricing_model": ..., "tiers": [...]}'))
        document = {}
    return (None, problems) if problems else (Price(document), [])


def _parse_overrides(raw: Any, policy: Policy, path: str) -> tuple[dict[str, Price], list[Problem], list[str]]:
    prices: dict[str, Price] = {}
    problems: list[Problem] = []
    unknown: list[str] = []
    if not isinstance(raw, Mapping):
        return prices, [Problem(field=path or "overrides", message="expected an object {target: price}")], unknown
    for key, value in raw.items():
        spot = f"{path}.{key}" if path else str(key)
        target = Target.parse(key)
        if target is None:
            problems.append(Problem(field=spot, message="a target is credit:<credit name> or topup:<topup name>"))
            continue
        if not target_exists(policy, target):
            where = "credit" if target.kind == "credit" else "topup on any plan"
            problems.append(Problem(field=spot, message=f"unknown {target.kind} {target.name!r}: the policy has no such {where}"))
            unknown.append(str(target))
            continue
        price, found = parse_price(value, target, policy, spot)
        problems.extend(found)
        if price is not None:
            prices[str(target)] = price
    return prices, problems, unknown


def parse_price_overrides(raw: Any, policy: Policy) -> dict[str, Price]:
    """A customer's own price overrides ``{target: price}``, checked against the policy; raises PricingInvalid."""
    prices, problems, unknown = _parse_overrides(raw, policy, "")
    if problems:
        raise PricingInvalid(problems, unknown)
    return prices


# ---------------------------------------------------------------------------------------------- rules


class _RuleFields(BaseModel):
    """The shape of a rule (targets and prices are checked against the policy afterwards)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, Field(pattern=r"^prr_[A-Za-z0-9_-]{1,64}$")] | None = None
    name: Annotated[str, Field(min_length=1, max_length=MAX_RULE_NAME_CHARS)]
    segment: Annotated[str, Field(min_length=1, max_length=200)]
    priority: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
    overrides: dict[str, Any]
    supersedes: Literal["customer-overrides"] | None = None
    enabled: bool = True


def parse_rule(raw: Any, policy: Policy, *, rule_id: str | None = None) -> PricingRule:
    """A rule from its JSON fields, checked against the environment's policy; raises PricingInvalid with every
    problem by JSON path (an unknown credit or topup is named)."""
    if not isinstance(raw, Mapping):
        raise PricingInvalid([Problem(field="rule", message="expected an object")])
    problems: list[Problem] = []
    try:
        fields = _RuleFields.model_validate(dict(raw))
    except ValidationError as exc:
        fields = None
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"]) or "rule"
            problems.append(Problem(field=location, message=error["msg"].removeprefix("Value error, ")))
    raw_overrides = raw.get("overrides")
    prices, found, unknown = _parse_overrides(raw_overrides, policy, "overrides") \
        if isinstance(raw_overrides, Mapping) else ({}, [], [])
    problems.extend(found)
    if isinstance(raw_overrides, Mapping) and not raw_overrides:
        problems.append(Problem(field="overrides", message="a rule overrides at least one target"))
    if problems or fields is None:
        raise PricingInvalid(problems, unknown)
    return PricingRule(
        id=rule_id or fields.id or new_rule_id(), name=fields.name, segment=fields.segment,
        priority=fields.priority, overrides=prices, supersedes=fields.supersedes, enabled=fields.enabled,
    )


def rule_flags(rule: PricingRule, policy: Policy, segments: Mapping[str, Any]) -> RuleFlags:
    """Whether the rule's segment is gone (absent or None in `segments`) and which targets the policy dropped."""
    missing = tuple(
        text for text in rule.overrides
        if (target := Target.parse(text)) is None or not target_exists(policy, target)
    )
    return RuleFlags(segment_deleted=segments.get(rule.segment) is None, missing_targets=missing)


__all__ = [
    "MAX_RULE_NAME_CHARS",
    "RULE_ID_PREFIX",
    "SUPERSEDES_CUSTOMER_OVERRIDES",
    "Price",
    "PriceOverrides",
    "PricingRule",
    "RuleFlags",
    "Target",
    "new_rule_id",
    "parse_price",
    "parse_price_overrides",
    "parse_rule",
    "policy_price",
    "rule_flags",
    "target_exists",
]
