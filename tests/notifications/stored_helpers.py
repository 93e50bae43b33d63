"""Helpers of the stored notification tests: a store over each database with a small policy (every API limit
soft, so usage past it is an overage), customers, notifications through the service, and a worker whose webhook
channel may reach 127.0.0.1."""

from __future__ import annotations

from typing import Any

from notification_doubles import POLICY

from segmentr.notifications.channels import MockChannel, WebhookChannel
from segmentr.service import Actor, Services
from segmentr.service.worker import Worker, WorkerSettings
from segmentr.store import Store

GROWTH_OR_ENTERPRISE = 'customer.plan == "growth" || customer.plan == "enterprise"'


def open_store(url: str, clock: Any = None) -> Store:
    store = Store(url, clock=clock)
    store.init()
    for environment in ("test", "live"):
        store.put_policy(environment, POLICY)
    return store


def customer(customer_id: str, plan: str, **metadata: Any) -> dict[str, Any]:
    return {"id": customer_id, "plan": plan, "metadata": metadata or None}


def webhook_worker(store: Store, *, batch_size: int = 200, concurrency: int = 4, **channels: Any) -> Worker:
    chosen = {"webhook": WebhookChannel(allow_private=True), "slack": MockChannel("slack"), **channels}
    return Worker(store, channels=chosen, settings=WorkerSettings(batch_size=batch_size, concurrency=concurrency),
                  housekeeping=False)


def drain(worker: Worker, rounds: int = 20) -> None:
    """Run batches until nothing is due now."""
    for _ in range(rounds):
        if not worker.run_once().claimed:
            return


class Stored:
    """A store, the services over it and the local owner acting."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.services = Services(store)
        self.owner: Actor = self.services.local_owner()
        self.customers = self.services.customers(self.owner)
        self.notifications = self.services.notifications(self.owner)
        self.segments = self.services.segments(self.owner)
        self.alerts = self.services.alerts(self.owner)
        self.events = self.services.events(self.owner)

    def segment(self, name: str, condition: str) -> str:
        from segmentr.service import SegmentInput

        return self.segments.create(SegmentInput(name=name, condition=condition)).id

    def webhook(self, url: str, *, events: list[str], segment: str | None = None, condition: str | None = None,
                environment: str = "live", name: str = "Hook") -> Any:
        return self.notifications.create({
            "name": name, "environment": environment, "events": events, "segment": segment,
            "condition": condition, "channels": [{"type": "webhook", "url": url}],
        }).notification
