"""Rate buckets: token buckets in the database, so that every server process on it limits a caller as one.

``lease`` takes up to ``want`` tokens from a caller's bucket in **one** statement (an upsert that refills the
bucket for the time since its last use, takes what is there, and answers what it took and what is left), so two
processes leasing from one bucket at once queue on its row and never both spend the same tokens. A bucket not
used for long is full again, so ``purge_idle`` may delete it without changing any answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from segmentr.store.tables import RateBucketRow

__all__ = ["Lease", "lease", "purge_idle"]

_T = RateBucketRow.__table__

# The refilled bucket and what the lease takes of it, written with each dialect's spelling of min/max/floor.
# Every expression of the SET reads the row as it was before the update, on both databases.
_REFILLED = "{least}(:burst, rate_buckets.tokens + {greatest}(0, :now - rate_buckets.updated_at) * :per_ms)"
_GRANTED = "CASE WHEN {refilled} >= 1 THEN {least}(:want, {floor}) ELSE 0 END"
_LEASE = """
INSERT INTO rate_buckets (bucket, tokens, granted, updated_at) VALUES (:bucket, :burst - :want, :want, :now)
ON CONFLICT (bucket) DO UPDATE SET
    granted = {granted},
    tokens = {refilled} - {granted},
    updated_at = {greatest}(rate_buckets.updated_at, :now)
RETURNING granted, tokens
"""


def _statement(least: str, greatest: str, floor: str) -> str:
    refilled = _REFILLED.format(least=least, greatest=greatest)
    granted = _GRANTED.format(refilled=refilled, least=least, floor=floor.format(refilled))
    return _LEASE.format(granted=granted, refilled=refilled, greatest=greatest)


_STATEMENTS = {
    "postgresql": text(_statement("LEAST", "GREATEST", "CAST(FLOOR({}) AS INTEGER)")),
    # SQLite's CAST truncates toward zero: the floor of the positive numbers it is used on here
    "sqlite": text(_statement("MIN", "MAX", "CAST({} AS INTEGER)")),
}


@dataclass(frozen=True, slots=True)
class Lease:
    """``granted`` tokens taken (0: the bucket is empty) and the ``tokens`` left in the bucket."""

    granted: int
    tokens: float


def lease(*, session: Session, bucket: str, want: int, rate: float, burst: int, now: int) -> Lease:
    """Take up to ``want`` (≤ ``burst``) tokens from ``bucket``, which refills at ``rate`` a second up to
    ``burst`` (a new bucket starts full). ``now`` is epoch milliseconds; a clock behind the row's never refills."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # what the bucket holds is not worth a disk flush: a crash at worst forgets a few taken tokens
        session.execute(text("SET LOCAL synchronous_commit = off"))
    row = session.execute(
        _STATEMENTS[dialect],
        {"bucket": bucket, "want": want, "burst": burst, "per_ms": rate / 1000.0, "now": now},
    ).one()
    return Lease(granted=int(row[0]), tokens=float(row[1]))


def purge_idle(*, session: Session, idle_before: int) -> int:
    """Delete buckets last used before ``idle_before`` (epoch ms; they are full again, as a new one would be)."""
    result = session.execute(delete(_T).where(_T.c.updated_at < idle_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
