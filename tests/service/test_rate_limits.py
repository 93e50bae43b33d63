"""The shared rate limit: two ``RateLimits`` over one database (two server processes) spend one bucket, lease a
few tokens at a time (most requests touch no database), refill at the rate, and remember a refusal locally."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from segmentr.service import RateLimits
from segmentr.store import Store

CALLER = b"k" + bytes(16)


class Clocks:
    """Manual monotonic seconds and wall-clock milliseconds that move together."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds

    def wall_ms(self) -> int:
        return 1_760_000_000_000 + int(self.seconds * 1000)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def pair(db_url: str, clocks: Clocks) -> Iterator[tuple[RateLimits, RateLimits, Store]]:
    with Store(db_url) as first, Store(db_url) as second:
        first.init()
        made = [RateLimits(store, rate=100, burst=20, monotonic=clocks.monotonic, wall_ms=clocks.wall_ms)
                for store in (first, second)]  # fmt: skip
        yield made[0], made[1], first


def _admitted(limits: RateLimits) -> bool:
    return limits.take(CALLER) == 0.0


def test_two_processes_spend_one_bucket(pair: tuple[RateLimits, RateLimits, Store], clocks: Clocks) -> None:
    first, second, _store = pair
    assert first.lease_size == 5  # a tenth of a second of the rate, at most a quarter of the burst
    admitted = sum(_admitted(limits) for _ in range(20) for limits in (first, second))
    assert admitted == 20  # the burst, once, between the two of them
    wait = first.take(CALLER)
    assert wait == pytest.approx(0.01)  # one token at 100/s
    assert second.take(CALLER) > 0
    clocks.seconds += 0.1  # ten tokens at 100/s
    admitted = sum(_admitted(limits) for _ in range(10) for limits in (first, second))
    assert admitted == 10


def test_leased_tokens_are_spent_without_the_database(pair: tuple[RateLimits, RateLimits, Store]) -> None:
    first, _second, store = pair
    assert first.try_take(CALLER) is None  # nothing leased yet
    assert first.take(CALLER) == 0.0  # leases five, spends one
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE rate_buckets"))
    assert [first.try_take(CALLER) for _ in range(5)] == [0.0, 0.0, 0.0, 0.0, None]
    with pytest.raises(Exception, match="rate_buckets"):
        first.take(CALLER)  # the store's error: the HTTP edge falls back to its own bucket


def test_a_lease_lapses_and_a_refusal_is_remembered(
    pair: tuple[RateLimits, RateLimits, Store], clocks: Clocks
) -> None:
    first, second, store = pair
    assert first.take(CALLER) == 0.0
    clocks.seconds += 1.5  # the four unspent tokens lapse with the lease
    assert first.try_take(CALLER) is None
    for _ in range(20):
        second.take(CALLER)
    wait = second.take(CALLER)
    assert wait > 0
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE rate_buckets"))
    assert second.try_take(CALLER) == pytest.approx(wait)  # refused from memory until the bucket refills


def test_idle_buckets_are_purged(pair: tuple[RateLimits, RateLimits, Store], clocks: Clocks) -> None:
    first, _second, store = pair
    first.take(CALLER)
    first.take(b"k" + bytes([1]) * 16)
    assert first.purge_idle() == 0
    clocks.seconds += 3600
    assert first.purge_idle() == 2
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rate_buckets")).scalar_one() == 0
