"""The background worker: delivers the outbox, sweeps watched segments, prunes the event log.

``Worker.run_once`` claims a batch of due deliveries in one transaction (a lease, ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), sends them on their channels concurrently (``concurrency`` threads:
one slow receiver does not hold up the batch), and records every attempt and outcome of the batch in one
transaction — two commits per batch, never one per delivery. Retries follow ``notifications.relay``'s schedule
(api.md §5); a 410 disables the channel and raises an in-app alert in the same recording transaction. In-app
deliveries become alerts in that transaction too. Any number of workers share one database: the leases keep
them apart, and a crashed worker's claims come back when its lease runs out (``LEASE_MS``).

Housekeeping, at most once per interval and per process: the sweep of watched segments (``SWEEP_INTERVAL_S``:
time-dependent conditions change without any event) and the pruning of events older than the retention.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from segmentr.notifications import Alert, Attempt, Claim, Outcome, Relay, RelayReport, endpoint_disabled_alert
from segmentr.notifications.channels import (
    Channel,
    EmailChannel,
    InAppChannel,
    SlackChannel,
    SmtpSettings,
    WebhookChannel,
)
from segmentr.notifications.relay import LEASE_MS
from segmentr.service.decisions import decider_for
from segmentr.store import Store, UnitOfWork, alerts, event_log, outbox
from segmentr.store import notifications as notification_repo

__all__ = [
    "BATCH_SIZE",
    "RETENTION_DAYS",
    "SWEEP_INTERVAL_S",
    "Worker",
    "WorkerSettings",
    "default_channels",
]

log = logging.getLogger("segmentr.worker")

BATCH_SIZE = 200
CONCURRENCY = 16
IDLE_SECONDS = 0.1  # the wait when nothing is due (a commit in this process rings the doorbell at once)
SWEEP_INTERVAL_S = 60  # watched segments with time-dependent conditions are at most this late
RETENTION_DAYS = 90
PRUNE_INTERVAL_S = 3600
DAY_MS = 86_400_000


@dataclass(frozen=True)
class WorkerSettings:
    batch_size: int = BATCH_SIZE
    concurrency: int = CONCURRENCY
    lease_ms: int = LEASE_MS
    idle_seconds: float = IDLE_SECONDS
    sweep_interval_s: float = SWEEP_INTERVAL_S
    retention_days: float = RETENTION_DAYS
    prune_interval_s: float = PRUNE_INTERVAL_S

    @classmethod
    def from_env(cls) -> WorkerSettings:
        """``SEGMENTR_SWEEP_INTERVAL_S``, ``SEGMENTR_EVENT_RETENTION_DAYS``, ``SEGMENTR_WORKER_CONCURRENCY``,
        ``SEGMENTR_WORKER_LEASE_MS``."""
        return cls(
            lease_ms=int(os.environ.get("SEGMENTR_WORKER_LEASE_MS", LEASE_MS)),
            sweep_interval_s=float(os.environ.get("SEGMENTR_SWEEP_INTERVAL_S", SWEEP_INTERVAL_S)),
            retention_days=float(os.environ.get("SEGMENTR_EVENT_RETENTION_DAYS", RETENTION_DAYS)),
            concurrency=int(os.environ.get("SEGMENTR_WORKER_CONCURRENCY", CONCURRENCY)),
        )


class _AlertBuffer:
    """The in-app channel's sink: alerts wait here until their batch is recorded (same transaction)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._alerts: list[Alert] = []

    def add(self, alert: Alert) -> None:
        with self._lock:
            self._alerts.append(alert)

    def drain(self) -> list[Alert]:
        with self._lock:
            drained, self._alerts = self._alerts, []
        return drained


def default_channels(in_app: InAppChannel) -> dict[str, Channel]:
    """Webhook and Slack always; email when ``SEGMENTR_SMTP_HOST`` is set; in-app into the worker's buffer.
    ``SEGMENTR_DASHBOARD_URL`` is the dashboard's address the Slack and email messages link to."""
    dashboard = os.environ.get("SEGMENTR_DASHBOARD_URL") or None  # the link in Slack messages and emails
    channels: dict[str, Channel] = {"webhook": WebhookChannel(), "slack": SlackChannel(dashboard_url=dashboard),
                                    "in_app": in_app}
    smtp = SmtpSettings.from_env()
    if smtp is not None:
        channels["email"] = EmailChannel(smtp, dashboard_url=dashboard)
    return channels


@dataclass
class _Housekeeping:
    last_sweep: float = 0.0
    last_prune: float = 0.0
    errors: list[str] = field(default_factory=list)


