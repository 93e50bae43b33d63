"""The effective price of a target for a customer, and why (product.md §6); the policy engine's price hook.

Order, for target T and customer C:
1. the rules with ``supersedes: "customer-overrides"``, by priority: the first whose segment matches C and that
   overrides T;
2. else C's own override for T;
3. else the other rules, by priority: the first whose segment matches C and that overrides T;
4. else the policy's own price (the hook answers None and the engine uses it).

No recursion: a segment condition evaluated inside a resolution sees a `policy` view priced *without* rules
(C's own overrides, else the policy's prices), so a condition reading margins never consults the rules again.
A condition that fails does not match; the failure is reported (``on_segment_error``, ``Resolution.failures``)
and never reaches the billable action.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from segmentr.policy import Policy, Subscriber
from segmentr.segments import Problem
from segmentr.stof import StofError

from .book import EMPTY_BOOK, Candidate, RuleBook
from .errors import PricingInvalid
from .model import Price, PriceOverrides, PricingRule, Target, policy_price

SegmentErrorHandler = Callable[[str, str, str], None]  # (segment id, customer id, message)
CustomerPriceOverrides = Mapping[str, PriceOverrides]  # customer id -> that customer's own overrides

# why a considered rule did (not) set the price
APPLIED = "applied"
OUTRANKED = "outranked"
DISABLED = "disabled"
SEGMENT_DELETED = "segment_deleted"
DOES_NOT_OVERRIDE_TARGET = "does_not_override_target"
TARGET_MISSING = "target_missing"
EVALUATION_FAILED = "evaluation_failed"
SEGMENT_NOT_MATCHED = "segment_not_matched"

_NO_OVERRIDES: CustomerPriceOverrides = {}


def describe_failure(error: BaseException) -> str:
    return str(error) if isinstance(error, StofError) else f"internal error: {type(error).__name__}: {error}"


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A rule as an explanation names it."""

    id: str
    name: str
    priority: int
    segment: str
    supersedes: str | None

    @classmethod
    def of(cls, rule: PricingRule) -> RuleRef:
        return cls(rule.id, rule.name, rule.priority, rule.segment, rule.supersedes)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "priority": self.priority, "segment": self.segment,
                "supersedes": self.supersedes}


@dataclass(frozen=True, slots=True)
class Source:
    """Where the price came from: ``rule`` (with the rule), ``customer_override`` or ``policy``."""

    kind: str
    rule: RuleRef | None = None

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"kind": self.kind}
        if self.rule is not None:
            shown["rule"] = self.rule.to_json()
        return shown


@dataclass(frozen=True, slots=True)
class Consideration:
    """One rule looked at: whether its segment matched (None: not evaluated), and why it did or did not win."""

    rule: RuleRef
    matched: bool | None
    overrides_target: bool
    why: str
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        shown = {"rule": self.rule.to_json(), "matched": self.matched, "overrides_target": self.overrides_target,
                 "why": self.why}
        if self.error is not None:
            shown["error"] = self.error
        return shown


@dataclass(frozen=True, slots=True)
class SegmentFailure:
    """A segment condition that failed for a customer during a resolution (to be recorded on the segment)."""

    segment: str
    customer: str
    message: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """The effective price of `target` (None: unpriced), its source, and every rule considered, by priority."""

    target: str
    price: Price | None
    source: Source
    considered: tuple[Consideration, ...]
    failures: tuple[SegmentFailure, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "price": None if self.price is None else self.price.to_json(),
            "source": self.source.to_json(),
            "considered": [item.to_json() for item in self.considered],
        }


class CustomerOverridePrices:
    """The rule-free price hook: a customer's own override, else None (the policy's price)."""

    __slots__ = ("_overrides",)

    def __init__(self, overrides: CustomerPriceOverrides | None) -> None:
        self._overrides = overrides or _NO_OVERRIDES

    def resolve(self, customer: dict[str, Any], target: str) -> Any:
        own = self._overrides.get(customer.get("id"))  # type: ignore[call-overload]
        if own:
            price = own.get(target)
            if price is not None:
                return price.document
        return None


