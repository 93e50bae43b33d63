"""The dashboard's first pages against the real application (create_app) on a real uvicorn: sign in, the
Customer Segments list, the segment editor. A seeded SQLite file: the sample policy in both environments, a few
hundred generated customers, an owner with a known password."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from live_server import LiveServer
from playwright.sync_api import expect

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Actor, SegmentInput, Services
from segmentr.store import Store

PASSWORD = "correct horse battery staple"
NOW_MS = 1_760_000_000_000


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    path = Path(tmp_path_factory.mktemp("dashboard")) / "segmentr.db"
    with Store(f"sqlite:///{path}") as store:
        store.init()
        for environment, how_many, seed in (("live", 300, 7), ("test", 40, 8)):
            store.put_policy(environment, sample_policy())
            store.import_customer_dicts(environment, generate_customers(how_many, seed=seed, now_ms=NOW_MS))
        services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        owner: Actor = services.local_owner()
        assert owner.member_id is not None
        services.members(owner).set_password(owner.member_id, PASSWORD)
        email = services.members(owner).get(owner.member_id).email
        services.segments(owner).create(SegmentInput(name="Growth plan", description="Customers on Growth",
                                                     condition='customer.plan == "growth"'))
        yield services, email


@pytest.fixture(scope="module")
def server(seeded: tuple[Services, str], bundle: object) -> Iterator[LiveServer]:
    services, _ = seeded
    with LiveServer(create_app(ApiSettings(), services=services)) as live:
        yield live


@pytest.fixture
def signed_in(browser, server: LiveServer, seeded: tuple[Services, str]):
    # axe is injected as a script: bypass_csp lets it past the pages' Content-Security-Policy
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, color_scheme="light", bypass_csp=True
    )
    context.set_default_timeout(8000)
    page = context.new_page()
    page.goto("/segments")
    assert "/sign-in" in page.url
    page.get_by_role("textbox", name="Email").fill(seeded[1])
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("textbox", name="Password").press("Enter")
    page.wait_for_url("**/segments")
    yield page
    context.close()


def _axe(page, axe_script: Path) -> None:
    """No serious or critical violation in either colour scheme."""
    page.add_script_tag(path=str(axe_script))
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(400)  # colour transitions settle
        result = page.evaluate(
            "async () => (await axe.run(document)).violations.map(v => [v.id, v.impact, v.nodes[0].target])"
        )
        serious = [item for item in result if item[1] in ("serious", "critical")]
        assert not serious, (scheme, serious)
    page.emulate_media(color_scheme="light")


def _shots(page, screenshots: Path, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(300)
        page.screenshot(path=str(screenshots / f"dashboard-{name}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")


def test_unauthenticated_pages_redirect_to_sign_in(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/segments/new", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in?next=")
    assert httpx.get(f"{server.url}/v1/segments").status_code == 401


def test_wrong_password_is_refused(page, server: LiveServer, seeded) -> None:
    page.goto(f"{server.url}/sign-in")
    page.get_by_role("textbox", name="Email").fill(seeded[1])
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That email and password")


def test_segments_list_counts_set_active_and_sign_out(signed_in, axe_script, screenshots, seeded) -> None:
    page = signed_in
    services, _ = seeded
    row = page.locator("tr", has_text="Growth plan")
    expected = services.segments(services.local_owner()).count("Growth plan", "live").n
    row.locator("[data-count]").wait_for()
    assert row.locator("[data-count]").inner_text() == f"{expected:,}"
    assert page.locator("[data-workspace]").is_visible()
    _axe(page, axe_script)
    _shots(page, screenshots, "segments")
    row.get_by_role("button", name="Set Active").click()
    page.wait_for_url("**/segments")
    assert page.locator("tr", has_text="Growth plan").get_by_role("button", name="Clear Active").is_visible()
    assert "Active segment: Growth plan" in page.locator("[data-active-segment]").inner_text()
    page.locator("tr", has_text="Growth plan").get_by_role("button", name="Clear Active").click()
    page.wait_for_url("**/segments")
    assert page.locator("tr", has_text="Growth plan").get_by_role("button", name="Set Active").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    page.goto("/segments")
    assert "/sign-in" in page.url


def test_create_in_simple_mode_then_advanced_validation_and_preview(signed_in, server, axe_script, screenshots,
                                                                      seeded) -> None:  # fmt: skip
    page = signed_in
    page.get_by_role("link", name="+ New Segment").click()
    page.get_by_role("textbox", name="Name").fill("Recent growth")
    page.get_by_role("textbox", name="Description").fill("Growth customers created lately")
    page.get_by_label("Condition 1: plan").select_option("growth")
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Condition 2: field").select_option("created")
    page.wait_for_selector("input[aria-label='Condition 2: days']")
    page.get_by_label("Condition 2: days").fill("3650")
    page.get_by_label("Condition 2: days").press("Tab")
    generated = page.locator("#generated-stof")
    page.wait_for_function("document.querySelector('#generated-stof').textContent.includes('3650')")
    assert 'customer.plan == "growth"' in generated.inner_text()
    assert "3650days" in generated.inner_text()
    status = page.locator("#live-preview [role=status]")
    status.wait_for()
    assert re.fullmatch(r"[\d,]+ customers? match(es)?", status.inner_text())
    _axe(page, axe_script)
    _shots(page, screenshots, "editor-simple")

    # Advanced: the generated code in CodeMirror, validated live
    page.get_by_role("button", name="Advanced").click()
    editor = page.get_by_role("textbox", name="Condition")
    editor.wait_for()
    validity = page.locator("[data-stof-status]")
    page.wait_for_function("document.querySelector('[data-stof-status]').textContent === '✓ valid'")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" &&")
    page.wait_for_function("document.querySelector('[data-stof-status]').textContent.includes('error')")
    assert page.locator(".cm-lintRange-error").count() >= 1
    assert page.locator("[data-stof-summary]").inner_text().startswith("Line")
    for _ in range(3):
        page.keyboard.press("Backspace")
    page.wait_for_function("document.querySelector('[data-stof-status]').textContent === '✓ valid'")
    assert validity.inner_text() == "✓ valid"

    # the preview equals the API's count for the same condition
    page.wait_for_function("document.querySelector('#live-preview [data-preview-count]') !== null")
    shown = int(page.locator("[data-preview-count]").get_attribute("data-preview-count") or "-1")
    condition = page.evaluate("document.querySelector('[data-stof-editor]').stofEditor.getValue()")
    api = page.request.post("/v1/live/segments/preview", data=json.dumps({"condition": condition}),
                            headers={"Content-Type": "application/json",
                                     "X-CSRF-Token": page.locator("meta[name=csrf-token]").get_attribute("content")})
    assert api.ok, api.text()
    assert api.json()["count"] == shown

    # Test customer
    services, _ = seeded
    first = services.customers(services.local_owner()).list("live", limit=1).data[0]["id"]
    page.get_by_placeholder("Customer id, e.g. cus_0001").fill(first)
    page.get_by_role("button", name="Test customer").click()
    page.locator("[data-test-result]").wait_for()
    assert page.locator("[data-test-result] .explain li").count() >= 1

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/segments")
    assert page.locator("tr", has_text="Recent growth").is_visible()


def test_template_fills_advanced_and_simple_refuses_with_a_reason(signed_in, axe_script, screenshots) -> None:
    page = signed_in
    page.goto("/segments/new")
    page.get_by_role("combobox", name="From template…").select_option(index=2)
    page.get_by_role("textbox", name="Condition").wait_for()
    assert page.get_by_role("button", name="Advanced").get_attribute("aria-pressed") == "true"
    code = page.evaluate("document.querySelector('[data-stof-editor]').stofEditor.getValue()")
    assert code.strip()
    page.wait_for_function("document.querySelector('[data-stof-status]').textContent === '✓ valid'")
    _axe(page, axe_script)
    _shots(page, screenshots, "editor-advanced")
    page.get_by_role("button", name="Simple").click()
    expect(page.locator(".flash--info")).to_contain_text("cannot be shown in Simple mode")
    assert page.get_by_role("button", name="Advanced").get_attribute("aria-pressed") == "true"


def test_edit_history_and_delete_through_the_confirmation(signed_in, axe_script, screenshots, seeded) -> None:
    services, _ = seeded
    owner = services.local_owner()
    services.segments(owner).create(SegmentInput(name="To delete", condition='customer.plan == "free"'))
    services.segments(owner).set_active_segment("To delete")
    page = signed_in
    page.goto("/segments")
    page.locator("tr", has_text="To delete").get_by_role("link", name="Edit").click()
    page.get_by_role("textbox", name="Description").fill("edited")
    page.wait_for_function("document.querySelector('#live-preview').textContent.includes('If you save')")
    _shots(page, screenshots, "editor-edit")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/segments")
    page.locator("tr", has_text="To delete").get_by_role("link", name="Delete", exact=True).click()
    assert "active segment" in page.get_by_role("alert").inner_text()
    _axe(page, axe_script)
    _shots(page, screenshots, "delete")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/segments")
    assert page.locator("tr", has_text="To delete").count() == 0
