"""Dashboard pages: the server's time for each segment and settings page with 100 000 customers, side by side.

    .venv/bin/python bench/dashboard_pages.py [--customers 100000] [--rounds 30]

A SQLite file seeded with the sample policy (three versions in live), generated customers in live, the seed's
templates as segments, members and API keys. The real application (``create_app``) is called in-process, one
request at a time, by a signed-in owner; a middleware around the application takes each request's wall time
(``perf_counter``) and the process's CPU time (``process_time``) inside the server, so the client's own work is
not counted. The issue's budget: every page's server time p50 ≤ 100 ms, counts and charts after the page (the
count fragment and the editor's live preview are listed apart, for information); validate ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services, Store, templates

NOW_MS = 1_764_000_000_000
PASSWORD = "bench password, thrown away"
PAGE_BUDGET_MS = 100.0
VALIDATE_BUDGET_MS = 50.0

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class ServerClock:
    """ASGI middleware: the wall and CPU time of each request inside the application."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.last: tuple[float, float] = (0.0, 0.0)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = (time.perf_counter() - wall, time.process_time() - cpu)


def seed(store: Store, customers: int) -> tuple[Services, str]:
    store.init()
    document = sample_policy()
    store.put_policy("live", document)
    for seats in (25, 30):
        changed = copy.deepcopy(document)
        changed["policy"]["plans"]["growth"]["entitlements"]["seats"]["limit"]["value"] = seats
        store.put_policy("live", changed)
    store.put_policy("test", document)
    for start in range(0, customers, 20_000):
        batch = generate_customers(min(20_000, customers - start), seed=start + 1, now_ms=NOW_MS)
        store.import_customer_dicts("live", ({**customer, "id": f"cus_{start + offset:07d}"}
                                             for offset, customer in enumerate(batch)))  # fmt: skip
    services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    owner = services.local_owner()
    assert owner.member_id is not None
    members = services.members(owner)
    members.set_password(owner.member_id, PASSWORD)
    for n in range(8):
        members.create(f"member{n}@example.com", role=("admin", "editor", "viewer")[n % 3], password=PASSWORD)
        members.invite(f"invited{n}@example.com", role="viewer")
    for n in range(6):
        services.keys(owner).create(f"key {n}", environment=("live", "test")[n % 2], role="editor")
    segments = services.segments(owner)
    segments.create(SegmentInput(name="Growth plan", simple=[{"type": "plan", "op": "==", "value": "growth"}]))
    for template in templates():
        segments.create(SegmentInput(name=template.name, description=template.description, condition=template.code))
    segments.set_active_segment("Growth plan")
    return services, members.get(owner.member_id).email


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]



Page = tuple[str, str, str, dict[str, Any] | None]
Row = tuple[str, str, str, int, float, float, float]


