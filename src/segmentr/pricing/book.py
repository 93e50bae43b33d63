"""An environment's rules compiled once: conditions compiled to code, rules sorted by priority, indexed by target.

A `RuleBook` is built for one (rules version, segments version) and then only read, so any number of
resolutions (threads included) share it; `RuleBooks` keeps the recent ones by that key. A resolution looks up
its target and walks only the enabled rules that override it, whose segment exists, in priority order.
"""

from __future__ import annotations

import builtins
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from segmentr.segments.pushdown import (
    And,
    Compare,
    IsNull,
    MetadataPath,
    Not,
    NowMinus,
    Or,
    StrMatch,
    translate_source,
)
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
FieldPath = tuple[str, tuple[str, ...] | None]  # (column, None) or ("metadata", keys)
_MEMO_MAX = 8192
_NO_METADATA: dict[str, Any] = {}


def _walk(metadata: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """`customer.metadata.k1.k2…` as Stof reads it: a step into anything but an object is null."""
    value: Any = metadata
    for step in keys:
        value = value.get(step) if type(value) is dict else None
    return value


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


def _fields_read(source: SegmentSource) -> frozenset[FieldPath] | None:
    """The customer fields a condition reads when its value depends on nothing else (a simple-mode shape without
    a clock: the pushdown translation, exact by its parity test); None when it may read anything."""
    if source is None:
        return None
    predicate = translate_source(source.source if isinstance(source, Condition) else source)
    if predicate is None:
        return None
    fields: set[FieldPath] = set()
    pending: list[Any] = [predicate]
    while pending:
        node = pending.pop()
        if isinstance(node, And | Or):
            pending.extend(node.items)
        elif isinstance(node, Not):
            pending.append(node.item)
        elif isinstance(node, Compare | StrMatch | IsNull):
            if isinstance(node, Compare) and isinstance(node.value, NowMinus):
                return None  # reads the clock
            field = node.field
            fields.add(("metadata", field.keys) if isinstance(field, MetadataPath) else (field.name, None))
    return frozenset(fields)


def _key_function(fields: tuple[FieldPath, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """`key(customer)`: the values of `fields` and their types, in one flat tuple (so `1`, `1.0` and `true`
    stay apart; a list or object value makes it unhashable, and the memo lookup raises TypeError).

    Generated once per target because it runs on every resolution: each name enters the source only as
    `repr()` of a string, an inert literal."""
    reads = []
    for index, (column, keys) in enumerate(fields):
        if keys is None:
            reads.append(f"    v{index} = customer.get({column!r})")
        elif len(keys) == 1:
            reads.append(f"    v{index} = metadata.get({keys[0]!r})")
        else:
            reads.append(f"    v{index} = _walk(metadata, {keys!r})")
    names = [f"v{index}" for index in range(len(fields))]
    source = "\n".join([
        "def key(customer):",
        "    metadata = customer.get('metadata')",
        "    if type(metadata) is not dict:",
        "        metadata = _NO_METADATA",
        *reads,
        f"    return ({''.join(f'{n}, ' for n in names)}{''.join(f'type({n}), ' for n in names)})",
    ])
    namespace: dict[str, Any] = {"_walk": _walk, "_NO_METADATA": _NO_METADATA}
    exec(builtins.compile(source, "<pricing memo key>", "exec"), namespace)
    return namespace["key"]  # type: ignore[no-any-return]


class TargetRules:
    """The live rules overriding one target, and a memo of their field-only segments' answers.

    A segment whose condition reads only customer fields (plan, type, metadata paths…) gives the same answer for
    the same values of those fields, so the memo is keyed by exactly those values (typed: `1`, `1.0` and `true`
    stay apart): never stale, whatever changed in the customer since. Per key it keeps the position of the
    first field-only match in each list; conditions that read anything else (meters, margins, the clock) are
    evaluated on every resolution, in their place in the priority order.
    """

    __slots__ = ("fields", "key", "memo", "memoized", "others",
                 "others_documents", "others_evaluated", "superseding", "superseding_documents",
                 "superseding_evaluated")

    def __init__(self, superseding: list[Candidate], others: list[Candidate],
                 fields_of: Mapping[str, frozenset[FieldPath] | None]) -> None:
        self.superseding = tuple(superseding)
        self.others = tuple(others)
        # each rule's price by position, and None one past the end ("no rule of this list matched")
        self.superseding_documents = (*(c[2] for c in self.superseding), None)
        self.others_documents = (*(c[2] for c in self.others), None)
        self.memoized = tuple(
            tuple(fields_of.get(c[0]) is not None for c in group) for group in (self.superseding, self.others))
        self.superseding_evaluated = tuple(
            (i, c) for i, c in enumerate(self.superseding) if not self.memoized[0][i])
        self.others_evaluated = tuple((i, c) for i, c in enumerate(self.others) if not self.memoized[1][i])
        union: set[FieldPath] = set()
        for group in (self.superseding, self.others):
            for candidate in group:
                union |= fields_of.get(candidate[0]) or frozenset()
        self.fields: tuple[FieldPath, ...] = tuple(sorted(union, key=repr))
        self.key = _key_function(self.fields)
        self.memo: dict[Any, tuple[int, int]] = {}

    def first_matches(self, customer: dict[str, Any], view: Any) -> tuple[int, int]:
        """Per list, the position of the first field-only segment that matches (the list's length: none).

        Raises what a condition raises (then nothing is memoized)."""
        hits = []
        for group, memoized in zip((self.superseding, self.others), self.memoized, strict=True):
            position = len(group)
            for index, candidate in enumerate(group):
                if memoized[index] and candidate[1](customer, view):
                    position = index
                    break
            hits.append(position)
        return hits[0], hits[1]

    def remember(self, key: Any, hits: tuple[int, int]) -> None:
        if len(self.memo) >= _MEMO_MAX:
            self.memo.clear()
        self.memo[key] = hits


class RuleBook:
    """The rules of one environment against the current segments (workspace-level, `product.md` §2)."""

    __slots__ = ("_by_target", "key", "rules")

    def __init__(self, rules: Iterable[PricingRule], segments: Mapping[str, SegmentSource], *,
                 key: Hashable = None) -> None:
        self.key = key
        matchers: dict[str, Matcher | None] = {}
        fields_of: dict[str, frozenset[FieldPath] | None] = {}
        ordered: list[BookRule] = []
        for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
            if rule.segment not in matchers:
                source = segments.get(rule.segment)
                matchers[rule.segment] = _matcher(source)
                fields_of[rule.segment] = _fields_read(source)
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
        self._by_target: dict[str, TargetRules] = {
            target: TargetRules(superseding, others, fields_of)
            for target, (superseding, others) in by_target.items()
        }

    def candidates(self, target: str) -> TargetRules | None:
        """The live rules overriding `target` (superseding customer overrides, then the others, by priority)."""
        return self._by_target.get(target)

    @property
    def index(self) -> Mapping[str, TargetRules]:
        """Target -> its live rules (what `candidates` reads)."""
        return self._by_target


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


__all__ = ["EMPTY_BOOK", "BookRule", "RuleBook", "RuleBooks", "SegmentSource", "TargetRules"]
