"""The Pricing rules page against the real application on a real uvicorn, driven by Debian's Chromium: the rules
in priority order with their flags (a deleted segment, a target the policy dropped), create / edit / delete by
keyboard (owners and admins; a viewer sees no write control and a write is refused; CSRF), and "explain a price":
the winner and why every other rule did not win, equal to PricingService's answer. axe-clean in both schemes."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from live_server import LiveServer
from playwright.sync_api import expect
from test_admin_pages import PASSWORD, _axe, _shots, _sign_in

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Actor, SegmentInput, Services
from segmentr.store import Store

NOW_MS = 1_760_000_000_000
VIEWER = "pia.viewer@example.com"
GROWTH_CUSTOMER = "cus_pricing_growth"
OWN_PRICE_CUSTOMER = "cus_pricing_own"  # a growth customer with its own price for api requests


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    path = Path(tmp_path_factory.mktemp("pricing-pages")) / "segmentr.db"
    with Store(f"sqlite:///{path}") as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.put_policy("test", sample_policy())
        store.import_customer_dicts("live", generate_customers(12, seed=5, now_ms=NOW_MS))
        store.import_customer_dicts("live", [{"id": GROWTH_CUSTOMER, "plan": "growth", "label": "Growth Co"},
                                             {"id": OWN_PRICE_CUSTOMER, "plan": "growth", "label": "Own Co"}])
        services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        owner: Actor = services.local_owner()
        assert owner.member_id is not None
        members = services.members(owner)
        members.set_password(owner.member_id, PASSWORD)
        members.create(VIEWER, role="viewer", password=PASSWORD, name="Pia Viewer")
        segments = services.segments(owner)
        growth = segments.create(SegmentInput(name="Growth plan", condition='customer.plan == "growth"'))
        starter = segments.create(SegmentInput(name="Starter plan", condition='customer.plan == "starter"'))
        doomed = segments.create(SegmentInput(name="Doomed", condition='customer.plan == "free"'))
        everyone = segments.create(SegmentInput(name="Everyone", condition="true"))
        pricing = services.pricing(owner)
        pricing.create("live", {"name": "Growth discount", "segment": growth.id, "priority": 10,
                                "overrides": {"credit:api_request": {"amount": 0.0004}}})
        pricing.create("live", {"name": "Starter discount", "segment": starter.id, "priority": 20,
                                "overrides": {"credit:api_request": {"amount": 0.00045}}})
        pricing.create("live", {"name": "Free tier rule", "segment": doomed.id, "priority": 30,
                                "overrides": {"credit:api_request": {"amount": 0.0001}}})
        pricing.create("live", {"name": "Tokens for all", "segment": everyone.id, "priority": 40,
                                "overrides": {"credit:ai_token": {"amount": 0.00001},
                                              "credit:api_request": {"amount": 0.0003}}, "enabled": False})
        pricing.set_price_overrides("live", OWN_PRICE_CUSTOMER, {"credit:api_request": {"amount": 0.00042}})
        segments.delete(doomed.id, force=True)  # the rule dangles: "segment deleted"
        yield services, members.get(owner.member_id).email


@pytest.fixture(scope="module")
def server(seeded: tuple[Services, str], bundle: object) -> Iterator[LiveServer]:
    services, _ = seeded
    with LiveServer(create_app(ApiSettings(), services=services)) as live:
        yield live


@pytest.fixture
def owner_page(browser, server: LiveServer, seeded):
    context, page = _sign_in(browser, server, seeded[1])
    yield page
    context.close()


@pytest.fixture
def viewer_page(browser, server: LiveServer):
    context, page = _sign_in(browser, server, VIEWER)
    yield page
    context.close()


def _switch_to_live(page) -> None:
    page.goto("/policy/pricing-rules")  # live unless switched
    expect(page.locator(".app[data-environment=live]")).to_be_visible()


def test_rules_in_priority_order_with_their_flags(owner_page, axe_script, screenshots) -> None:
    page = owner_page
    _switch_to_live(page)
    page.get_by_role("link", name="Pricing rules").click()
    page.wait_for_url("**/policy/pricing-rules")
    rules = page.get_by_role("table", name="Pricing rules in priority order")
    names = rules.locator("tbody tr .table__primary").all_inner_texts()
    assert names == ["Growth discount", "Starter discount", "Free tier rule", "Tokens for all"]
    growth = rules.locator("tr", has_text="Growth discount")
    expect(growth.get_by_role("link", name="Growth plan")).to_be_visible()
    assert "credit:api_request → $0.0004" in growth.inner_text()
    dangling = rules.locator("tr", has_text="Free tier rule")
    expect(dangling.get_by_text("Segment deleted")).to_be_visible()
    expect(dangling.get_by_text("Never matches")).to_be_visible()
    assert growth.get_by_text("Never matches").count() == 0
    expect(rules.locator("tr", has_text="Tokens for all").get_by_text("Disabled")).to_be_visible()
    expect(growth.get_by_text("Enabled")).to_be_visible()
    _axe(page, axe_script)
    _shots(page, screenshots, "pricing-rules")


def test_explain_a_price_by_keyboard_matches_the_service(owner_page, axe_script, screenshots, seeded) -> None:
    services, _ = seeded
    page = owner_page
    _switch_to_live(page)
    page.get_by_role("textbox", name="Customer").fill(GROWTH_CUSTOMER)
    page.get_by_role("combobox", name="Target").select_option("credit:api_request")
    page.get_by_role("combobox", name="Target").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Explain"
    page.keyboard.press("Enter")
    result = page.locator("#price-explanation")
    expect(result.locator("[data-price]")).to_have_text("$0.0004")
    assert page.url.endswith("/policy/pricing-rules")  # htmx: the explanation swapped in, no navigation
    expect(result.locator("[data-winner]")).to_contain_text("“Growth discount” (priority 10)")
    resolution = services.pricing(services.local_owner()).price("live", GROWTH_CUSTOMER, "credit:api_request")
    assert resolution.source.rule is not None and resolution.source.rule.name == "Growth discount"
    considered = result.get_by_role("table", name="Every rule considered, in priority order")
    rows = considered.locator("tbody tr")
    assert rows.count() == len(resolution.considered) == 4
    expect(considered.locator("tr[aria-current=true]")).to_contain_text("Growth discount")
    expect(considered.locator("tr", has_text="Starter discount").locator("[data-why]")).to_have_text(
        "The customer is not in its segment")
    expect(considered.locator("tr", has_text="Free tier rule").locator("[data-why]")).to_have_text(
        "Its segment was deleted: it never matches")
    expect(considered.locator("tr", has_text="Tokens for all").locator("[data-why]")).to_have_text("Disabled")
    _axe(page, axe_script)
    _shots(page, screenshots, "pricing-explain")

    # a target no rule prices: the policy's own price; an unknown customer: said so, not a 500
    page.get_by_role("combobox", name="Target").select_option("topup:tokens_1m")
    page.get_by_role("button", name="Explain").click()
    expect(result.locator("[data-winner]")).to_contain_text("The policy's own price")
    page.get_by_role("textbox", name="Customer").fill("cus_nobody")
    page.get_by_role("button", name="Explain").click()
    expect(result.get_by_role("alert")).to_contain_text("cus_nobody")
    # the customer's own override beats a rule that does not supersede it, and the page says so
    page.get_by_role("textbox", name="Customer").fill(OWN_PRICE_CUSTOMER)
    page.get_by_role("combobox", name="Target").select_option("credit:api_request")
    page.get_by_role("button", name="Explain").click()
    expect(result.locator("[data-price]")).to_have_text("$0.00042")
    expect(result.locator("[data-winner]")).to_contain_text("The customer's own price override")
    expect(considered.locator("tr", has_text="Growth discount").locator("[data-why]")).to_have_text(
        "Matched, but the customer's own override comes first (the rule does not supersede customer overrides)")
    # without scripts the form is a GET: the same explanation as a page
    page.goto(f"/policy/pricing-rules/explain?customer={GROWTH_CUSTOMER}&target=credit%3Aapi_request")
    expect(page.locator("#price-explanation [data-price]")).to_have_text("$0.0004")


def test_create_edit_and_delete_a_rule_by_keyboard(owner_page, axe_script, screenshots, seeded) -> None:
    services, _ = seeded
    pricing = services.pricing(services.local_owner())
    page = owner_page
    _switch_to_live(page)
    page.get_by_role("link", name="+ New pricing rule").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/policy/pricing-rules/new")
    _axe(page, axe_script)
    _shots(page, screenshots, "pricing-rule-new")
    page.get_by_role("textbox", name="Name").fill("Starter tokens")
    page.get_by_role("combobox", name="Segment").select_option(label="Starter plan")
    page.get_by_role("textbox", name="Priority").fill("10")  # taken: said inline, the form kept
    page.get_by_role("textbox", name="Overrides").fill('{"credit:ai_token": {"amount": 0.00002}}')
    page.get_by_role("checkbox", name="Supersedes customer overrides").check()
    page.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("priority")
    expect(page.get_by_role("textbox", name="Name")).to_have_value("Starter tokens")
    page.get_by_role("textbox", name="Priority").fill("15")
    page.get_by_role("textbox", name="Overrides").fill('{"credit:nope": {"amount": 1}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Overrides: not JSON")
    page.get_by_role("textbox", name="Overrides").fill('{"credit:nope": {"amount": 1}}')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("nope")
    page.get_by_role("textbox", name="Overrides").fill('{"credit:ai_token": {"amount": 0.00002}}')
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/policy/pricing-rules")
    expect(page.locator(".flashes")).to_contain_text("Pricing rule “Starter tokens” created (priority 15)")
    created = next(d for d in pricing.list("live") if d.rule.name == "Starter tokens")
    assert created.rule.supersedes == "customer-overrides" and created.rule.overrides == {
        "credit:ai_token": {"amount": 0.00002}}
    names = page.locator("table tbody tr .table__primary").all_inner_texts()
    assert names.index("Starter tokens") == 1  # between priorities 10 and 20

    # edit: disable it and rename it
    page.get_by_role("link", name="Edit Starter tokens").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/policy/pricing-rules/{created.rule.id}/edit")
    page.get_by_role("textbox", name="Name").fill("Starter tokens (paused)")
    page.get_by_role("checkbox", name="Enabled").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/policy/pricing-rules")
    edited = pricing.get("live", created.rule.id)
    assert edited.rule.name == "Starter tokens (paused)" and not edited.rule.enabled and edited.rule.version == 2

    # its history, newest first: who changed what
    page.goto(f"/policy/pricing-rules/{created.rule.id}/edit")
    assert '"amount": 0.00002' in page.get_by_role("textbox", name="Overrides").input_value()  # never 2e-05
    history = page.get_by_role("table", name="Every change of the rule, newest first")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tr[data-version='2']")).to_contain_text("disabled")
    expect(history.locator("tr[data-version='1']")).to_contain_text("Created")
    expect(history.locator("tr[data-version='1']")).to_contain_text("“Starter tokens”, priority 15, Starter plan")
    _axe(page, axe_script)
    _shots(page, screenshots, "pricing-rule-edit")

    # the dangling rule can still be edited without choosing a new segment
    dangling = next(d for d in pricing.list("live") if d.rule.name == "Free tier rule")
    page.goto(f"/policy/pricing-rules/{dangling.rule.id}/edit")
    expect(page.get_by_text("Its segment was deleted")).to_be_visible()
    page.get_by_role("checkbox", name="Enabled").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/policy/pricing-rules")
    assert not pricing.get("live", dangling.rule.id).rule.enabled

    # delete through the confirmation
    page.get_by_role("link", name="Delete Starter tokens (paused)").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/policy/pricing-rules/{created.rule.id}/delete")
    _axe(page, axe_script)
    page.get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/policy/pricing-rules")
    expect(page.locator(".flashes")).to_contain_text("“Starter tokens (paused)” deleted")
    assert all(d.rule.id != created.rule.id for d in pricing.list("live"))


def test_a_viewer_reads_and_cannot_write_and_csrf_is_checked(viewer_page, server: LiveServer, seeded) -> None:
    services, _ = seeded
    pricing = services.pricing(services.local_owner())
    rule = next(d for d in pricing.list("live") if d.rule.name == "Growth discount").rule
    page = viewer_page
    _switch_to_live(page)
    expect(page.get_by_role("table", name="Pricing rules in priority order")).to_be_visible()
    assert page.get_by_role("link", name="+ New pricing rule").count() == 0
    assert page.get_by_role("link", name="Edit Growth discount").count() == 0
    assert page.get_by_role("link", name="Delete Growth discount").count() == 0
    # the viewer's own session and token: refused by role, as a page, never JSON or a 500
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    answer = page.request.post(f"/policy/pricing-rules/{rule.id}/delete", form={"csrf_token": token or ""},
                               max_redirects=0)
    assert answer.status in (303, 403), answer.status
    assert pricing.get("live", rule.id).rule.name == "Growth discount"
    # no token: refused before anything is read
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    bare = httpx.post(f"{server.url}/policy/pricing-rules/{rule.id}/delete", cookies=cookies)
    assert bare.status_code == 403 and "expired" in bare.text
    assert pricing.get("live", rule.id).rule.enabled


def test_unknown_rule_is_a_404_page(owner_page) -> None:
    answer = owner_page.goto("/policy/pricing-rules/prr_missing/edit")
    assert answer is not None and answer.status == 404
    expect(owner_page.get_by_role("heading", level=1)).to_be_visible()



def test_a_target_the_policy_dropped_is_flagged_in_the_test_environment(owner_page, seeded) -> None:
    services, _ = seeded
    owner = services.local_owner()
    everyone = next(s for s in services.segments(owner).segments() if s.name == "Everyone")
    services.pricing(owner).create("test", {"name": "Token packs", "segment": everyone.id, "priority": 5,
                                            "overrides": {"topup:tokens_1m": {"amount": 9}}})
    without = copy.deepcopy(sample_policy())
    for plan in without["policy"]["plans"].values():
        plan.pop("topups", None)
    services.store.put_policy("test", without)
    page = owner_page
    page.goto("/policy/pricing-rules")
    page.locator(".env-switch").get_by_role("button", name="Test").click()
    expect(page.locator(".app[data-environment=test]")).to_be_visible()
    row = page.get_by_role("table", name="Pricing rules in priority order").locator("tr", has_text="Token packs")
    expect(row.locator("[data-target='topup:tokens_1m']")).to_contain_text("Target removed")
    expect(row.get_by_text("Prices a removed target")).to_be_visible()
    assert page.locator("tr", has_text="Growth discount").count() == 0  # live's rules are not test's
    page.locator(".env-switch").get_by_role("button", name="Live").click()
    expect(page.locator(".app[data-environment=live]")).to_be_visible()
