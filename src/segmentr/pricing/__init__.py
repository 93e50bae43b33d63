"""Pricing rules and the effective price (product.md §6): pure, no I/O.

A rule gives the customers of a segment other prices for ``credit:<name>`` / ``topup:<name>`` targets; a
customer may have price overrides of its own. The layers above call:

- ``parse_rule(raw, policy)`` / ``parse_price_overrides(raw, policy)``: validate on save against the
  environment's policy (``PricingInvalid``: problems by JSON path, unknown targets named); ``rule_flags`` says
  what a saved rule has lost since (its segment, targets the policy dropped).
- ``RuleBook(rules, segments)`` (kept per (environment, rules version, segments version) by ``RuleBooks``):
  conditions compiled, rules sorted and indexed by target, built once and shared.
- ``EffectivePrices(policy, book, overrides, customers=…, on_segment_error=…)``: the policy engine's price
  hook; ``.priced(subscribers=…)`` is the policy copy whose meter events, margin snapshots and topup prices use
  effective prices, ``.explain(customer, target)`` the price and why (``Resolution``).
"""

from .book import EMPTY_BOOK, RuleBook, RuleBooks, SegmentSource
from .errors import PricingError, PricingInvalid
from .model import (
    RULE_ID_PREFIX,
    SUPERSEDES_CUSTOMER_OVERRIDES,
    Price,
    PriceOverrides,
    PricingRule,
    RuleFlags,
    Target,
    new_rule_id,
    parse_price,
    parse_price_overrides,
    parse_rule,
    policy_price,
    rule_flags,
    target_exists,
)
from .resolver import (
    APPLIED,
    DISABLED,
    DOES_NOT_OVERRIDE_TARGET,
    EVALUATION_FAILED,
    OUTRANKED,
    SEGMENT_DELETED,
    SEGMENT_NOT_MATCHED,
    TARGET_MISSING,
    Consideration,
    CustomerOverridePrices,
    CustomerPriceOverrides,
    EffectivePrices,
    Resolution,
    RuleRef,
    SegmentErrorHandler,
    SegmentFailure,
    Source,
)

__all__ = [
    "APPLIED",
    "DISABLED",
    "DOES_NOT_OVERRIDE_TARGET",
    "EMPTY_BOOK",
    "EVALUATION_FAILED",
    "OUTRANKED",
    "RULE_ID_PREFIX",
    "SEGMENT_DELETED",
    "SEGMENT_NOT_MATCHED",
    "SUPERSEDES_CUSTOMER_OVERRIDES",
    "TARGET_MISSING",
    "Consideration",
    "CustomerOverridePrices",
    "CustomerPriceOverrides",
    "EffectivePrices",
    "Price",
    "PriceOverrides",
    "PricingError",
    "PricingInvalid",
    "PricingRule",
    "Resolution",
    "RuleBook",
    "RuleBooks",
    "RuleFlags",
    "RuleRef",
    "SegmentErrorHandler",
    "SegmentFailure",
    "SegmentSource",
    "Source",
    "Target",
    "new_rule_id",
    "parse_price",
    "parse_price_overrides",
    "parse_rule",
    "policy_price",
    "rule_flags",
    "target_exists",
]
