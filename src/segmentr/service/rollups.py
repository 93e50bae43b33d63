"""The roll-up of a segment's totals: the tallies one streamed pass fills (flat memory: sums, histograms and a
few top rows) and the cache that keeps a roll-up while the environment's change mark stays the same (and, for
a short while, even when it moved: a business that meters all day changes some customer every second)."""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from typing import Any

from segmentr.service.report_models import EntitlementUsage, MarginRow, MarginTotals, MeterReading, Rollup

__all__ = ["MARGIN_BUCKETS", "ROLLUP_FRESH_MS", "ROLLUP_TTL_MS", "TOP_ROWS", "USAGE_BUCKETS", "MarginTally", "ReportCache", "UsageTally"]

# a roll-up serves while nothing changed for this long (meters reset with the clock, prices may change)...
ROLLUP_TTL_MS = 5 * 60_000
# ...and whatever changed for this long: at most one pass over the members per key in this window
ROLLUP_FRESH_MS = 30_000
# margin histogram: 10-point buckets from -100 % to 100 %; usage histogram: 10-point buckets of % of limit, 100+
MARGIN_BUCKETS = tuple(range(-100, 100, 10))
USAGE_BUCKETS = tuple(range(0, 101, 10))
TOP_ROWS = 10


class ReportCache:
    """Roll-ups by (workspace, environment, segment version, policy version): served while the change mark is
    the same for at most ``ttl_ms``, and whatever changed while younger than ``fresh_ms`` (then marked stale);
    bounded (least recently used out); one computation at a time per key."""

    def __init__(
        self, *, max_entries: int = 64, ttl_ms: int = ROLLUP_TTL_MS, fresh_ms: int = ROLLUP_FRESH_MS
    ) -> None:
        self.max_entries = max_entries
        self.ttl_ms = ttl_ms
        self.fresh_ms = fresh_ms
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, int, Rollup]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[Any, ...], threading.Lock] = {}

    def get(self, key: tuple[Any, ...], mark: Any, now: int) -> tuple[Rollup, bool] | None:
        """The cached roll-up and whether customers changed since it was computed, or None (compute it)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            age, same = now - found[1], found[0] == mark
            if not (same and age <= self.ttl_ms) and age > self.fresh_ms:
                return None
            self._entries.move_to_end(key)
            return found[2], not same

    def put(self, key: tuple[Any, ...], mark: Any, now: int, rollup: Rollup) -> None:
        with self._lock:
            self._entries[key] = (mark, now, rollup)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                gone, _ = self._entries.popitem(last=False)
                lock = self._computing.get(gone)
                if lock is not None and not lock.locked():
                    del self._computing[gone]

    def computing(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._lock:
            return self._computing.setdefault(key, threading.Lock())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class MarginTally:
    def __init__(self) -> None:
        self.customers = 0
        self.revenue = 0.0
        self.cost = 0.0
        self.without_revenue = 0
        self.buckets = dict.fromkeys(MARGIN_BUCKETS, 0)
        # a max-heap (by negated keys) of the lowest margins, then the highest costs
        self.lowest: list[tuple[float, float, str, MarginRow]] = []

    def add(self, row: MarginRow) -> None:
        self.customers += 1
        self.revenue += row.revenue
        self.cost += row.cost
        if row.revenue <= 0:
            self.without_revenue += 1
        elif row.margin is not None:
            lower = max(-100, min(90, int(row.margin // 10) * 10))
            self.buckets[lower] += 1
        if row.margin is None:
            return
        item = (-row.margin, row.cost, row.id, row)
        if len(self.lowest) < TOP_ROWS:
            heapq.heappush(self.lowest, item)
        elif item[:3] > self.lowest[0][:3]:
            heapq.heapreplace(self.lowest, item)

    def totals(self) -> MarginTotals:
        margin = round((self.revenue - self.cost) / self.revenue * 100, 2) if self.revenue > 0 else None
        lowest = sorted((entry[3] for entry in self.lowest), key=lambda row: (row.margin or 0.0, -row.cost, row.id))
        return MarginTotals(
            customers=self.customers, revenue=round(self.revenue, 6), cost=round(self.cost, 6), margin=margin,
            without_revenue=self.without_revenue, buckets=list(self.buckets.items()), lowest=lowest,
        )


class UsageTally:
    def __init__(self, entitlement: str, unit: str) -> None:
        self.entitlement = entitlement
        self.unit = unit
        self.customers = 0
        self.used = 0.0
        self.used_limited = 0.0
        self.limited = 0
        self.limit_total = 0.0
        self.near = 0
        self.over = 0
        self.distribution = [0] * len(USAGE_BUCKETS)
        self.top: list[tuple[float, str, float, float]] = []

    def add(self, customer_id: str, reading: MeterReading) -> None:
        self.customers += 1
        self.used += reading.value
        if not reading.limit:
            return
        self.limited += 1
        self.used_limited += reading.value
        self.limit_total += reading.limit
        ratio = reading.value / reading.limit
        if ratio >= 1:
            self.over += 1
        elif ratio >= 0.8:
            self.near += 1
        self.distribution[min(len(USAGE_BUCKETS) - 1, int(ratio * 10))] += 1
        item = (ratio, customer_id, reading.value, reading.limit)
        if len(self.top) < TOP_ROWS // 2:
            heapq.heappush(self.top, item)
        elif item > self.top[0]:
            heapq.heapreplace(self.top, item)

    def result(self) -> EntitlementUsage:
        top = sorted(self.top, reverse=True)
        return EntitlementUsage(
            entitlement=self.entitlement, unit=self.unit, customers=self.customers, used=round(self.used, 6),
            used_limited=round(self.used_limited, 6),
            limited=self.limited, limit_total=round(self.limit_total, 6), near=self.near, over=self.over,
            distribution=list(self.distribution),
            top=[(customer_id, value, limit, round(ratio * 100, 1)) for ratio, customer_id, value, limit in top],
        )
