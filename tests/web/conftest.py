"""Fixtures for the dashboard: the built bundle, a real uvicorn server on 127.0.0.1 (free port) serving the
test app, and one headless Debian Chromium per session driven by Playwright."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer

from segmentr.web import Bundle

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    """The front-end bundle, built from the sources (npm ci + esbuild) when it is missing or older."""
    subprocess.run(["make", "--no-print-directory", "-s", "bundle"], cwd=ROOT, check=True)
    built = Bundle()
    assert built.ready, "the bundle did not build: see `make bundle`"
    return built


@pytest.fixture(scope="session")
def live_server(bundle: Bundle) -> Iterator[LiveServer]:
    from web_harness import create_harness_app

    with LiveServer(create_harness_app()) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `bash scripts/ensure-system-deps.sh` (make test does)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: LiveServer):
    """A fresh page (own cookies and storage) in the light scheme, at the live server's base URL."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860}, color_scheme="light")
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from the npm package (a dev dependency of frontend/), injected into pages under test."""
    assert AXE.exists(), f"{AXE} is missing: run `make bundle` (npm ci installs it)"
    return AXE


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
