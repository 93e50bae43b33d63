"""The README's screenshots: the Customer Segments list, the segment editor and the Policy page, light and dark.

    make bundle && .venv/bin/python scripts/readme_screenshots.py [--out docs/screenshots]

A throwaway SQLite database seeded like `segmentr demo` (the sample policy in two versions, 2 000 sample
customers, the seed's templates as segments), the real application on uvicorn at 127.0.0.1, Debian's Chromium
through Playwright. Viewport-sized PNGs (1280×800), so each stays small.
"""

from __future__ import annotations

import argparse
import copy
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from argon2 import PasswordHasher
from playwright.sync_api import sync_playwright

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import SegmentInput, Services, Store, templates

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "screenshots only, thrown away"
NOW_MS = 1_764_000_000_000


def seed(store: Store) -> tuple[Services, str]:
    store.init()
    store.put_policy("live", sample_policy())
    changed = copy.deepcopy(sample_policy())
    changed["policy"]["plans"]["growth"]["entitlements"]["seats"]["limit"]["value"] = 25
    store.put_policy("live", changed)
    store.put_policy("test", sample_policy())
    store.import_customer_dicts("live", generate_customers(2000, seed=42, now_ms=NOW_MS))
    store.import_customer_dicts("test", generate_customers(200, seed=43, now_ms=NOW_MS))
    services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    owner = services.local_owner()
    assert owner.member_id is not None
    services.members(owner).set_password(owner.member_id, PASSWORD)
    segments = services.segments(owner)
    segments.create(SegmentInput(name="Growth plan", description="Every customer on Growth",
                                 simple=[{"type": "plan", "op": "==", "value": "growth"}]))  # fmt: skip
    for template in templates():
        segments.create(SegmentInput(name=template.name, description=template.description, condition=template.code))
    segments.set_active_segment("Growth plan")
    return services, services.members(owner).get(owner.member_id).email


def serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, Store(f"sqlite:///{folder}/readme.db") as store:
        services, email = seed(store)
        editor_id = next(s.id for s in services.segments(services.local_owner()).segments()
                         if s.name == "Negative Snapshot Margin")  # fmt: skip
        server, thread, url = serve(create_app(ApiSettings(), services=services))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 800}, bypass_csp=True)
                page = context.new_page()
                page.goto("/sign-in")
                page.get_by_role("textbox", name="Email").fill(email)
                page.get_by_role("textbox", name="Password").fill(PASSWORD)
                page.get_by_role("textbox", name="Password").press("Enter")
                page.wait_for_url("**/segments")
                shots = {
                    "segments": ("/segments", "[data-count]"),
                    "editor": (f"/segments/{editor_id}/edit", "#live-preview [role=status]"),
                    "policy": ("/policy", "[data-entitlement]"),
                }
                for name, (path, ready) in shots.items():
                    page.goto(path)
                    page.wait_for_selector(ready)
                    # every count loaded after the page has arrived
                    page.wait_for_function("document.querySelectorAll('[aria-busy=true]').length === 0",
                                           timeout=30_000)  # fmt: skip
                    if name == "editor":
                        page.wait_for_function(
                            "document.querySelector('[data-stof-status]')?.textContent === '✓ valid'"
                        )
                    for scheme in ("light", "dark"):
                        page.emulate_media(color_scheme=scheme)
                        page.wait_for_timeout(400)
                        target = args.out / f"{name}-{scheme}.png"
                        page.screenshot(path=str(target))
                        print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} KB")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
