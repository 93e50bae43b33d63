"""An environment's rules compiled once: conditions compiled to code, rules sorted by priority, indexed by target.

A `RuleBook` is built for one (rules version, segments version) and then only read, so any number of
resolutions (threads included) share it; `RuleBooks` keeps the recent ones by that key. A resolution looks up
its target and walks only the enabled rules that override it, whose segment exists, in priority order.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from segmentr.stof import Condition, StofError, compile

from .model import PricingRule

Matcher = Callable[[dict[str, Any], Any], bool]  # (customer, policy view) -> matched; raises on failure
SegmentSource = str | Condition | None  # None (or absent): the segment was deleted


@dataclass(frozen=True, slots=True)
class BookRule:
    """A rule with its segment's compiled matcher (None when the segment is deleted)."""

    rule: PricingRule
    matches: Matcher | None


# (segment id, matcher, price document, rule): tuples keep the resolver's loop cheap
Candidate = tuple[str, Matcher, Any, PricingRule]


def _failing(error: Exception) -> Matcher:
    def matches(customer: dict[str, Any], policy: Any) -> bool:
        raise error

    return matches


def _matcher(source: SegmentSource) -> Matcher | None:
    if source is None:
        return None
    try:
        condition = source if isinstance(source, Condition) else compile(source)
    except StofError as error:  # a stored condition the current grammar refuses fails at each evaluation
        return _failing(error)
    return condition.optimize().matches_customer  # type: ignore[no-any-return]


class RuleBook:
    """The rules of one environment against the current segments (workspace-level, `product.md` §2)."""

    __slots__ = ("_by_target", "key", "rules")

    def __init__(self, rules: Iterable[PricingRule], segments: Mapping[str, SegmentSource], *,
                 key: Hashable = None) -> None:
        self.key = key
        matchers: dict[str, Matcher | None] = {}
        ordered: list[BookRule] = []
        for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
            if rule.segment not in matchers:
                matchers[rule.segment] = _matcher(segments.get(rule.segment))
            ordered.append(BookRule(rule, matchers[rule.segment]))
        self.rules: tuple[BookRule, ...] = tuple(ordered)
        by_target: dict[str, tuple[list[Candidate], list[Candidate]]] = {}
        for entry in ordered:
            rule = entry.rule
            if not rule.enabled or entry.matches is None:
                continue  # never matches: a resolution does not even look at it
            for target, price in rule.overrides.items():
                superseding, others = by_target.setdefault(target, ([], []))
                (superseding if rule.supersedes_customer_overrides else others).append(
                    (rule.segment, entry.matches, price.document, rule))
        self._by_target: dict[str, tuple[tuple[Candidate, ...], tuple[Candidate, ...]]] = {
            target: (tuple(superseding), tuple(others)) for target, (superseding, others) in by_target.items()
        }

    def candidates(self, target: str) -> tuple[tuple[Candidate, ...], tuple[Candidate, ...]] | None:
        """The live rules overriding `target`: (superseding customer overrides, the others), each by priority."""
        return self._by_target.get(target)


EMPTY_BOOK = RuleBook((), {})


class RuleBooks:
    """Compiled rule books by key, e.g. (environment id, rules version, segments version); the last `size` kept."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._books: OrderedDict[Hashable, RuleBook] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], tuple[Iterable[PricingRule], Mapping[str, SegmentSource]]]
            ) -> RuleBook:
        """The book for `key`; `build()` gives (rules, segments) and runs only when the key is new."""
        with self._lock:
            book = self._books.get(key)
            if book is not None:
                self._books.move_to_end(key)
                return book
        rules, segments = build()
        book = RuleBook(rules, segments, key=key)
        with self._lock:
            self._books[key] = book
            self._books.move_to_end(key)
            while len(self._books) > self._size:
                self._books.popitem(last=False)
        return book


__all__ = ["EMPTY_BOOK", "BookRule", "RuleBook", "RuleBooks", "SegmentSource"]