class EffectivePrices:
    """The price hook over one policy copy: a rule book, the customers' own overrides, the rule-free view.

    `priced()` is the policy copy whose meter events, margin snapshots and topup prices use effective prices;
    `explain()` answers the price of one target with the reasons. Building one is O(1): two policy copies that
    share the compiled document and the customer table.
    """

    __slots__ = ("_base", "_book", "_by_target", "_on_error", "_overrides", "_view")

    def __init__(self, policy: Policy, book: RuleBook | None = None,
                 overrides: CustomerPriceOverrides | None = None, *,
                 customers: Mapping[str, dict[str, Any]] | None = None,
                 on_segment_error: SegmentErrorHandler | None = None) -> None:
        table = policy.customers if customers is None else customers
        self._book = book or EMPTY_BOOK
        self._by_target = self._book.index.get  # bound once: the hook runs on every priced unit
        self._overrides = overrides or _NO_OVERRIDES
        self._on_error = on_segment_error
        # what segment conditions see inside a resolution: the same customers, priced without rules
        self._base = policy.with_customers(table, resolver=CustomerOverridePrices(self._overrides))
        self._view = self._base.view()

    def for_customers(self, customers: Mapping[str, dict[str, Any]]) -> EffectivePrices:
        """The same rules and overrides over another customer table (a `with_customers` copy of the priced
        policy calls this, so segment conditions read the customers that copy holds)."""
        return EffectivePrices(self._base, self._book, self._overrides, customers=customers,
                               on_segment_error=self._on_error)

    def priced(self, *, subscribers: Iterable[Subscriber] | None = None) -> Policy:
        """The policy copy that prices with this resolver (same customer table), with these subscribers."""
        return self._base.with_customers(self._base.customers, subscribers=subscribers, resolver=self)

    # -------------------------------------------------------------------------------------- the hook

    def resolve(self, customer: dict[str, Any], target: str) -> Any:
        """The effective price document of `target` for `customer`, or None for the policy's own price."""
        overrides = self._overrides
        own = overrides.get(customer.get("id")) if overrides else None  # type: ignore[call-overload]
        rules = self._by_target(target)
        if rules is None:
            price = own.get(target) if own else None
            return None if price is None else price.document
        view = self._view
        key = rules.key(customer)
        try:
            hits = rules.memo.get(key)
        except TypeError:  # a list or object among the values read: evaluate, do not memoize
            key = None
            hits = None
        if hits is None and key is not None:
            try:
                hits = rules.first_matches(customer, view)
            except Exception:
                hits = None  # not memoized: the walk below evaluates again and reports the failure
            else:
                rules.remember(key, hits)
        if hits is None:
            hits = (len(rules.superseding), len(rules.others))
            superseding_evaluated = tuple(enumerate(rules.superseding))
            others_evaluated = tuple(enumerate(rules.others))
        else:
            superseding_evaluated, others_evaluated = rules.superseding_evaluated, rules.others_evaluated
        if superseding_evaluated:
            document = self._first(superseding_evaluated, rules.superseding_documents, hits[0], customer, view)
        else:  # every segment memoized: the answer is the memo's
            document = rules.superseding_documents[hits[0]]
        if document is not None:
            return document
        if own:
            price = own.get(target)
            if price is not None:
                return price.document
        if others_evaluated:
            return self._first(others_evaluated, rules.others_documents, hits[1], customer, view)
        return rules.others_documents[hits[1]]

    def _first(self, evaluated: tuple[tuple[int, Candidate], ...], documents: tuple[Any, ...], hit: int,
               customer: dict[str, Any], view: Any) -> Any:
        """The price of the first matching rule of a list: one of `evaluated` before position `hit`, else the
        memoized match at `hit` (`documents[hit]`: None when `hit` is past the end)."""
        for index, (segment, matches, document, _) in evaluated:
            if index > hit:
                break
            try:
                if matches(customer, view):
                    return document
            except Exception as error:  # a failing condition does not match; the action goes on
                self._failed(segment, customer, error)
        return documents[hit]

    def _failed(self, segment: str, customer: dict[str, Any], error: Exception) -> SegmentFailure:
        failure = SegmentFailure(segment, str(customer.get("id")), describe_failure(error))
        if self._on_error is not None:
            with contextlib.suppress(Exception):  # recording a failure must never break the billable action
                self._on_error(failure.segment, failure.customer, failure.message)
        return failure

    # -------------------------------------------------------------------------------------- the explanation

    def explain(self, customer: dict[str, Any] | str, target: str) -> Resolution:
        """The price of `target` for a customer (a state dict, or an id of this policy's table) and why.

        Raises PricingInvalid for a target that is not ``credit:<name>`` / ``topup:<name>`` or an unknown id.
        """
        state = self._base.customers.get(customer) if isinstance(customer, str) else customer
        if state is None:
            raise PricingInvalid([Problem(field="customer", message=f"no customer {customer!r} in this environment")])
        parsed = Target.parse(target)
        if parsed is None:
            raise PricingInvalid([Problem(field="target", message="a target is credit:<credit name> or topup:<topup name>")])
        available = self._available(parsed, state)
        base_price = policy_price(self._base, parsed, state["id"]) if available else None
        own = self._overrides.get(state["id"], {}).get(target) if available else None
        failures: list[SegmentFailure] = []
        evaluated: dict[str, tuple[bool, str | None]] = {}
        rows: list[tuple[PricingRule, bool | None, str, str | None]] = []
        for entry in self._book.rules:
            rule = entry.rule
            if not rule.enabled:
                rows.append((rule, None, DISABLED, None))
            elif entry.matches is None:
                rows.append((rule, None, SEGMENT_DELETED, None))
            elif target not in rule.overrides:
                rows.append((rule, None, DOES_NOT_OVERRIDE_TARGET, None))
            elif not available:
                rows.append((rule, None, TARGET_MISSING, None))
            else:
                if rule.segment not in evaluated:
                    try:
                        evaluated[rule.segment] = (bool(entry.matches(state, self._view)), None)
                    except Exception as error:
                        failure = self._failed(rule.segment, state, error)
                        failures.append(failure)
                        evaluated[rule.segment] = (False, failure.message)
                matched, error_text = evaluated[rule.segment]
                why = EVALUATION_FAILED if error_text is not None else (OUTRANKED if matched else SEGMENT_NOT_MATCHED)
                rows.append((rule, matched, why, error_text))
        winner = self._winner(rows, own is not None)
        considered = []
        for rule, matched, why, error_text in rows:
            if rule is winner:
                why = APPLIED
            considered.append(Consideration(RuleRef.of(rule), matched, target in rule.overrides, why, error_text))
        if winner is not None:
            price: Price | None = winner.overrides[target]
            source = Source("rule", RuleRef.of(winner))
        elif own is not None:
            price, source = own, Source("customer_override")
        else:
            price, source = base_price, Source("policy")
        return Resolution(target, price, source, tuple(considered), tuple(failures))

    @staticmethod
    def _winner(rows: list[tuple[PricingRule, bool | None, str, str | None]], has_own: bool) -> PricingRule | None:
        matching = [rule for rule, _, why, _ in rows if why == OUTRANKED]  # matched and overrides: candidates
        for rule in matching:
            if rule.supersedes_customer_overrides:
                return rule
        if has_own:
            return None
        return matching[0] if matching else None

    def _available(self, target: Target, customer: dict[str, Any]) -> bool:
        """Whether the policy still prices this target for the customer (a topup must be on their plan)."""
        if target.kind == "credit":
            return self._base.credit(target.name) is not None
        plan = self._base.plan(customer["id"])
        return plan is not None and target.name in (plan.get("topups") or {})


__all__ = [
    "APPLIED",
    "DISABLED",
    "DOES_NOT_OVERRIDE_TARGET",
    "EVALUATION_FAILED",
    "OUTRANKED",
    "SEGMENT_DELETED",
    "SEGMENT_NOT_MATCHED",
    "TARGET_MISSING",
    "Consideration",
    "CustomerOverridePrices",
    "CustomerPriceOverrides",
    "EffectivePrices",
    "Resolution",
    "RuleRef",
    "SegmentErrorHandler",
    "SegmentFailure",
    "Source",
    "describe_failure",
]
