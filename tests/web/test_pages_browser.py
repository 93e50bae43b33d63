"""Each page of the foundation in a real browser: axe-core finds no serious or critical violation in light or
dark, the layout's landmarks and names are there, the environment switch and the theme toggle work, and a
screenshot of every page in both schemes goes to build/screenshots/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

PAGES = {
    "overview": "/",
    "segments-empty": "/empty",
    "segment-editor": '/editor?condition=customer.plan == "growth" %26%26 customer.type == "org"',
    "sign-in": "/sign-in",
}
NAV_LINKS = ["Customer Segments", "Customers", "Margin", "Usage", "Notifications", "Pricing rules", "Policy", "Members", "API keys"]


def _axe_violations(page, axe_script) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_and_is_photographed(browser, live_server, screenshots, axe_script, scheme: str) -> None:
    # axe is injected as a script: this context lets it past the pages' Content-Security-Policy
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}, color_scheme=scheme, bypass_csp=True
    )
    page = context.new_page()
    failures = {}
    try:
        for name, path in PAGES.items():
            page.goto(path)
            if name == "segment-editor":
                expect(page.get_by_role("status").filter(has_text="✓ valid")).to_be_visible()
            if name == "overview":
                expect(page.locator("[data-chart] canvas")).to_be_visible()
            if name == "segments-empty":
                expect(page.locator("[data-count]")).to_be_visible()
            page.screenshot(path=str(screenshots / f"{name}-{scheme}.png"), full_page=True)
            violations = _axe_violations(page, axe_script)
            if violations:
                failures[name] = [
                    {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in violations
                ]
    finally:
        context.close()
    assert not failures, json.dumps(failures, indent=2)


def test_layout_shows_navigation_workspace_and_environment(page) -> None:
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    for label in NAV_LINKS:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Customers", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator("[data-workspace]")).to_have_text("Acme Analytics")
    switcher = page.get_by_role("group", name="Environment")
    expect(switcher.get_by_role("button", name="Live")).to_have_attribute("aria-current", "true")
    expect(page.get_by_text("Active segment: Growth orgs")).to_be_visible()
    expect(page.get_by_text("Showing customers in the segment “Growth orgs”")).to_be_visible()


def test_environment_switch_by_keyboard_is_remembered(page, screenshots) -> None:
    page.goto("/empty")
    expect(page.get_by_text("Test environment")).to_have_count(0)
    page.get_by_role("group", name="Environment").get_by_role("button", name="Test").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/empty")
    expect(page.get_by_role("group", name="Environment").get_by_role("button", name="Test")).to_have_attribute(
        "aria-current", "true"
    )
    expect(page.get_by_text("Test environment: you are viewing test customers")).to_be_visible()
    page.screenshot(path=str(screenshots / "test-environment-light.png"))
    page.goto("/")  # another page: the choice stays
    expect(page.get_by_role("group", name="Environment").get_by_role("button", name="Test")).to_have_attribute(
        "aria-current", "true"
    )


def test_theme_toggle_cycles_and_persists(page) -> None:
    page.goto("/empty")
    toggle = page.get_by_role("button", name="Theme: system")
    background = "getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    toggle.click()  # system -> light
    expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
    page.get_by_role("button", name="Theme: light").click()  # light -> dark
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = page.evaluate(background)
    assert dark != light
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate(background) == dark


def test_sign_in_page_has_named_textboxes(page) -> None:
    page.goto("/sign-in")
    expect(page.get_by_role("textbox", name="Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_flash_is_shown_once(page) -> None:
    page.goto("/empty")
    page.evaluate("fetch('/flash', {method: 'POST'})")
    page.reload()
    expect(page.get_by_text("Segment “Growth orgs” saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Segment “Growth orgs” saved.")).to_have_count(0)


def test_no_script_or_style_from_another_origin(page, live_server) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for path in PAGES.values():
        page.goto(path)  # waits for the load event: every script and stylesheet has been fetched
    foreign = [url for url in requests if not url.startswith(live_server.url)]
    assert not foreign
    assert any("/static/editor-" in url for url in requests)


def test_slow_content_loads_after_the_page_through_htmx(page) -> None:
    page.goto("/empty")
    placeholder = page.get_by_text("Counting customers…")
    expect(page.get_by_role("heading", name="Customer Segments")).to_be_visible()
    expect(page.locator("[data-count]")).to_have_text("1,204 customers in live")
    expect(placeholder).to_have_count(0)
