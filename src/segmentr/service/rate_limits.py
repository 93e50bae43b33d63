"""The per-caller request rate, shared by every server process on the database (api.md §1: nothing that must
agree lives in one process's memory).

Each caller has one token bucket in the database (``store.rate_buckets``). A process does not go to the
database for every request: it **leases** a few tokens at once (a tenth of a second of the rate, at most a
quarter of the burst) and spends them locally until they run out or the lease is a second old (unspent tokens
then lapse: the limit errs towards strict, never towards letting more through). An empty bucket is remembered
locally until it refills, so a caller being refused costs no database work either. With the default 100/s a
busy key costs one small write per ten requests per process.

``try_take`` is the hot path (memory only; None when a lease is needed); ``take`` leases, so it blocks on the
database and raises the store's errors, which the HTTP edge answers by falling back to its own bucket.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from segmentr.store import Store, UnitOfWork, rate_buckets

__all__ = ["LEASE_SECONDS", "RateLimits"]

LEASE_SECONDS = 1.0
# A bucket idle this long is full again whatever the rate: deleted now and then.
IDLE_BUCKET_MS = 10 * 60 * 1000
PURGE_EVERY_S = 60.0
MAX_CALLERS = 100_000


@dataclass(slots=True)
class _Held:
    tokens: int = 0  # leased and not yet spent
    expires: float = 0.0  # monotonic seconds: the lease lapses then
    refused_until: float = 0.0  # monotonic seconds: the shared bucket is empty until then


class RateLimits:
    """``rate`` requests a second per caller with bursts up to ``burst``, across every process on ``store``."""

    def __init__(
        self,
        store: Store,
        *,
        rate: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self.lease_size = max(1, min(burst // 4, math.ceil(rate / 10)))
        self._store = store
        self._monotonic = monotonic
        self._wall_ms = wall_ms
        self._held: dict[bytes, _Held] = {}
        self._lock = threading.Lock()
        self._next_purge = monotonic() + PURGE_EVERY_S

    def try_take(self, caller: bytes) -> float | None:
        """0.0: go (a leased token spent); seconds to wait: refused; None: no token here, call ``take``."""
        now = self._monotonic()
        with self._lock:
            held = self._held.get(caller)
            if held is None:
                return None
            if held.refused_until > now:
                return held.refused_until - now
            if held.tokens > 0 and held.expires > now:
                held.tokens -= 1
                return 0.0
            return None

    def take(self, caller: bytes) -> float:
        """Lease tokens from the shared bucket and spend one: 0.0 to go, else the seconds until one is there."""
        found = self.try_take(caller)
        if found is not None:
            return found

        def work(uow: UnitOfWork) -> rate_buckets.Lease:
            return rate_buckets.lease(
                session=uow.session, bucket=caller.hex(), want=self.lease_size, rate=self.rate, burst=self.burst,
                now=self._wall_ms(),
            )  # fmt: skip

        leased = self._store.run(work, write=True)
        now = self._monotonic()
        with self._lock:
            if len(self._held) >= MAX_CALLERS:
                self._held.clear()  # bounded memory: forgetting leases only ever refuses sooner
            held = self._held.setdefault(caller, _Held())
            if leased.granted == 0:
                wait = (1.0 - leased.tokens) / self.rate
                held.tokens, held.refused_until = 0, now + wait
                return wait
            held.tokens, held.expires, held.refused_until = leased.granted - 1, now + LEASE_SECONDS, 0.0
            purge = now >= self._next_purge
            if purge:
                self._next_purge = now + PURGE_EVERY_S
        if purge:
            self.purge_idle()
        return 0.0

    def purge_idle(self) -> int:
        """Delete buckets idle long enough to be full again (a new bucket is full: no answer changes)."""
        idle_ms = max(IDLE_BUCKET_MS, math.ceil(self.burst / self.rate * 1000))
        cutoff = self._wall_ms() - idle_ms
        return self._store.run(lambda uow: rate_buckets.purge_idle(session=uow.session, idle_before=cutoff),
                               write=True)  # fmt: skip
