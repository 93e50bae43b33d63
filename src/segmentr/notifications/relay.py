"""The relay: deliver due deliveries from an ``Outbox``, record every attempt, and schedule what failed.

A batch is claimed with a lease (a crashed relay's claims come back when the lease runs out); each delivery is
sent on its channel and the attempt recorded with its outcome: delivered; pending again at the next time of the
retry schedule (exponential, with jitter; ``Retry-After`` is honoured as a minimum); failed after the last
attempt (it can be retried by hand); failed at once when the target is refused or gone — and a 410 disables the
channel and raises an in-app alert, so a disabled endpoint is never silent.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from segmentr.notifications.alerts import AlertSink, endpoint_disabled_alert
from segmentr.notifications.channels.base import Channel
from segmentr.notifications.deliveries import Delivery
from segmentr.notifications.errors import DeliveryError, EndpointGone, RetryLater

__all__ = [
    "LEASE_MS",
    "MAX_ATTEMPTS",
    "RETRY_SCHEDULE_S",
    "Attempt",
    "Claim",
    "Outbox",
    "Outcome",
    "Relay",
    "RelayReport",
    "next_attempt_at",
]

# Delays after attempts 1…7 (api.md §5): 8 attempts over ~28 hours, then the delivery is failed.
RETRY_SCHEDULE_S: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE_S) + 1
JITTER = 0.2  # each delay is drawn from ±20% around the schedule's value
LEASE_MS = 60_000  # longer than a batch's worst case at the 15 s timeout (the relay renews nothing)
EXCERPT_CHARS = 1024

DeliveryState = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed delivery: ``attempts`` already made before this one, and the lease's ``token``."""

    delivery: Delivery
    attempts: int
    token: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt as it is logged: number (1-based), time (epoch ms), status, duration, excerpt, error."""

    delivery_id: str
    number: int
    at: int
    duration_ms: float
    status: int | None
    excerpt: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where the delivery stands after an attempt; ``next_attempt_at`` is set when it is pending again."""

    state: DeliveryState
    next_attempt_at: int | None = None
    disable_channel: bool = False


class Outbox(Protocol):
    """Deliveries waiting to be sent (implemented by ``segmentr.store``)."""

    def add(self, deliveries: Iterable[Delivery]) -> None:
        """Write decided deliveries, due at once, in the caller's transaction; an id already present is kept
        as it is (a replayed event decides the same ids: nothing is sent twice)."""
        ...

    def claim(self, *, now: int, limit: int, lease_ms: int) -> list[Claim]:
        """Up to ``limit`` pending deliveries due at ``now`` whose lease is free or expired, leased until
        ``now + lease_ms`` (``FOR UPDATE SKIP LOCKED`` / ``BEGIN IMMEDIATE``). Each comes with the channel as
        currently configured; deliveries of a disabled channel are failed instead of claimed."""
        ...

    def record(self, claim: Claim, attempt: Attempt, outcome: Outcome) -> bool:
        """Log the attempt and apply the outcome (and ``disable_channel``), unless the lease was lost to
        another relay meanwhile; returns whether it was applied."""
        ...


@dataclass(slots=True)
class RelayReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)


def next_attempt_at(attempts: int, now: int, *, retry_after: float | None = None,
                    rng: random.Random | None = None) -> int | None:
    """When attempt ``attempts + 1`` is due after ``attempts`` failed ones, or None when none is left.

    The delay is the schedule's, ±``JITTER``; a ``Retry-After`` longer than that replaces it (capped at the
    schedule's longest delay, so a receiver cannot push a delivery out by days).
    """
    if attempts >= MAX_ATTEMPTS or attempts < 1:
        return None
    base = RETRY_SCHEDULE_S[attempts - 1]
    delay = base * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, min(retry_after, float(max(RETRY_SCHEDULE_S))))
    return now + int(delay * 1000)


def _clock_ms() -> int:
    return int(time.time() * 1000)


class Relay:
    """Sends due deliveries on their channels (``channels`` by type). One relay is one thread of work; run as
    many as wanted over the same outbox: the leases keep them apart."""

    def __init__(self, outbox: Outbox, channels: Mapping[str, Channel], *, alerts: AlertSink | None = None,
                 clock: Callable[[], int] = _clock_ms, rng: random.Random | None = None,
                 batch_size: int = 100, lease_ms: int = LEASE_MS) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.alerts = alerts
        self._clock = clock
        self._rng = rng or random.Random()
        self.batch_size = batch_size
        self.lease_ms = lease_ms

    def run_once(self) -> RelayReport:
        """Claim one batch and deliver it."""
        report = RelayReport()
        claims = self.outbox.claim(now=self._clock(), limit=self.batch_size, lease_ms=self.lease_ms)
        report.claimed = len(claims)
        for claim in claims:
            self._deliver(claim, report)
        return report

    def run(self, stop: threading.Event, *, idle_seconds: float = 0.5) -> None:
        """Deliver until ``stop`` is set, waiting ``idle_seconds`` whenever nothing is due."""
        while not stop.is_set():
            if not self.run_once().claimed:
                stop.wait(idle_seconds)

    def deliver(self, claim: Claim) -> tuple[Attempt, Outcome]:
        """One attempt of a claimed delivery and its outcome (not recorded: ``run_once`` records)."""
        delivery = claim.delivery
        number = claim.attempts + 1
        started = self._clock()
        clock_start = time.perf_counter()
        status: int | None = None
        excerpt = ""
        error: str | None = None
        outcome: Outcome
        try:
            channel = self.channels.get(delivery.channel.type)
            if channel is None:
                raise DeliveryError(f"no {delivery.channel.type} channel is configured on this server")
            result = channel.send(delivery, now_ms=started)
            status, excerpt = result.status, result.excerpt
            outcome = Outcome("delivered")
        except DeliveryError as exc:
            status, excerpt, error = exc.status, exc.excerpt, f"{type(exc).__name__}: {exc}"
            if isinstance(exc, EndpointGone):
                outcome = Outcome("failed", disable_channel=True)
            elif not exc.retryable:
                outcome = Outcome("failed")
            else:
                retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
                due = next_attempt_at(number, self._clock(), retry_after=retry_after, rng=self._rng)
                outcome = Outcome("failed") if due is None else Outcome("pending", due)
        except Exception as exc:  # a channel's bug: this delivery's failure, retried, never the relay's crash
            error = f"internal error: {type(exc).__name__}: {exc}"
            due = next_attempt_at(number, self._clock(), rng=self._rng)
            outcome = Outcome("failed") if due is None else Outcome("pending", due)
        duration = (time.perf_counter() - clock_start) * 1000
        attempt = Attempt(delivery.id, number, started, round(duration, 3), status, excerpt[:EXCERPT_CHARS], error)
        return attempt, outcome

    def _deliver(self, claim: Claim, report: RelayReport) -> None:
        attempt, outcome = self.deliver(claim)
        if not self.outbox.record(claim, attempt, outcome):
            report.lost += 1
            return
        if attempt.error:
            report.errors.append(f"{claim.delivery.id}: {attempt.error}")
        if outcome.state == "delivered":
            report.delivered += 1
        elif outcome.state == "pending":
            report.retrying += 1
        else:
            report.failed += 1
        if outcome.disable_channel:
            report.disabled += 1
            if self.alerts is not None:
                self.alerts.add(endpoint_disabled_alert(claim.delivery, attempt.at, "answered 410 Gone"))