def signed_in_token(client: TestClient, email: str) -> str:
    """Sign the bench's member in on ``client``; the session's CSRF token."""
    signed = client.post("/sign-in", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/segments").text)
    assert csrf is not None
    return csrf.group(1)


def time_pages(client: TestClient, clock: ServerClock, pages: list[Page], token: str, rounds: int,
               *, only_ok: bool = False) -> list[Row]:
    """Each page ``rounds`` times after 3 warm-up requests: the server's wall and CPU time (ms). A body is
    ``{"json": …}`` (posted with the CSRF header), ``{"hx": True}`` (an htmx GET) or a form."""
    rows: list[Row] = []
    for kind, label, path, body in pages:
        walls, cpus = [], []
        for round_ in range(rounds + 3):
            if body is None:
                answer = client.get(path)
            elif "hx" in body:
                answer = client.get(path, headers={"HX-Request": "true"})
            elif "json" in body:
                answer = client.post(path, json=body["json"], headers={"X-CSRF-Token": token})
            else:
                answer = client.post(path, data=body)
            assert (answer.status_code == 200) if only_ok else (answer.status_code < 500), (path, answer.status_code)
            if round_ >= 3:
                walls.append(clock.last[0] * 1000)
                cpus.append(clock.last[1] * 1000)
        rows.append((kind, label, path, answer.status_code, statistics.median(walls),
                     percentile(walls, 0.95), statistics.median(cpus)))  # fmt: skip
    return rows


def print_table(rows: list[Row], *, customers: int, rounds: int, load: tuple[float, float, float],
                ids: str) -> None:
    """The Markdown table of BENCHMARKS.md; ``ids``: a pattern of the id prefixes shown as ``{id}``."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{when}; {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite; "
          f"{customers:,} customers in live; load average before the run {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f}; {rounds} rounds per page after 3 warm-up requests.\n")  # fmt: skip
    print("| page | status | server p50 | server p95 | server CPU p50 | budget |\n|---|---|---|---|---|---|")
    for kind, label, path, status, p50, p95, cpu in rows:
        budget = {"page": PAGE_BUDGET_MS, "validate": VALIDATE_BUDGET_MS}.get(kind)
        verdict = (("✓" if p50 <= budget else "✗") + f" ≤ {budget:.0f} ms") if budget else "after the page"
        shown = re.sub(rf"({ids})_[A-Za-z0-9_-]+", "{id}", path.split("?")[0])
        print(f"| {label} `{shown}` | {status} | {p50:.1f} ms | {p95:.1f} ms | {cpu:.1f} ms | {verdict} |")

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/bench.db") as store:
        started = time.perf_counter()
        services, email = seed(store, args.customers)
        print(f"seeded {args.customers:,} customers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        owner = services.local_owner()
        assert services.customers(owner).count("live") == args.customers
        growth = next(s for s in services.segments(owner).segments() if s.name == "Growth plan")
        advanced = next(s for s in services.segments(owner).segments() if s.mode == "advanced")
        member = next(m for m in services.members(owner).list() if m.email == "member1@example.com")
        key = services.keys(owner).list()[0]
        clock = ServerClock(create_app(ApiSettings(), services=services))  # type: ignore[arg-type]
        with TestClient(clock, base_url="http://127.0.0.1") as client:  # type: ignore[arg-type]
            token = signed_in_token(client, email)
            pages: list[Page] = [
                ("page", "Customer Segments", "/segments", None),
                ("page", "New segment (editor)", "/segments/new", None),
                ("page", "Edit segment (editor, Advanced)", f"/segments/{advanced.id}/edit", None),
                ("page", "Edit segment (editor, Simple)", f"/segments/{growth.id}/edit", None),
                ("page", "Delete confirmation (references)", f"/segments/{growth.id}/delete", None),
                ("page", "Policy", "/policy", None),
                ("page", "Policy version", "/policy/versions/1", None),
                ("page", "Policy diff", "/policy/diff?base=1&to=3", None),
                ("page", "Policy restore confirmation", "/policy/versions/1/restore", None),
                ("page", "Members", "/members", None),
                ("page", "Member remove confirmation", f"/members/{member.public_id}/remove", None),
                ("page", "API keys", "/api-keys", None),
                ("page", "API key revoke confirmation", f"/api-keys/{key.id}/revoke", None),
                ("page", "Error page (unknown version)", "/policy/versions/999", None),
                ("after", "Member count fragment (after the page)", f"/segments/{growth.id}/count", None),
                ("after", "Editor live preview (after the page)", "/segments/editor/live",
                 {"csrf_token": token, "mode": "advanced", "rows": "0", "name": "x",
                  "condition": 'customer.plan == "growth"'}),
                ("validate", "Validate (`POST /v1/segments/validate`)", "/v1/segments/validate",
                 {"json": {"condition": 'customer.plan == "growth" && customer.metadata.get("seats") > 3'}}),
            ]  # fmt: skip
            rows = time_pages(client, clock, pages, token, args.rounds)
    print_table(rows, customers=args.customers, rounds=args.rounds, load=load, ids="seg|mem|key")


if __name__ == "__main__":
    main()
