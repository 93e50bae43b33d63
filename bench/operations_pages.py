"""Dashboard operations pages: the server's time for Pricing rules, Notifications and Alerts, side by side.

    .venv/bin/python bench/operations_pages.py [--customers 100000] [--rounds 30]

The seed of ``dashboard_pages.py`` (sample policy, generated customers in live, the templates as segments), plus
20 pricing rules over those segments, 20 notifications and 100 delivered in-app alerts in live. The real
application is called in-process by a signed-in owner; ``ServerClock`` takes each request's wall and CPU time
inside the server. The issue's budget: every page's server time p50 ≤ 100 ms; the condition validation ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

from starlette.testclient import TestClient

from dashboard_pages import Page, ServerClock, print_table, seed, signed_in_token, time_pages
from segmentr.api import ApiSettings, create_app
from segmentr.service import Store, Worker


def add_operations(services: Any) -> tuple[str, str]:
    """Rules, notifications and alerts; (a growth customer, a notification id)."""
    owner = services.local_owner()
    segments = services.segments(owner).segments()
    for n in range(20):
        services.pricing(owner).create("live", {
            "name": f"Rule {n}", "segment": segments[n % len(segments)].id, "priority": 10 * (n + 1),
            "overrides": {"credit:api_request": {"amount": 0.0001 * (n + 1)}, "topup:tokens_1m": {"amount": 12}}})
    notifications = services.notifications(owner)
    made = [notifications.create({"name": f"Notification {n}", "events": ["meter-changed", "meter-overage"],
                                  "segment": segments[n % len(segments)].id, "environment": "live",
                                  "condition": "event.meter.value >= event.meter.limit * 0.8",
                                  "channels": [{"type": "in_app"}]}).notification.id for n in range(20)]  # fmt: skip
    for _ in range(100):
        notifications.test(made[0], environment="live")
    worker = Worker(services.store, channels={}, housekeeping=False)
    while worker.run_once().delivered:
        pass
    worker.stop()
    customer = next(c for c in services.customers(owner).list("live", limit=100).data if c["plan"] == "growth")
    return customer["id"], made[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/bench.db") as store:
        started = time.perf_counter()
        services, email = seed(store, args.customers)
        customer, notification = add_operations(services)
        print(f"seeded {args.customers:,} customers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        owner = services.local_owner()
        rule = services.pricing(owner).list("live")[0].rule.id
        alert = services.alerts(owner).list("live", state="all", limit=1).data[0].id
        clock = ServerClock(create_app(ApiSettings(), services=services))  # type: ignore[arg-type]
        with TestClient(clock, base_url="http://127.0.0.1") as client:  # type: ignore[arg-type]
            token = signed_in_token(client, email)
            pages: list[Page] = [
                ("page", "Pricing rules", "/policy/pricing-rules", None),
                ("page", "Explain a price", f"/policy/pricing-rules/explain?customer={customer}&target=credit%3Aapi_request", None),
                ("page", "Explain a price (htmx fragment)", f"/policy/pricing-rules/explain?customer={customer}&target=credit%3Aapi_request", {"hx": True}),
                ("page", "Pricing rule edit (with history)", f"/policy/pricing-rules/{rule}/edit", None),
                ("page", "Notifications", "/notifications", None),
                ("page", "Notification edit (editor)", f"/notifications/{notification}/edit", None),
                ("page", "Alerts (All)", "/notifications/alerts?state=all", None),
                ("page", "Alerts with one open", f"/notifications/alerts?state=all&alert={alert}", None),
                ("page", "Alerts feed fragment (each live update)", "/notifications/alerts/feed?state=all", None),
                ("validate", "Validate a notification condition", "/notifications/condition/validate",
                 {"json": {"condition": "event.meter.value >= event.meter.limit * 0.8 && customer.plan == \"growth\""}}),
            ]  # fmt: skip
            rows = time_pages(client, clock, pages, token, args.rounds, only_ok=True)
    print_table(rows, customers=args.customers, rounds=args.rounds, load=load, ids="prr|ntf|alr|cus")


if __name__ == "__main__":
    main()
