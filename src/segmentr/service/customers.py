"""Customers of one environment and their usage, as an actor acts on them.

List (filters and keyset paging), show (meters, grants, margin snapshot), create-or-replace, change, remove,
import, streamed export, and the metering use cases: ``record_usage`` is the policy engine's ``allow`` on the
locked customer row, written in the same transaction as its idempotency record; ``batch_usage`` meters up to
1 000 records in one transaction that locks each customer row once; ``check_usage``, entitlements, topups and
margins read or change one customer atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from segmentr import segments as segment_engine
from segmentr.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    Problem,
    SegmentrError,
)
from segmentr.policy import Policy
from segmentr.policy.document import quantity
from segmentr.service.access import Action, require
from segmentr.service.context import Actor
from segmentr.service.decisions import collector as event_collector
from segmentr.service.decisions import decider_for, synthetic_event
from segmentr.service.errors import InvalidRequest
from segmentr.service.idempotency import (
    Replay,
    StoredResponse,
    check_key,
    claim_in,
    complete_in,
    fingerprint,
    keep_in,
    kept_in,
)
from segmentr.service.pricing import effective_for_customer, price_context
from segmentr.store import ImportResult, Store, UnitOfWork, customer_queries, customers, idempotency, metering
from segmentr.store import segments as segment_repo

__all__ = [
    "EXPORT_FORMATS",
    "MAX_BATCH",
    "BatchItem",
    "CustomerDetail",
    "CustomerPage",
    "CustomerService",
    "EntitlementReading",
    "TopupResult",
    "UsageRecord",
    "UsageResult",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_BATCH = 1000
EXPORT_FORMATS = ("jsonl", "csv")
EXPORT_BATCH = 1000
PATCHABLE = ("plan", "type", "label", "metadata")
CSV_COLUMNS = (
    "id", "plan", "type", "label", "alt_ids", "refs", "overrides", "caps", "grants", "meters", "metadata",
    "cloud_created", "cloud_updated",
)  # fmt: skip
_JSON_COLUMNS = {"alt_ids", "refs", "overrides", "caps", "grants", "meters", "metadata"}


@dataclass(frozen=True, slots=True)
class CustomerPage:
    """One keyset page: pass the last id as ``starting_after`` for the next one while ``has_more``."""

    data: list[dict[str, Any]]
    has_more: bool


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    """A customer's whole record (meters and grants included) and its margin snapshot for this period."""

    customer: dict[str, Any]
    margin: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class UsageResult:
    """The answer to a usage call: the engine's decision and the meter after it, with the policy's events.

    ``replayed``: an earlier call under the same idempotency key gave this answer (nothing was metered now).
    """

    allowed: bool
    value: float | None
    limit: float | None
    remaining: float | None
    events: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body.pop("replayed")
        return body

    @classmethod
    def from_dict(cls, body: Mapping[str, Any], *, replayed: bool = False) -> UsageResult:
        return cls(
            allowed=bool(body["allowed"]),
            value=body.get("value"),
            limit=body.get("limit"),
            remaining=body.get("remaining"),
            events=list(body.get("events") or []),
            replayed=replayed,
        )


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One record of a usage batch."""

    customer: str
    entitlement: str
    value: float | str
    event_data: Any = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class BatchItem:
    """A batch record's answer: its ``result``, or its own ``error`` (the rest of the batch is unaffected)."""

    result: UsageResult | None = None
    error: SegmentrError | None = None


@dataclass(frozen=True, slots=True)
class EntitlementReading:
    entitlement: str
    limit: float | None
    value: float | None
    percent: float | None
    remaining: float | None


@dataclass(frozen=True, slots=True)
class TopupResult:
    """The grant a topup added and the price charged for it (the effective price)."""

    topup: str
    grant: dict[str, Any]
    price: Any


class _Events:
    """Collects the policy's events of one call (under the row lock: nothing is dropped)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        self.items.append({"type": name, "data": _jsonable(payload)})


class _RawEvents:
    """Collects the policy's events of a batch's record as sent; the batch converts them all at once."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def __call__(self, name: str, payload: dict[str, Any]) -> None:
        self.items.append({"type": name, "data": payload})


