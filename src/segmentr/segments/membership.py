"""Who is in a segment: members (paged), count, preview of an unsaved condition, change preview of an edit.

Conditions the pushdown translator can state exactly run as SQL in the store (``CustomerSource.count_where`` /
``ids_where``); all others stream the environment's customers through the evaluator in batches (flat memory).
Membership is always computed from current state; nothing is cached.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from segmentr.segments.evaluator import compile_condition, evaluate_many
from segmentr.segments.pushdown import And, Not, Predicate, PushdownUnsupported, to_predicate
from segmentr.stof import Condition

if TYPE_CHECKING:
    from segmentr.policy import Policy

BATCH_SIZE = 1000
Method = Literal["sql", "stream"]


class CustomerSource(Protocol):
    """The customers and live policy of a workspace's environments (implemented by ``segmentr.store``)."""

    def policy(self, env: str) -> Policy:
        """The environment's live policy."""
        ...

    def load(self, env: str, customer_id: str) -> dict[str, Any] | None:
        """One customer in Limitr's format, or None."""
        ...

    def stream(
        self, env: str, batch_size: int, *, after: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every customer (with an id greater than ``after``) in id order, ``batch_size`` at a time."""
        ...

    def count_where(self, env: str, predicate: Predicate) -> int:
        """How many customers match; raises ``PushdownUnsupported`` if the predicate cannot be run as SQL."""
        ...

    def ids_where(
        self, env: str, predicate: Predicate, *, after: str | None = None, limit: int | None = None
    ) -> list[str]:
        """The ids of matching customers in id order (after ``after``, at most ``limit``)."""
        ...


@dataclass(frozen=True, slots=True)
class Page:
    """One page of member ids; ``next_cursor`` is the ``after`` of the next page (None on the last page)."""

    ids: list[str]
    next_cursor: str | None
    method: Method = "sql"
    errors: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Count:
    """How many customers match; ``errors`` counts customers whose evaluation failed (they do not match)."""

    n: int
    errors: int
    method: Method
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """Count and the first ``sample`` member ids of an unsaved condition."""

    count: Count
    sample: list[str] = field(default_factory=list)


class ChangePreview(NamedTuple):
    """Who would enter and who would leave the segment if the edit were saved."""

    entered: list[str]
    left: list[str]


@dataclass(frozen=True, slots=True)
class _Plan:
    condition: Condition
    predicate: Predicate | None


def _plan(condition: Condition | str) -> _Plan:
    compiled = compile_condition(condition)
    return _Plan(compiled, to_predicate(compiled.body))


class _Tally:
    def __init__(self) -> None:
        self.errors = 0
        self.last_error: str | None = None

    def note(self, error: str | None) -> None:
        if error is not None:
            self.errors += 1
            self.last_error = error


def _stream_matches(
    plan: _Plan, source: CustomerSource, env: str, tally: _Tally, *, after: str | None = None
) -> Iterator[str]:
    policy = source.policy(env)
    # `after` only when paging, so a source without keyset streaming still serves first pages and counts
    batches = source.stream(env, BATCH_SIZE) if after is None else source.stream(env, BATCH_SIZE, after=after)
    for batch in batches:
        for customer_id, matched, error in evaluate_many(plan.condition, batch, policy):
            tally.note(error)
            if matched:
                yield customer_id


def members(
    condition: Condition | str,
    source: CustomerSource,
    env: str,
    *,
    after: str | None = None,
    limit: int = 100,
) -> Page:
    """One page of the ids of matching customers, in id order, starting after ``after``."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    plan = _plan(condition)
    if plan.predicate is not None:
        try:
            ids = source.ids_where(env, plan.predicate, after=after, limit=limit + 1)
        except PushdownUnsupported:
            pass
        else:
            more = len(ids) > limit
            return Page(ids[:limit], ids[limit - 1] if more else None, "sql")
    tally = _Tally()
    found: list[str] = []
    for customer_id in _stream_matches(plan, source, env, tally, after=after):
        found.append(customer_id)
        if len(found) > limit:
            break
    more = len(found) > limit
    return Page(found[:limit], found[limit - 1] if more else None, "stream", tally.errors, tally.last_error)


def count(condition: Condition | str, source: CustomerSource, env: str) -> Count:
    """How many customers of the environment match."""
    return _count(_plan(condition), source, env)


def _count(plan: _Plan, source: CustomerSource, env: str) -> Count:
    if plan.predicate is not None:
        try:
            return Count(source.count_where(env, plan.predicate), 0, "sql")
        except PushdownUnsupported:
            pass
    tally = _Tally()
    n = sum(1 for _ in _stream_matches(plan, source, env, tally))
    return Count(n, tally.errors, "stream", tally.last_error)


def preview(condition_source_text: str, source: CustomerSource, env: str, sample: int = 10) -> Preview:
    """Count and a sample of the members of an unsaved condition (raises ``StofSyntaxError`` if it does not
    parse)."""
    plan = _plan(condition_source_text)
    if plan.predicate is not None:
        try:
            n = source.count_where(env, plan.predicate)
            ids = source.ids_where(env, plan.predicate, limit=sample) if sample > 0 else []
            return Preview(Count(n, 0, "sql"), ids)
        except PushdownUnsupported:
            pass
    tally = _Tally()
    first: list[str] = []
    n = 0
    for customer_id in _stream_matches(plan, source, env, tally):
        n += 1
        if len(first) < sample:
            first.append(customer_id)
    return Preview(Count(n, tally.errors, "stream", tally.last_error), first)


def change_preview(
    old: Condition | str | None, new: Condition | str, source: CustomerSource, env: str
) -> ChangePreview:
    """Who enters and who leaves the segment when its condition changes from ``old`` to ``new`` (ids in order)."""
    new_plan = _plan(new)
    old_plan = _plan(old) if old is not None else None
    if new_plan.predicate is not None and (old_plan is None or old_plan.predicate is not None):
        try:
            if old_plan is None:
                return ChangePreview(source.ids_where(env, new_plan.predicate), [])
            assert old_plan.predicate is not None
            entered = source.ids_where(env, And((new_plan.predicate, Not(old_plan.predicate))))
            left = source.ids_where(env, And((old_plan.predicate, Not(new_plan.predicate))))
            return ChangePreview(entered, left)
        except PushdownUnsupported:
            pass
    return _stream_change(old_plan, new_plan, source, env)


def _stream_change(
    old_plan: _Plan | None, new_plan: _Plan, source: CustomerSource, env: str
) -> ChangePreview:
    policy = source.policy(env)
    entered: list[str] = []
    left: list[str] = []
    for batch in source.stream(env, BATCH_SIZE):
        now_in = {cid for cid, matched, _ in evaluate_many(new_plan.condition, batch, policy) if matched}
        was_in: set[str] = set()
        if old_plan is not None:
            was_in = {cid for cid, matched, _ in evaluate_many(old_plan.condition, batch, policy) if matched}
        for customer in batch:
            customer_id = customer["id"]
            if customer_id in now_in and customer_id not in was_in:
                entered.append(customer_id)
            elif customer_id in was_in and customer_id not in now_in:
                left.append(customer_id)
    return ChangePreview(entered, left)


__all__ = [
    "ChangePreview",
    "Count",
    "CustomerSource",
    "Page",
    "Preview",
    "change_preview",
    "count",
    "members",
    "preview",
]
