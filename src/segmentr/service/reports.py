"""``ReportService``: the data behind the dashboard's Customers, Margin and Usage pages, filtered by the acting
member's active segment (product.md §7).

Pages of customers are keyset pages in id order. An active segment whose condition has a pushdown shape is a
WHERE clause of the same SQL query as the page and the search (an indexed, case-insensitive prefix of id, name
or email); any other condition is evaluated on the rows the query returns, scanning at most ``SCAN_BUDGET``
customers per page so a sparse segment answers in bounded time (the page says how far it looked and goes on
from there).

Totals (revenue, cost and margin of the segment; usage against limits per entitlement) need the policy engine
for every member: they are computed in one streamed pass (flat memory: sums, histograms and a few top rows) and
kept in a ``ReportCache`` under the segment's and the policy's versions, checked against the environment's
*change mark* (count, latest and sum of ``cloud_updated``, one indexed SQL read): served while the mark is the
same for at most ``ROLLUP_TTL_MS`` (meters reset with time, prices may change outside the customers' rows), and
while younger than ``ROLLUP_FRESH_MS`` even if customers changed (marked ``stale``, with its time), so steady
metering costs at most one pass per window, never one per page view.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from segmentr import segments as segment_engine
from segmentr.errors import NotFound, SegmentrError
from segmentr.policy import Policy
from segmentr.service.access import Action, require
from segmentr.service.context import Actor
from segmentr.service.errors import InvalidRequest
from segmentr.service.event_text import event_summary
from segmentr.service.pricing import price_context
from segmentr.service.report_models import (
    CustomerList,
    CustomerReport,
    CustomerSummary,
    EntitlementUsage,
    EventSummary,
    GrantReading,
    MarginPage,
    MarginRow,
    MarginTotals,
    MeterReading,
    Rollup,
    SegmentFilter,
    SegmentMembership,
    UsagePage,
    UsageRow,
    UsageSeries,
)
from segmentr.service.rollups import ROLLUP_FRESH_MS, ROLLUP_TTL_MS, MarginTally, ReportCache, UsageTally
from segmentr.store import Segment, Store, UnitOfWork, customers, event_log, policies, report_queries
from segmentr.store import auth as auth_repo
from segmentr.store import pricing as pricing_repo

__all__ = [
    "MAX_PAGE_SIZE",
    "ROLLUP_FRESH_MS",
    "ROLLUP_TTL_MS",
    "SCAN_BUDGET",
    "CustomerList",
    "CustomerReport",
    "CustomerSummary",
    "EntitlementUsage",
    "EventSummary",
    "GrantReading",
    "MarginPage",
    "MarginRow",
    "MarginTotals",
    "MeterReading",
    "ReportCache",
    "ReportService",
    "Rollup",
    "SegmentFilter",
    "SegmentMembership",
    "UsagePage",
    "UsageRow",
    "UsageSeries",
]

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# customers evaluated at most per page when the active segment cannot run as SQL
SCAN_BUDGET = 2000
BATCH = 1000
MAX_SEARCH_CHARS = 200
# the usage-over-time chart: 30 days by default, at most 366 buckets; an evaluated segment is evaluated for at
# most this many customers who used the entitlement in the window (a SQL segment has no such bound)
DEFAULT_SERIES_SPAN_MS = 30 * 86_400_000
MAX_SERIES_BUCKETS = 366
SERIES_EVALUATION_BUDGET = 20_000


@dataclass(frozen=True, slots=True)
class _Page:
    customers: list[dict[str, Any]]
    next_cursor: str | None
    segment: SegmentFilter | None
    scanned: int
    errors: int
    # the scan budget ran out before the page filled: the next cursor continues the scan
    partial: bool


@dataclass(slots=True)
class _Filter:
    segment: Segment | None
    clause: Any
    view: SegmentFilter | None


class ReportService:
    """The reports of the actor's workspace in the environment each call names, filtered by the actor's active
    segment (an API key has none: it sees every customer)."""

    def __init__(self, store: Store, actor: Actor, cache: ReportCache | None = None) -> None:
        self._store = store
        self.actor = actor
        self._cache = cache if cache is not None else ReportCache()
        self._source = store.customers(actor.workspace_id)

    # ------------------------------------------------------------------ the filter

    def active_segment(self) -> Segment | None:
        """The acting member's active segment (None for an API key or a member without one)."""
        require(self.actor, Action.CHOOSE_ACTIVE_SEGMENT)
        if self.actor.member_id is None:
            return None
        with self._store.session() as session:
            member = auth_repo.member_by_public_id(
                session=session, workspace_id=self.actor.workspace_id, public_id=self.actor.member_id
            )
        return self._store.active_segment(self.actor.workspace_id, member.id)

    def _filter(self, segment: Segment | None) -> _Filter:
        if segment is None:
            return _Filter(None, None, None)
        clause = report_queries.segment_clause(segment.condition, self._store.dialect)
        return _Filter(segment, clause, SegmentFilter(segment.id, segment.name, segment.version, clause is not None))

    def _environment_id(self, environment: str) -> int:
        self.actor.reach(environment)
        return self._store.environment_record(self.actor.workspace_id, environment).id

    # ------------------------------------------------------------------ pages of customers

    def _page(
        self, environment: str, search: str | None, after: str | None, limit: int, segment: Any = ...
    ) -> _Page:
        require(self.actor, Action.READ_CUSTOMERS)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {limit}")
        search = _clean_search(search)
        if after is not None and "\x00" in after:
            raise InvalidRequest("the page cursor must not contain the NUL character")
        environment_id = self._environment_id(environment)
        chosen = self._filter(self.active_segment() if segment is ... else segment)
        if chosen.segment is None or chosen.clause is not None:
            with self._store.session() as session:
                found = report_queries.customer_page(
                    session=session, environment_id=environment_id, segment=chosen.clause, search=search,
                    after=after, limit=limit + 1,
                )
            more = len(found) > limit
            return _Page(found[:limit], found[limit - 1]["id"] if more else None, chosen.view, len(found), 0, False)
        return self._scan_page(environment, environment_id, chosen, search, after, limit)

    def _scan_page(
        self, environment: str, environment_id: int, chosen: _Filter, search: str | None, after: str | None,
        limit: int,
    ) -> _Page:
        """The segment evaluated on the search's rows in id order, until the page fills or the budget is spent."""
        assert chosen.segment is not None
        policy = self._source.policy(environment)
        matched: list[dict[str, Any]] = []
        scanned = errors = 0
        cursor = after
        last_error: str | None = None
        exhausted = False
        while len(matched) <= limit and scanned < SCAN_BUDGET:
            size = min(BATCH, SCAN_BUDGET - scanned)
            with self._store.session() as session:
                batch = report_queries.customer_page(
                    session=session, environment_id=environment_id, search=search, after=cursor, limit=size
                )
            if not batch:
                exhausted = True
                break
            for customer, (_, hit, error) in zip(
                batch, segment_engine.evaluate_many(chosen.segment.condition, batch, policy), strict=True
            ):
                scanned += 1
                cursor = customer["id"]
                if error is not None:
                    errors += 1
                    last_error = error
                if hit:
                    matched.append(customer)
                    if len(matched) > limit:
                        break
            if len(batch) < size:
                exhausted = len(matched) <= limit
                break
        if errors and last_error is not None:
            self._store.record_segment_error(chosen.segment.id, last_error, count=errors)
        if len(matched) > limit:
            return _Page(matched[:limit], matched[limit - 1]["id"], chosen.view, scanned, errors, False)
        if exhausted:
            return _Page(matched, None, chosen.view, scanned, errors, False)
        # the budget ran out: what was found, and a cursor that goes on scanning from the last customer looked at
        return _Page(matched, cursor, chosen.view, scanned, errors, True)

    def customers(
        self, environment: str, *, search: str | None = None, after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> CustomerList:
        """A page of the customers in the active segment (all without one), matching ``search`` (a prefix of the
        id, the name or the email, any case)."""
        page = self._page(environment, search, after, limit)
        rows = [_summary(customer) for customer in page.customers]
        return CustomerList(rows, page.next_cursor, page.segment, _clean_search(search), page.scanned, page.errors,
                            page.partial)  # fmt: skip

    def member_count(self, environment: str) -> int:
        """How many customers the active segment holds (all without one): one SQL count when it pushes down,
        else the roll-up's count (one streamed pass, cached as the roll-up is: a page view never re-evaluates
        everyone while nothing changed)."""
        require(self.actor, Action.READ_CUSTOMERS)
        environment_id = self._environment_id(environment)
        chosen = self._filter(self.active_segment())
        if chosen.segment is not None and chosen.clause is None:
            return self.rollup(environment).members
        with self._store.session() as session:
            return report_queries.count_where(session=session, environment_id=environment_id, segment=chosen.clause)

    # ------------------------------------------------------------------ one customer

    def customer(self, environment: str, customer_id: str) -> CustomerReport:
        """The customer detail (``NotFound`` if there is no such customer in the environment)."""
        require(self.actor, Action.READ_CUSTOMERS)
        if "\x00" in customer_id:  # no id holds it (neither database stores it)
            raise NotFound(f"no customer {customer_id!r} in {environment}")
        active = self.active_segment()

        def read(uow: UnitOfWork) -> tuple[dict[str, Any], Policy, list[MeterReading], dict[str, Any] | None]:
            environment_id = self._environment_id(environment)
            state = customers.load_customer(
                session=uow.session, environment_id=environment_id, customer_id=customer_id
            )
            if state is None:
                raise NotFound(f"no customer {customer_id!r} in {environment}")
            live = uow.live_policy(environment_id)
            bound = _priced(self._store, uow, environment_id, live, [dict(state)])
            return state, live, _meters(bound, customer_id, state), bound.customer_local_margin_breakdown(customer_id)

        state, live, meters, margin = self._store.run(read)
        memberships: list[SegmentMembership] = []
        for segment in self._store.list_segments(self.actor.workspace_id):
            result = segment_engine.evaluate(segment.condition, dict(state), live)
            if result.error is not None:
                self._store.record_segment_error(segment.id, result.error)
            memberships.append(SegmentMembership(segment.id, segment.name, result.matched, result.error))
        active_view = self._filter(active).view
        in_active = None
        if active is not None:
            in_active = next((m.matched for m in memberships if m.id == active.id), False)
        return CustomerReport(
            customer=state, meters=meters, grants=_grants(state), margin=margin, segments=memberships,
            active=active_view, in_active=in_active,
        )

    # ------------------------------------------------------------------ margin

    def margin_page(
        self, environment: str, *, search: str | None = None, after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> MarginPage:
        """Revenue, cost and margin of this period for a page of the active segment's customers."""
        page = self._page(environment, search, after, limit)
        policy = self._source.policy(environment)
        environment_id = self._environment_id(environment)

        def price(uow: UnitOfWork) -> list[MarginRow]:
            bound = _priced(self._store, uow, environment_id, policy, page.customers)
            return [_margin_row(bound, customer) for customer in page.customers]

        rows = self._store.run(price) if page.customers else []
        return MarginPage(rows, page.next_cursor, page.segment, _clean_search(search), page.scanned, page.errors,
                          page.partial)  # fmt: skip

    def margin_totals(self, environment: str) -> MarginTotals:
        return self.rollup(environment).margin

    # ------------------------------------------------------------------ usage

    def entitlements(self, environment: str) -> list[tuple[str, str]]:
        """Every entitlement of the environment's plans, as (name, unit), in the policy's order."""
        require(self.actor, Action.READ_CUSTOMERS)
        self.actor.reach(environment)
        return _entitlements(self._source.policy(environment))

    def usage_page(
        self, environment: str, entitlement: str, *, search: str | None = None, after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> UsagePage:
        """A page of the active segment's customers with their usage of ``entitlement`` against its limit."""
        known = dict(self.entitlements(environment))
        if entitlement not in known:
            raise NotFound(f"no plan of {environment} has the entitlement {entitlement!r}")
        page = self._page(environment, search, after, limit)
        bound = self._source.policy(environment).with_customers({c["id"]: c for c in page.customers})
        rows = []
        for customer in page.customers:
            readings = _meters(bound, customer["id"], customer, only=entitlement)
            rows.append(UsageRow(customer["id"], customer.get("label") or "", customer.get("plan") or "",
                                 readings[0] if readings else None))  # fmt: skip
        return UsagePage(entitlement, rows, page.next_cursor, page.segment, _clean_search(search), page.scanned,
                         page.errors, page.partial)  # fmt: skip

    def usage_totals(self, environment: str) -> list[EntitlementUsage]:
        return self.rollup(environment).usage

    def usage_over_time(
        self, environment: str, entitlement: str, *, since_ms: int | None = None, until_ms: int | None = None,
        buckets: int = 30,
    ) -> UsageSeries:
        """Usage of ``entitlement`` by the active segment's customers over time (default: the last 30 days in
        daily buckets), summed from the event log's ``meter-changed`` / ``meter-overage`` events by the database.

        The segment is today's membership (who is in it now, with all their usage in the window): a SQL segment
        joins the customers in the same query; an evaluated one sums per customer and evaluates the customers
        who used the entitlement in the window (at most ``SERIES_EVALUATION_BUDGET``, first by id: ``partial``).
        """
        require(self.actor, Action.READ_CUSTOMERS)
        environment_id = self._environment_id(environment)
        if not 1 <= buckets <= MAX_SERIES_BUCKETS:
            raise InvalidRequest(f"buckets must be between 1 and {MAX_SERIES_BUCKETS}, not {buckets}")
        # the window ends just after now by default: what was recorded this millisecond is in it
        until = self._store.now() + 1 if until_ms is None else until_ms
        since = until - DEFAULT_SERIES_SPAN_MS if since_ms is None else since_ms
        if since >= until:
            raise InvalidRequest("the series must start before it ends (since < until)")
        width = max(1, -(-(until - since) // buckets))
        chosen = self._filter(self.active_segment())
        evaluated = chosen.segment is not None and chosen.clause is None

        def read(uow: UnitOfWork) -> tuple[list[tuple[int, str | None, float]], int]:
            # a SQL (or no) segment: sums per bucket and one distinct count; an evaluated one: per customer, to
            # keep the rows of the customers it holds
            rows = event_log.usage_by_bucket(
                session=uow.session, environment_id=environment_id, entitlement=entitlement, since=since,
                width=width, buckets=buckets, segment=chosen.clause, per_customer=evaluated,
            )
            if evaluated:
                return rows, 0
            return rows, event_log.usage_customers(
                session=uow.session, environment_id=environment_id, entitlement=entitlement, since=since,
                until=since + width * buckets, segment=chosen.clause,
            )

        rows, counted = self._store.run(read)
        partial = False
        if evaluated:
            assert chosen.segment is not None
            kept, partial = self._members_among(environment, environment_id, chosen.segment,
                                                sorted({str(customer) for _, customer, _ in rows}))  # fmt: skip
            rows = [row for row in rows if row[1] in kept]
            counted = len({customer for _, customer, _ in rows})
        values = [0.0] * buckets
        for bucket, _, used in rows:
            if 0 <= bucket < buckets:
                values[bucket] += used
        return UsageSeries(
            entitlement=entitlement, x=[(since + index * width) // 1000 for index in range(buckets)],
            values=[round(value, 9) for value in values], width_ms=width, customers=counted, partial=partial,
        )

    def _members_among(self, environment: str, environment_id: int, segment: Segment,
                       ids: list[str]) -> tuple[set[str], bool]:
        """Which of ``ids`` the (evaluated) segment holds now; ``True`` when the budget cut the list short."""
        partial = len(ids) > SERIES_EVALUATION_BUDGET
        policy = self._source.policy(environment)
        kept: set[str] = set()
        errors: list[Any] = [0, None]
        wanted = ids[:SERIES_EVALUATION_BUDGET]
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            with self._store.session() as session:
                batch = report_queries.customer_page(
                    session=session, environment_id=environment_id,
                    segment=customers.CUSTOMER_TABLE.c.id.in_(chunk), limit=len(chunk),
                )
            for customer, (_, hit, error) in zip(
                batch, segment_engine.evaluate_many(segment.condition, batch, policy), strict=True
            ):
                if error is not None:
                    errors[0] += 1
                    errors[1] = error
                if hit:
                    kept.add(customer["id"])
        if errors[0]:
            self._store.record_segment_error(segment.id, errors[1], count=errors[0])
        return kept, partial

    def recent_events(self, environment: str, customer_id: str, *, limit: int = 20) -> list[EventSummary]:
        """The customer's latest events (newest first) from the event log, each with a one-line summary."""
        require(self.actor, Action.READ_CUSTOMERS)
        environment_id = self._environment_id(environment)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {limit}")

        def read(uow: UnitOfWork) -> list[event_log.LoggedEvent]:
            return event_log.list_events(session=uow.session, environment_id=environment_id,
                                         customer_id=customer_id, limit=limit)  # fmt: skip

        return [EventSummary(type=event.type, at=event.at, summary=event_summary(event.type, event.payload),
                             data=dict(event.payload)) for event in self._store.run(read)]  # fmt: skip

    # ------------------------------------------------------------------ the roll-up

    def rollup(self, environment: str) -> Rollup:
        """Every total of the active segment in ``environment`` (cached while nothing changed, see the module)."""
        require(self.actor, Action.READ_CUSTOMERS)
        environment_id = self._environment_id(environment)
        chosen = self._filter(self.active_segment())

        def mark_of(uow: UnitOfWork) -> tuple[Any, int | None, Any]:
            mark = report_queries.change_mark(session=uow.session, environment_id=environment_id)
            return (mark, policies.live_version(session=uow.session, environment_id=environment_id),
                    pricing_repo.pricing_key(uow.session, environment_id))  # fmt: skip

        mark, policy_version, rules_key = self._store.run(mark_of)
        key = (self.actor.workspace_id, environment_id, policy_version, rules_key,
               chosen.segment.id if chosen.segment else None, chosen.segment.version if chosen.segment else None)  # fmt: skip
        found = self._cache.get(key, mark, self._store.now())
        if found is not None:
            return _cached(*found)
        with self._cache.computing(key):
            found = self._cache.get(key, mark, self._store.now())
            if found is not None:
                return _cached(*found)
            rollup = self._compute(environment, environment_id, chosen)
            self._cache.put(key, mark, rollup.computed_at, rollup)
            return rollup

    def _members(
        self, environment: str, environment_id: int, chosen: _Filter, tally: list[Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """The segment's members in batches: one SQL query per batch when it pushes down, else evaluated."""
        cursor: str | None = None
        policy = self._source.policy(environment)
        while True:
            with self._store.session() as session:
                batch = report_queries.customer_page(
                    session=session, environment_id=environment_id, segment=chosen.clause, after=cursor, limit=BATCH
                )
            if not batch:
                return
            cursor = batch[-1]["id"]
            if chosen.segment is not None and chosen.clause is None:
                kept = []
                for customer, (_, hit, error) in zip(
                    batch, segment_engine.evaluate_many(chosen.segment.condition, batch, policy), strict=True
                ):
                    if error is not None:
                        tally[0] += 1
                        tally[1] = error
                    if hit:
                        kept.append(customer)
                yield kept
            else:
                yield batch
            if len(batch) < BATCH:
                return

    def _compute(self, environment: str, environment_id: int, chosen: _Filter) -> Rollup:
        started = time.perf_counter()
        policy = self._source.policy(environment)
        units = dict(_entitlements(policy))
        margin = MarginTally()
        usage: dict[str, UsageTally] = {name: UsageTally(name, unit) for name, unit in units.items()}
        tally: list[Any] = [0, None]
        members = 0
        for batch in self._members(environment, environment_id, chosen, tally):
            if not batch:
                continue

            def figures(uow: UnitOfWork, batch: list[dict[str, Any]] = batch) -> list[tuple[Any, ...]]:
                """The batch's margins (effective prices) and meter figures; pure, so a retried unit adds once."""
                bound = _priced(self._store, uow, environment_id, policy, batch)
                return [(customer["id"], _margin_row(bound, customer), _meters(bound, customer["id"], customer,
                         units=units)) for customer in batch]  # fmt: skip

            for customer_id, row, readings in self._store.run(figures):
                members += 1
                margin.add(row)
                for reading in readings:
                    usage.setdefault(reading.entitlement, UsageTally(reading.entitlement, reading.unit)).add(
                        customer_id, reading
                    )
        if tally[0] and chosen.segment is not None:
            self._store.record_segment_error(chosen.segment.id, tally[1], count=tally[0])
        return Rollup(
            environment=environment, segment=chosen.view, members=members, errors=tally[0],
            margin=margin.totals(), usage=[tally_.result() for tally_ in usage.values() if tally_.customers],
            computed_at=self._store.now(), took_ms=(time.perf_counter() - started) * 1000,
        )


def _priced(store: Store, uow: UnitOfWork, environment_id: int, policy: Policy, batch: list[dict[str, Any]]) -> Policy:
    """``policy`` over ``batch``, priced with effective prices (product.md §6): the environment's pricing rules
    and the customers' own price overrides, as metering prices them."""
    session = uow.session
    own = report_queries.price_overrides_of(session=session, environment_id=environment_id,
                                            ids=[customer["id"] for customer in batch])  # fmt: skip
    key = pricing_repo.pricing_key(session, environment_id)
    priced = pricing_repo.effective_policy(session, policy, environment_id, key, own, price_context(store, uow))
    return priced.with_customers({customer["id"]: customer for customer in batch})


def _cached(rollup: Rollup, stale: bool) -> Rollup:
    return Rollup(rollup.environment, rollup.segment, rollup.members, rollup.errors, rollup.margin, rollup.usage,
                  rollup.computed_at, rollup.took_ms, cached=True, stale=stale)  # fmt: skip


def _clean_search(search: str | None) -> str | None:
    if search is None:
        return None
    text = search.strip()
    if "\x00" in text:
        raise InvalidRequest("the search must not contain the NUL character")
    return text[:MAX_SEARCH_CHARS] or None


def _email(customer: dict[str, Any]) -> str | None:
    metadata = customer.get("metadata")
    email = metadata.get("email") if isinstance(metadata, dict) else None
    return email if isinstance(email, str) else None


def _summary(customer: dict[str, Any]) -> CustomerSummary:
    return CustomerSummary(
        id=customer["id"], label=customer.get("label") or "", plan=customer.get("plan") or "",
        type=customer.get("type") or "", email=_email(customer), created=int(customer.get("cloud_created") or 0),
    )


def _entitlements(policy: Policy) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for plan in policy.plans().values():
        for name, entitlement in (plan.get("entitlements") or {}).items():
            if name in found:
                continue
            credit_name = ((entitlement or {}).get("limit") or {}).get("credit")
            credit = policy.credit(credit_name) if credit_name else None
            found[name] = str((credit or {}).get("unit") or "")
    return list(found.items())


def _meters(
    policy: Policy, customer_id: str, customer: dict[str, Any], *, only: str | None = None,
    units: dict[str, str] | None = None,
) -> list[MeterReading]:
    """Each entitlement of the customer's plan (or ``only`` that one): usage now against the limit (grants
    included). With ``units`` (the roll-up's), only the figures: no mode, credit or percent."""
    plan = policy.plan(customer.get("plan") or "") if customer.get("plan") else None
    if plan is None:
        return []
    readings = []
    for name in plan.get("entitlements") or {}:
        if only is not None and name != only:
            continue
        if units is not None:
            value = policy.value(customer_id, name) or 0.0
            readings.append(MeterReading(name, None, units.get(name, ""), None, float(value),
                                         policy.limit(customer_id, name), None, False))  # fmt: skip
            continue
        limit_obj = policy.limit_obj(customer_id, name) or {}
        credit_name = limit_obj.get("credit")
        credit = policy.credit(credit_name) if credit_name else None
        value = policy.value(customer_id, name) or 0.0
        limit = policy.limit(customer_id, name)
        readings.append(MeterReading(
            entitlement=name, credit=credit_name, unit=str((credit or {}).get("unit") or ""),
            mode=limit_obj.get("mode"), value=float(value), limit=limit,
            percent=round(value / limit * 100, 1) if limit else None, resets=bool(limit_obj.get("resets")),
        ))  # fmt: skip
    return readings


def _grants(customer: dict[str, Any]) -> list[GrantReading]:
    grants = customer.get("grants") or {}
    found = []
    for key, grant in grants.items():
        if not isinstance(grant, dict):
            continue
        found.append(GrantReading(
            id=str(grant.get("id") or key), credit=str(grant.get("credit") or ""), topup=grant.get("topup"),
            value=float(grant.get("value") or 0), starting_value=grant.get("starting_value"),
            granted_on=grant.get("granted_on"), expires_on=grant.get("expires_on"),
        ))  # fmt: skip
    return sorted(found, key=lambda grant: (grant.expires_on is None, grant.expires_on or 0, grant.id))


def _margin_row(policy: Policy, customer: dict[str, Any]) -> MarginRow:
    try:
        snapshot = policy.customer_local_margin_breakdown(customer["id"])
    except SegmentrError:
        snapshot = None
    label, plan = customer.get("label") or "", customer.get("plan") or ""
    if snapshot is None:
        return MarginRow(customer["id"], label, plan, 0.0, 0.0, None)
    return MarginRow(customer["id"], label, plan, float(snapshot["revenue"]), float(snapshot["cost"]),
                     float(snapshot["margin"]))  # fmt: skip