def _jsonable(value: Any) -> Any:
    """The event payload as plain JSON data (what an idempotency record stores and replays)."""
    try:
        return orjson.loads(orjson.dumps(value, default=str))
    except TypeError:  # integers past 64 bits: the standard encoder copes
        return json.loads(json.dumps(value, default=str))


def _check_value(value: Any, where: str = "value") -> float | str:
    """A usage value: a finite number or a unit string such as "2GB" whose amount is finite (a meter holding NaN
    or an infinity could not be stored as JSON, nor meant anything)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(problems=[Problem(field=where, message="a number or a unit string such as \"2GB\"")])
    amount = quantity(value) if isinstance(value, str) else value
    if amount is not None and not math.isfinite(amount):
        raise InvalidInput(problems=[Problem(field=where, message=f"a finite number, not {value!r}")])
    return value


def _check_overhead(overhead: float | None) -> None:
    if overhead is not None and (isinstance(overhead, bool) or not isinstance(overhead, int | float)
                                 or not math.isfinite(overhead)):  # fmt: skip
        raise InvalidInput(problems=[Problem(field="overhead", message=f"a finite number, not {overhead!r}")])


class CustomerService:
    """The customers of the actor's workspace, in the environment each call names."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def _environment_id(self, environment: str, uow: UnitOfWork | None = None) -> int:
        self.actor.reach(environment)
        session = uow.session if uow is not None else None
        return self._store.environment_record(self.actor.workspace_id, environment, session=session).id

    # ------------------------------------------------------------------ reading

    def list(
        self,
        environment: str,
        *,
        segment: str | None = None,
        plan: str | None = None,
        q: str | None = None,
        starting_after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> CustomerPage:
        """Customers in id order; ``segment`` (id or name) keeps its members, ``plan`` one plan, ``q`` an id,
        label or email prefix."""
        require(self.actor, Action.READ_CUSTOMERS)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        environment_id = self._environment_id(environment)
        if segment is None:
            with self._store.session() as session:
                found = customer_queries.search_customers(
                    session=session, environment_id=environment_id, plan=plan, q=q, after=starting_after,
                    limit=limit + 1,
                )
            return CustomerPage(found[:limit], len(found) > limit)
        return self._segment_page(environment, environment_id, segment, plan, q, starting_after, limit)

    def _segment_page(
        self, environment: str, environment_id: int, segment: str, plan: str | None, q: str | None,
        after: str | None, limit: int,
    ) -> CustomerPage:
        with self._store.session() as session:
            saved = segment_repo.get_segment(session=session, workspace_id=self.actor.workspace_id, segment=segment)
        source = self._store.customers(self.actor.workspace_id)
        collected: list[dict[str, Any]] = []
        cursor = after
        while len(collected) <= limit:
            page = segment_engine.members(saved.condition, source, environment, after=cursor, limit=1000)
            with self._store.session() as session:
                batch = customer_queries.customers_by_ids(session=session, environment_id=environment_id, ids=page.ids)
            collected.extend(c for c in batch if _matches(c, plan, q))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        return CustomerPage(collected[:limit], len(collected) > limit)

    def get(self, environment: str, customer_id: str) -> CustomerDetail:
        """The customer with meters and grants, and its margin snapshot (``NotFound`` if there is none)."""
        require(self.actor, Action.READ_CUSTOMERS)

        def read(uow: UnitOfWork) -> CustomerDetail:
            state, policy = self._load(uow, environment, customer_id)
            return CustomerDetail(dict(state), policy.customer_local_margin_breakdown(customer_id))

        return self._store.run(read)

    def _load(self, uow: UnitOfWork, environment: str, customer_id: str) -> tuple[dict[str, Any], Policy]:
        environment_id = self._environment_id(environment, uow)
        state = customers.load_customer(session=uow.session, environment_id=environment_id, customer_id=customer_id)
        if state is None:
            raise NotFound(f"no customer {customer_id!r} in {environment}")
        policy = effective_for_customer(
            uow, environment_id, customer_id, state, uow.live_policy(environment_id), price_context(self._store, uow)
        )
        return state, policy

    def margin(self, environment: str, customer_id: str) -> dict[str, Any] | None:
        """Revenue, cost and margin of this period (policy.md §4), priced with effective prices."""
        return self.get(environment, customer_id).margin

    def entitlement(self, environment: str, customer_id: str, name: str) -> EntitlementReading:
        require(self.actor, Action.READ_CUSTOMERS)

        def read(uow: UnitOfWork) -> EntitlementReading:
            _, policy = self._load(uow, environment, customer_id)
            if policy.entitlement(customer_id, name) is None:
                raise NotFound(f"customer {customer_id!r} has no entitlement {name!r} on its plan")
            return EntitlementReading(
                entitlement=name,
                limit=policy.limit(customer_id, name),
                value=policy.value(customer_id, name),
                percent=policy.value(customer_id, name, percent=True),
                remaining=policy.remaining(customer_id, name),
            )

        return self._store.run(read)

    # ------------------------------------------------------------------ writing

    def put(self, environment: str, customer: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create the customer or replace it whole (its ``cloud_created`` kept); True when it was created."""
        require(self.actor, Action.EDIT_CUSTOMERS)
        record = customers.normalise_customer(customer)

        def write(uow: UnitOfWork) -> tuple[dict[str, Any], bool]:
            environment_id = self._environment_id(environment, uow)
            existing = customers.load_customer(
                session=uow.session, environment_id=environment_id, customer_id=record["id"]
            )
            if existing is None:
                saved = customers.create_customer(
                    session=uow.session, environment_id=environment_id, customer=record, now=uow.now
                ), True
            else:
                changes = {key: record[key] for key in customers.EDITABLE}
                saved = customers.update_customer(
                    session=uow.session, environment_id=environment_id, customer_id=record["id"], changes=changes,
                    now=uow.now,
                ), False
            self._decide_set(uow, environment, environment_id, saved[0], [])
            return saved

        return self._store.run(write, write=True)

    def patch(self, environment: str, customer_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change plan, type, label or metadata; a plan change goes through the policy engine (new meters)."""
        require(self.actor, Action.EDIT_CUSTOMERS)
        unknown = sorted(set(changes) - set(PATCHABLE))
        if unknown:
            raise InvalidInput(
                problems=[Problem(field=key, message=f"cannot be changed here: use {', '.join(PATCHABLE)}")
                          for key in unknown]
            )
        typed = customers.normalise_customer({"id": customer_id, **changes})
        plain = {key: typed[key] for key in changes if key != "plan"}

        def write(uow: UnitOfWork) -> dict[str, Any]:
            environment_id = self._environment_id(environment, uow)

            def change(policy: Policy) -> dict[str, Any]:
                state = policy.customers.get(customer_id)
                if state is None:
                    raise NotFound(f"no customer {customer_id!r} in {environment}")
                if "plan" in changes and typed["plan"] != state.get("plan"):
                    if typed["plan"] and typed["plan"] not in policy.plans():
                        raise InvalidInput(
                            problems=[Problem(field="plan", message=f"unknown plan {typed['plan']!r}")]
                        )
                    if not typed["plan"]:
                        state["plan"] = ""
                    else:
                        policy.set_customer_plan(customer_id, typed["plan"])
                state.update(plain)
                return state

            collector = event_collector(environment, uow)
            state = metering.run_locked(
                uow.session, environment_id=environment_id, customer_id=customer_id,
                policy_for=self._store.policy_at, call=change, now=uow.now, subscribers=[collector],
                prices=price_context(self._store, uow),
            )
            engine_events = [event for event in collector.drain() if event.type != "customer-set"]
            self._decide_set(uow, environment, environment_id, state, engine_events)
            return state

        return dict(self._store.run(write, write=True))

    def remove(self, environment: str, customer_id: str) -> None:
        require(self.actor, Action.EDIT_CUSTOMERS)

        def write(uow: UnitOfWork) -> None:
            environment_id = self._environment_id(environment, uow)
            removed = customers.load_customer(
                session=uow.session, environment_id=environment_id, customer_id=customer_id
            )
            customers.delete_customer(session=uow.session, environment_id=environment_id, customer_id=customer_id)
            if removed is not None:
                event = synthetic_event("customer-removed", _jsonable(removed), environment=environment, at=uow.now)
                decider_for(self._store).after_change(
                    uow, workspace_id=self.actor.workspace_id, environment=environment,
                    environment_id=environment_id, customer_id=customer_id, customer=None,
                    policy=uow.live_policy(environment_id), events=[event],
                )

        self._store.run(write, write=True)

    def _decide_set(self, uow: UnitOfWork, environment: str, environment_id: int, state: Mapping[str, Any],
                    engine_events: list[Any]) -> None:
        """A customer was set (created, replaced or changed): what the engine announced (a plan change), then
        customer-set with the state after the whole change."""
        customer = dict(state)
        event = synthetic_event("customer-set", _jsonable(customer), environment=environment, at=uow.now)
        policy = uow.live_policy(environment_id).with_customers({customer["id"]: customer})
        decider_for(self._store).after_change(
            uow, workspace_id=self.actor.workspace_id, environment=environment, environment_id=environment_id,
            customer_id=customer["id"], customer=customer, policy=policy, events=[*engine_events, event],
        )

    def import_file(
        self, environment: str, source: str | Path | IO[bytes], *, fmt: str | None = None,
        progress: Callable[[int, int, int | None], None] | None = None, encoding: str = "utf-8",
    ) -> ImportResult:
        """Import (upsert) customers from JSON lines, a JSON array or CSV: all or nothing, in one transaction."""
        require(self.actor, Action.EDIT_CUSTOMERS)
        environment_id = self._environment_id(environment)
        return self._store.import_customers(environment_id, source, fmt=fmt, progress=progress, encoding=encoding)

    def import_records(
        self, environment: str, records: Any, *, keep_timestamps: bool = True,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> int:
        """Bulk-upsert customer dicts (the sample generator's, an export's)."""
        require(self.actor, Action.EDIT_CUSTOMERS)
        environment_id = self._environment_id(environment)
        return self._store.import_customer_dicts(
            environment_id, records, keep_timestamps=keep_timestamps, on_batch=on_batch
        )

    def count(self, environment: str) -> int:
        require(self.actor, Action.READ_CUSTOMERS)
        return self._store.count_customers(self._environment_id(environment))

    # ------------------------------------------------------------------ export

    def export(self, environment: str, *, fmt: str = "jsonl", segment: str | None = None) -> Iterator[str]:
        """Every customer (or a segment's members) as JSON lines or CSV, streamed in id order: a page at a time,
        so memory stays flat however many there are. What ``import_file`` reads back unchanged."""
        require(self.actor, Action.READ_CUSTOMERS)
        if fmt not in EXPORT_FORMATS:
            raise InvalidRequest(f"unknown export format {fmt!r}: use jsonl or csv")
        environment_id = self._environment_id(environment)
        batches = self._export_batches(environment, environment_id, segment)
        return _jsonl(batches) if fmt == "jsonl" else _csv(batches)

    def _export_batches(
        self, environment: str, environment_id: int, segment: str | None
    ) -> Iterator[list[dict[str, Any]]]:
        if segment is None:
            yield from self._store.customers(self.actor.workspace_id).stream(environment, EXPORT_BATCH)
            return
        with self._store.session() as session:
            saved = segment_repo.get_segment(session=session, workspace_id=self.actor.workspace_id, segment=segment)
        source = self._store.customers(self.actor.workspace_id)
        cursor: str | None = None
        while True:
            page = segment_engine.members(saved.condition, source, environment, after=cursor, limit=EXPORT_BATCH)
            with self._store.session() as session:
                yield customer_queries.customers_by_ids(session=session, environment_id=environment_id, ids=page.ids)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # ------------------------------------------------------------------ usage

    def record_usage(
        self,
        environment: str,
        customer_id: str,
        entitlement: str,
        value: float | str,
        *,
        event_data: Any = None,
        overhead: float | None = None,
        idempotency_key: str | None = None,
        request: str | None = None,
    ) -> UsageResult:
        """Meter ``value`` through the live policy (the engine's ``allow``) on the locked customer row.

        With ``idempotency_key`` the answer is recorded in the same transaction: a retry replays it and never
        meters again; the same key with another request (``request``: the caller's fingerprint, by default one
        of these arguments) is ``IdempotencyKeyReused``.
        """
        require(self.actor, Action.RECORD_USAGE)
        _check_value(value)
        _check_overhead(overhead)
        request = request or fingerprint("usage", environment, customer_id, entitlement, value, event_data, overhead)

        if idempotency_key is not None:
            check_key(idempotency_key)

        def write(uow: UnitOfWork) -> UsageResult:
            environment_id = self._environment_id(environment, uow)
            events = _Events()
            collector = event_collector(environment, uow)
            bound: list[Policy] = []

            def allow(policy: Policy) -> UsageResult:
                bound.append(policy)
                return _meter(policy, customer_id, entitlement, value, event_data, overhead, commit=True)

            result = metering.run_locked(
                uow.session, environment_id=environment_id, customer_id=customer_id,
                policy_for=self._store.policy_at, call=allow, now=uow.now, subscribers=[events, collector],
                prices=price_context(self._store, uow),
            )
            if collector.events:
                policy = bound[0]
                decider_for(self._store).after_change(
                    uow, workspace_id=self.actor.workspace_id, environment=environment,
                    environment_id=environment_id, customer_id=customer_id,
                    customer=policy.customers.get(customer_id), policy=policy, events=collector.drain(),
                )
            result = UsageResult(result.allowed, result.value, result.limit, result.remaining, events.items)
            if idempotency_key is not None:
                # Kept as the last statement, on the customer's row lock: a retry (or a concurrent call) with
                # the key finds it and this unit rolls back to replay it, so the meter never counts twice.
                keep_in(uow, self.actor, idempotency_key, request, 200, result.to_dict())
            return result

        try:
            return self._store.run(write, write=True)
        except Replay as replay:
            return UsageResult.from_dict(replay.stored.body, replayed=True)
        except (IdempotencyKeyReused, IdempotencyInProgress):
            raise
        except SegmentrError:
            # A retry whose metering fails now (the entitlement since removed…) still replays the first answer.
            stored = self._kept(idempotency_key, request) if idempotency_key is not None else None
            if stored is None:
                raise
            return UsageResult.from_dict(stored.body, replayed=True)

    def _kept(self, key: str, request: str) -> StoredResponse | None:
        """The response kept under ``key`` for this request (``IdempotencyKeyReused`` for another), or None."""
        return self._store.run(lambda uow: kept_in(uow, self.actor, key, request))

    def check_usage(
        self, environment: str, customer_id: str, entitlement: str, value: float | str, *,
        overhead: float | None = None,
    ) -> UsageResult:
        """The decision ``record_usage`` would take now; nothing changes."""
        require(self.actor, Action.READ_CUSTOMERS)
        _check_value(value)
        _check_overhead(overhead)

        def read(uow: UnitOfWork) -> UsageResult:
            _, policy = self._load(uow, environment, customer_id)
            return _meter(policy, customer_id, entitlement, value, None, overhead, commit=False)

        return self._store.run(read)

    def batch_usage(self, environment: str, records: Sequence[UsageRecord]) -> list[BatchItem]:
        """Up to 1 000 usage records in one transaction, answered in order; each customer row is locked once.
        A record that fails (unknown customer or entitlement, a reused key) gets its own error."""
        return self._store.run(self._batch_unit(environment, records), write=True)

    def batch_usage_keyed(
        self,
        environment: str,
        records: Sequence[UsageRecord],
        *,
        idempotency_key: str,
        request: str,
        answer: Callable[[list[BatchItem]], Any],
    ) -> StoredResponse:
        """``batch_usage`` under a call-level ``Idempotency-Key``: the key is claimed first and completed last
        in the batch's own transaction, so the meters and the kept response commit together or not at all (no
        claim outlives a crash, so a retry can never meter twice). ``answer`` turns the items into the response
        body to keep (JSON data, called inside the unit); a retry of the same ``request`` (the caller's
        fingerprint of the whole call) gets it back ``replayed``, another request under the key is
        ``IdempotencyKeyReused``. Records' own keys work as in ``batch_usage``. A batch that fails as a whole
        (unknown environment, too many records) keeps nothing."""
        write = self._batch_unit(environment, records)
        check_key(idempotency_key)

        def keyed(uow: UnitOfWork) -> StoredResponse:
            # First statement of the unit: a concurrent call with the key waits here (PostgreSQL: on this
            # uncommitted row; SQLite: writers queue) and then replays, before it locks any customer row.
            stored = claim_in(uow, self.actor, idempotency_key, request)
            if stored is not None:
                return stored
            body = answer(write(uow))
            complete_in(uow, self.actor, idempotency_key, 200, body)
            return StoredResponse(200, body)

        return self._store.run(keyed, write=True)

    def _batch_unit(
        self, environment: str, records: Sequence[UsageRecord]
    ) -> Callable[[UnitOfWork], list[BatchItem]]:
        """The batch's work inside a unit of work (checked for the actor and the size first)."""
        require(self.actor, Action.RECORD_USAGE)
        if len(records) > MAX_BATCH:
            raise InvalidRequest(f"a batch holds at most {MAX_BATCH} records, not {len(records)}")

        def write(uow: UnitOfWork) -> list[BatchItem]:
            environment_id = self._environment_id(environment, uow)
            items: list[BatchItem | None] = [None] * len(records)
            to_run: list[tuple[int, UsageRecord, str | None]] = []
            for index, record in enumerate(records):
                try:
                    _check_value(record.value, f"records[{index}].value")
                    key = record.idempotency_key
                    if key is not None:
                        request = fingerprint(
                            "usage", environment, record.customer, record.entitlement, record.value,
                            record.event_data, None,
                        )
                        stored = claim_in(uow, self.actor, key, request)
                        if stored is not None:
                            items[index] = BatchItem(result=UsageResult.from_dict(stored.body, replayed=True))
                            continue
                    to_run.append((index, record, key))
                except SegmentrError as exc:
                    items[index] = BatchItem(error=exc)

            changes: list[tuple[str, list[Any]]] = []
            final: list[Policy] = []
            # (index, key, result without events, the events as the engine sent them)
            metered: list[tuple[int, str | None, UsageResult, list[dict[str, Any]]]] = []

            def meter_all(policy: Policy) -> None:
                # One bound copy and one pair of subscribers for the whole batch (not one per record): the
                # sink's list and the collector are emptied between records, so each keeps only its own events.
                sink = _RawEvents()
                collector = event_collector(environment, uow)
                bound = policy.with_customers(policy.customers, subscribers=[sink, collector])
                final.append(policy)
                entitled: dict[tuple[str, str], bool] = {}  # usage never changes a plan: checked once a pair
                for index, record, key in to_run:
                    sink.items = []
                    try:
                        result = _meter_entitled(bound, entitled, record)
                    except SegmentrError as exc:
                        collector.drain()
                        items[index] = BatchItem(error=exc)
                        if key is not None:  # nothing metered: a retry of this record must run
                            idempotency.release(
                                session=uow.session, workspace_id=self.actor.workspace_id,
                                principal=self.actor.principal, key=key,
                            )
                        continue
                    metered.append((index, key, result, sink.items))
                    if collector.events:
                        changes.append((record.customer, collector.drain()))

            if to_run:
                metering.run_locked_many(
                    uow.session, environment_id=environment_id,
                    customer_ids=[record.customer for _, record, _ in to_run],
                    policy_for=self._store.policy_at, call=meter_all, now=uow.now,
                    prices=price_context(self._store, uow),
                )
            # A keyed record's answer is kept for its retries: its events as plain JSON data, as the replay will
            # read them (one conversion for all of them). An unkeyed record answers the engine's payloads as
            # sent (fresh JSON data of each call; decoding 1 000 copies would be a tenth of the batch's CPU).
            keyed = iter(_jsonable([events for _, key, _, events in metered if key is not None]))
            for index, key, result, events in metered:
                if key is None:
                    items[index] = BatchItem(result=UsageResult(
                        result.allowed, result.value, result.limit, result.remaining, events))
                    continue
                result = UsageResult(result.allowed, result.value, result.limit, result.remaining, next(keyed))
                complete_in(uow, self.actor, key, 200, result.to_dict())
                items[index] = BatchItem(result=result)
            if changes:
                policy = final[0]
                decider_for(self._store).after_changes(
                    uow, workspace_id=self.actor.workspace_id, environment=environment,
                    environment_id=environment_id, policy=policy,
                    changes=[(cid, policy.customers.get(cid), evs) for cid, evs in changes],
                )
            return [item or BatchItem(error=InvalidInput("not processed")) for item in items]

        return write

    def topup(self, environment: str, customer_id: str, topup: str) -> TopupResult:
        """Grant a topup of the customer's plan (after payment) and say the price charged."""
        require(self.actor, Action.EDIT_CUSTOMERS)

        def write(uow: UnitOfWork) -> TopupResult:
            environment_id = self._environment_id(environment, uow)
            events = _Events()
            collector = event_collector(environment, uow)
            bound: list[Policy] = []

            def grant(policy: Policy) -> None:
                bound.append(policy)
                if customer_id not in policy.customers:
                    raise NotFound(f"no customer {customer_id!r} in {environment}")
                if not policy.apply_customer_topup(customer_id, topup):
                    raise InvalidInput(
                        problems=[Problem(field="topup", message=f"the customer's plan has no topup {topup!r}")]
                    )

            metering.run_locked(
                uow.session, environment_id=environment_id, customer_id=customer_id,
                policy_for=self._store.policy_at, call=grant, now=uow.now, subscribers=[events, collector],
                prices=price_context(self._store, uow),
            )
            decider_for(self._store).after_change(
                uow, workspace_id=self.actor.workspace_id, environment=environment, environment_id=environment_id,
                customer_id=customer_id, customer=bound[0].customers.get(customer_id), policy=bound[0],
                events=collector.drain(),
            )
            granted = next(e["data"] for e in events.items if e["type"] == "customer-topup-granted")
            return TopupResult(topup=topup, grant=granted.get("grant") or {}, price=granted.get("price"))

        return self._store.run(write, write=True)


def _meter(
    policy: Policy, customer_id: str, entitlement: str, value: Any, event_data: Any, overhead: float | None,
    *, commit: bool,
) -> UsageResult:
    """The engine's decision for one customer whose state ``policy`` holds, and the meter after it."""
    if customer_id not in policy.customers:
        raise NotFound(f"no customer {customer_id!r} in this environment")
    if policy.entitlement(customer_id, entitlement) is None:
        raise InvalidInput(
            problems=[Problem(field="entitlement", message=f"the customer's plan has no entitlement {entitlement!r}")]
        )
    try:
        if commit:
            allowed = policy.allow(
                customer_id, entitlement, value, event=event_data if event_data is not None else True,
                overhead=overhead,
            )
        else:
            allowed = policy.check(customer_id, entitlement, value, overhead=overhead)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(problems=[Problem(field="value", message=str(exc))]) from exc
    return _answer(policy, customer_id, entitlement, allowed)


def _answer(policy: Policy, customer_id: str, entitlement: str, allowed: Any) -> UsageResult:
    """The engine's decision and the meter after it."""
    return UsageResult(
        allowed=bool(allowed),
        value=policy.value(customer_id, entitlement),
        limit=policy.limit(customer_id, entitlement),
        remaining=policy.remaining(customer_id, entitlement),
    )


def _meter_entitled(policy: Policy, entitled: dict[tuple[str, str], bool], record: UsageRecord) -> UsageResult:
    """``_meter`` of a batch record (``commit``, no overhead), the entitlement's existence looked up once per
    customer and entitlement of the batch."""
    customer_id, entitlement = record.customer, record.entitlement
    pair = (customer_id, entitlement)
    known = entitled.get(pair)
    if known is None:
        if customer_id not in policy.customers:
            raise NotFound(f"no customer {customer_id!r} in this environment")
        known = entitled[pair] = policy.entitlement(customer_id, entitlement) is not None
    if not known:
        raise InvalidInput(
            problems=[Problem(field="entitlement", message=f"the customer's plan has no entitlement {entitlement!r}")]
        )
    event_data = record.event_data
    try:
        allowed = policy.allow(customer_id, entitlement, record.value,
                               event=event_data if event_data is not None else True)  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise InvalidInput(problems=[Problem(field="value", message=str(exc))]) from exc
    return _answer(policy, customer_id, entitlement, allowed)


def _matches(customer: Mapping[str, Any], plan: str | None, q: str | None) -> bool:
    if plan is not None and customer.get("plan") != plan:
        return False
    if not q:
        return True
    email = (customer.get("metadata") or {}).get("email")
    return any(isinstance(text, str) and text.startswith(q) for text in (customer["id"], customer.get("label"), email))


def _jsonl(batches: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    for batch in batches:
        for customer in batch:
            yield json.dumps(customer, ensure_ascii=False, separators=(",", ":")) + "\n"


def _csv(batches: Iterator[list[dict[str, Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for batch in batches:
        for customer in batch:
            writer.writerow(_csv_cell(column, customer.get(column)) for column in CSV_COLUMNS)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in _JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