class Worker:
    """Delivers due deliveries of one store; ``run`` loops until stopped, ``start`` runs it in a thread."""

    def __init__(self, store: Store, *, channels: Mapping[str, Channel] | None = None,
                 settings: WorkerSettings | None = None, clock: Callable[[], int] | None = None,
                 housekeeping: bool = True) -> None:
        self.store = store
        self.settings = settings or WorkerSettings()
        self._buffer = _AlertBuffer()
        self.channels = dict(channels) if channels is not None else default_channels(InAppChannel(self._buffer))
        if channels is not None and "in_app" not in self.channels:
            self.channels["in_app"] = InAppChannel(self._buffer)
        self._clock = clock or store.now
        self.relay = Relay(_NoOutbox(), self.channels, clock=self._clock, batch_size=self.settings.batch_size,
                           lease_ms=self.settings.lease_ms)
        self._pool = ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency),
                                        thread_name_prefix="segmentr-delivery")
        self._doorbell = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._housekeeping = _Housekeeping() if housekeeping else None
        self.lags_ms: list[int] = []  # commit → first attempt, for the benchmark (bounded)

    # ------------------------------------------------------------------ one batch

    def claim(self) -> list[Claim]:
        token = outbox.new_lease_token()
        now = self._clock()
        # idle polls only read: SQLite's write lock (and PostgreSQL's row locks) are taken when there is work
        if not self.store.run(lambda uow: outbox.any_due(session=uow.session, now=now)):
            return []

        def work(uow: UnitOfWork) -> list[Claim]:
            return outbox.claim_due(session=uow.session, now=now, limit=self.settings.batch_size,
                                    lease_ms=self.settings.lease_ms, token=token)

        return self.store.run(work, write=True)

    def run_once(self) -> RelayReport:
        """Claim one batch, deliver it, record it; the report says what happened."""
        report = RelayReport()
        claims = self.claim()
        report.claimed = len(claims)
        if not claims:
            return report
        if len(claims) == 1 or self.settings.concurrency <= 1:
            results = [(claim, *self.relay.deliver(claim)) for claim in claims]
        else:
            results = list(self._pool.map(lambda claim: (claim, *self.relay.deliver(claim)), claims))
        self._record(results, report)
        return report

    def _record(self, results: list[tuple[Claim, Attempt, Outcome]], report: RelayReport) -> None:
        in_app = self._buffer.drain()
        now = self._clock()

        def work(uow: UnitOfWork) -> list[bool]:
            applied = outbox.record_attempts(session=uow.session, results=results, now=now)
            owned = {claim.delivery.id for (claim, _, _), ok in zip(results, applied, strict=True) if ok}
            pending: list[Alert] = [alert for alert in in_app if alert.delivery_id in owned]
            for (claim, attempt, outcome), ok in zip(results, applied, strict=True):
                if ok and outcome.disable_channel:
                    delivery = claim.delivery
                    notification_repo.disable_channel(session=uow.session, notification_id=delivery.notification_id,
                                                      channel_index=delivery.channel_index, now=now)
                    pending.append(endpoint_disabled_alert(delivery, attempt.at, "answered 410 Gone"))
            environments = outbox.environments_of(session=uow.session,
                                                  delivery_ids=[a.delivery_id or "" for a in pending])
            raised = [(alert, environments[alert.delivery_id or ""]) for alert in pending]
            alerts.add_alerts(session=uow.session, alerts=raised)
            return applied

        applied = self.store.run(work, write=True)
        for (claim, attempt, outcome), ok in zip(results, applied, strict=True):
            if not ok:
                report.lost += 1
                continue
            if attempt.number == 1 and len(self.lags_ms) < 100_000:
                self.lags_ms.append(attempt.at - claim.delivery.created_at)
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

    # ------------------------------------------------------------------ housekeeping

    def housekeeping(self, *, force: bool = False) -> None:
        """The sweep and the pruning, each when its interval has passed (or now with ``force``)."""
        state = self._housekeeping
        if state is None:
            return
        clock = time.monotonic()
        try:
            if force or clock - state.last_sweep >= self.settings.sweep_interval_s:
                state.last_sweep = clock
                decider_for(self.store).sweep()
            if force or clock - state.last_prune >= self.settings.prune_interval_s:
                state.last_prune = clock
                self.prune()
        except Exception as exc:  # housekeeping's failure is logged and tried again next interval
            log.exception("housekeeping failed")
            state.errors.append(f"{type(exc).__name__}: {exc}")

    def prune(self) -> int:
        """Delete events older than the retention (in slices, each its own transaction)."""
        older_than = self._clock() - int(self.settings.retention_days * DAY_MS)
        total = 0
        while True:
            def work(uow: UnitOfWork) -> int:
                return event_log.prune_events(session=uow.session, older_than=older_than)

            removed = self.store.run(work, write=True)
            total += removed
            if removed < 10_000:
                return total

    # ------------------------------------------------------------------ the loop

    def wake(self) -> None:
        """Something was committed to the outbox in this process: look now, not after the idle wait."""
        self._doorbell.set()

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception:  # the database is away, say: log, wait, try again
                log.exception("delivery batch failed")
                report = RelayReport()
                stop.wait(1.0)
            self.housekeeping()
            if not report.claimed:
                self._doorbell.wait(self.settings.idle_seconds)
                self._doorbell.clear()

    def start(self) -> Worker:
        """Run in a daemon thread, woken by this process's commits to the outbox."""
        decider_for(self.store).wake = self.wake
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="segmentr-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        self._stop.set()
        self._doorbell.set()
        if self._thread is not None:
            self._thread.join(timeout)
        decider = decider_for(self.store)
        if decider.wake == self.wake:
            decider.wake = None
        self._pool.shutdown(wait=False)
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()


class _NoOutbox:
    """The relay is used for its attempt logic only (``Relay.deliver``); claims and records are batched here."""

    def add(self, deliveries: object) -> None:
        raise NotImplementedError

    def claim(self, *, now: int, limit: int, lease_ms: int) -> list[Claim]:
        raise NotImplementedError

    def record(self, claim: Claim, attempt: Attempt, outcome: Outcome) -> bool:
        raise NotImplementedError
