"""The data pages against the real application on a real uvicorn, in Debian's Chromium: Customers (list, search,
detail), Margin and Usage, filtered by the active segment and saying so; keyboard only where a journey allows;
axe in light and dark; screenshots of each page in both schemes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from live_server import LiveServer
from playwright.sync_api import expect

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Actor, SegmentInput, Services
from segmentr.store import Store

PASSWORD = "correct horse battery staple"
GROWTH = 'customer.plan == "growth"'
HEAVY = '(?customer.meters.api_requests.value ?? 0) > 500 && ?policy.entitlement(customer.id, "api_requests") != null'


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    path = Path(tmp_path_factory.mktemp("data-pages")) / "segmentr.db"
    with Store(f"sqlite:///{path}") as store:
        store.init()
        for environment, how_many, seed in (("live", 260, 11), ("test", 30, 12)):
            store.put_policy(environment, sample_policy())
            # meters of the current period (generated for now): the pages show real usage, not pending resets
            store.import_customer_dicts(environment, generate_customers(how_many, seed=seed))
        services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        owner: Actor = services.local_owner()
        assert owner.member_id is not None
        services.members(owner).set_password(owner.member_id, PASSWORD)
        email = services.members(owner).get(owner.member_id).email
        services.segments(owner).create(SegmentInput(name="Growth plan", condition=GROWTH))
        services.segments(owner).create(SegmentInput(name="Heavy API users", condition=HEAVY))
        yield services, email


@pytest.fixture(scope="module")
def server(seeded: tuple[Services, str], bundle: object) -> Iterator[LiveServer]:
    services, _ = seeded
    with LiveServer(create_app(ApiSettings(), services=services)) as live:
        yield live


@pytest.fixture
def signed_in(browser, server: LiveServer, seeded: tuple[Services, str]):
    services, email = seeded
    services.segments(services.local_owner()).clear_active_segment()
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, color_scheme="light", bypass_csp=True
    )
    context.set_default_timeout(10000)
    page = context.new_page()
    page.goto("/customers")
    assert "/sign-in" in page.url
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("textbox", name="Password").press("Enter")
    page.wait_for_url("**/customers")
    yield page
    context.close()


def _axe(page, axe_script: Path) -> None:
    """No serious or critical violation in either colour scheme."""
    page.add_script_tag(path=str(axe_script))
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(400)
        result = page.evaluate(
            "async () => (await axe.run(document)).violations.map(v => [v.id, v.impact, v.nodes[0].target])"
        )
        serious = [item for item in result if item[1] in ("serious", "critical")]
        assert not serious, (scheme, serious)
    page.emulate_media(color_scheme="light")


def _shots(page, screenshots: Path, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(400)  # the charts redraw with the scheme's colours
        page.screenshot(path=str(screenshots / f"dashboard-{name}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")


def _owner(seeded: tuple[Services, str]) -> tuple[Services, Actor]:
    services, _ = seeded
    return services, services.local_owner()


def _shown_ids(page) -> list[str]:
    return page.locator("#customer-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.customer)")


def test_customer_list_search_and_detail_by_keyboard(signed_in, axe_script, screenshots, seeded) -> None:
    page = signed_in
    services, owner = _owner(seeded)
    expected = services.reports(owner).customers("live", limit=25)
    assert _shown_ids(page) == [row.id for row in expected.rows]
    expect(page.locator("[data-customer-count]")).to_have_attribute("data-customer-count", "260")
    assert page.get_by_role("link", name="Customers").get_attribute("aria-current") == "page"
    _axe(page, axe_script)
    _shots(page, screenshots, "customers")

    # the next page through htmx: the results swap, the address follows
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"after="))
    second = services.reports(owner).customers("live", after=expected.next_cursor, limit=25)
    expect(page.locator("#customer-results tbody tr").first).to_have_attribute("data-customer", second.rows[0].id)

    # search by keyboard: focus the box, type a name prefix in another case, the list narrows as one types
    someone = next(row for row in expected.rows if row.email)
    prefix = someone.email[:4].upper()
    page.get_by_role("searchbox", name="Search").focus()
    page.keyboard.type(prefix)
    matching = services.reports(owner).customers("live", search=prefix, limit=25)
    page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('#customer-results tbody tr')]"
        ".map(r => r.dataset.customer)) === JSON.stringify(ids)", arg=[row.id for row in matching.rows],
    )  # fmt: skip
    assert someone.id in _shown_ids(page)
    assert f"q={prefix}" in page.url
    # what a screen reader hears: the polite status outside the swapped results, updated out of band
    shown = len(matching.rows)
    expect(page.locator("#customer-results-status")).to_have_text(
        f"{shown} customer{'s' if shown != 1 else ''} shown for “{prefix}”"
    )
    assert page.locator("#customer-results-status").get_attribute("role") == "status"

    # open the customer with the keyboard alone
    link = page.locator(f"tr[data-customer='{someone.id}'] a")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{someone.id}")
    detail = services.reports(owner).customer("live", someone.id)
    assert page.get_by_role("heading", level=1).inner_text() == (someone.label or someone.id)
    bars = page.get_by_role("progressbar")
    assert bars.count() == len(detail.meters) > 0
    first = detail.meters[0]
    expect(page.get_by_role("progressbar", name=first.entitlement, exact=True)).to_have_attribute(
        "aria-valuenow", str(int(first.value) if first.value.is_integer() else first.value)
    )
    members = page.locator("[data-segments] li")
    assert members.count() == 2
    for item in detail.segments:
        expect(page.locator("[data-segments] li", has_text=item.name)).to_have_attribute(
            "data-segment-member", "yes" if item.matched else "no"
        )
    assert page.get_by_role("heading", name="Margin snapshot").is_visible()
    _axe(page, axe_script)
    _shots(page, screenshots, "customer-detail")

    # a customer with grants (topups bought): the grants table, remaining of the starting value
    with_grants = next(c for batch in services.store.customers().stream("live", 1000) for c in batch if c["grants"])
    page.goto(f"/customers/{with_grants['id']}")
    grants = page.get_by_role("table", name="Grants")
    expect(grants.locator("tbody tr")).to_have_count(len(with_grants["grants"]))
    _axe(page, axe_script)
    _shots(page, screenshots, "customer-detail-grants")

    page.goto("/customers/no-such-customer")
    assert page.get_by_role("heading", name=re.compile("No customer “no-such-customer”")).is_visible()


def _press(locator) -> None:
    """Activate a control from the keyboard alone."""
    locator.focus()
    locator.page.keyboard.press("Enter")


def test_set_active_filters_customers_margin_and_usage_and_says_so(signed_in, screenshots, seeded) -> None:
    page = signed_in
    services, owner = _owner(seeded)
    page.goto("/segments")
    _press(page.locator("tr", has_text="Growth plan").get_by_role("button", name="Set Active"))
    page.wait_for_url("**/segments")
    expect(page.locator("tr", has_text="Growth plan").get_by_role("button", name="Clear Active")).to_be_visible()
    growth = services.segments(owner).count("Growth plan", "live").n
    assert 0 < growth < 260

    _press(page.get_by_role("link", name="Customers"))
    page.wait_for_url("**/customers")
    expect(page.locator("[data-filtered-by]")).to_have_text(re.compile("Showing customers in the segment “Growth plan”"))
    expect(page.locator("[data-customer-count]")).to_have_attribute("data-customer-count", str(growth))
    plans = page.locator("#customer-results tbody tr td:nth-child(3)").all_inner_texts()
    assert plans and all(plan.strip() == "growth" for plan in plans)
    _shots(page, screenshots, "customers-filtered")

    _press(page.get_by_role("link", name="Margin"))
    page.wait_for_url("**/margin")
    expect(page.locator("[data-filtered-by]")).to_contain_text("“Growth plan”")
    expect(page.locator("[data-margin-totals]")).to_have_attribute("data-members", str(growth))
    rollup = services.reports(owner).rollup("live")
    assert rollup.members == growth
    assert page.locator("[data-total-revenue]").get_attribute("data-total-revenue") == str(rollup.margin.revenue)

    _press(page.get_by_role("link", name="Usage"))
    page.wait_for_url("**/usage")
    expect(page.locator("[data-filtered-by]")).to_contain_text("“Growth plan”")
    expect(page.locator("[data-usage-totals]")).to_have_attribute("data-members", str(growth))
    api = next(item for item in rollup.usage if item.entitlement == "api_requests")
    assert page.locator("tr[data-entitlement='api_requests'] [data-over]").get_attribute("data-over") == str(api.over)

    # Clear Active from the top bar's chip: back on the same page, every customer again, and no notice
    _press(page.get_by_role("button", name="Clear the active segment Growth plan"))
    page.wait_for_url("**/usage")
    expect(page.locator("[data-active-segment]")).to_have_count(0)
    assert page.locator("[data-filtered-by]").count() == 0
    _press(page.get_by_role("link", name="Customers"))
    page.wait_for_url("**/customers")
    assert page.locator("[data-filtered-by]").count() == 0
    expect(page.locator("[data-customer-count]")).to_have_attribute("data-customer-count", "260")

    # the test environment: its own customers, the switch always at hand
    _press(page.get_by_role("group", name="Environment").get_by_role("button", name="Test"))
    page.wait_for_url("**/customers")
    expect(page.locator("[data-customer-count]")).to_have_attribute("data-customer-count", "30")
    test_ids = [row.id for row in services.reports(owner).customers("test", limit=25).rows]
    assert _shown_ids(page) == test_ids


def test_an_evaluated_segment_filters_the_list(signed_in, seeded) -> None:
    page = signed_in
    services, owner = _owner(seeded)
    services.segments(owner).set_active_segment("Heavy API users")
    page.goto("/customers")
    expected = services.reports(owner).customers("live", limit=25)
    assert expected.segment is not None and not expected.segment.sql
    assert _shown_ids(page) == [row.id for row in expected.rows]
    expect(page.locator("[data-filtered-by]")).to_contain_text("“Heavy API users”")


def test_margin_page(signed_in, axe_script, screenshots, seeded) -> None:
    page = signed_in
    services, owner = _owner(seeded)
    page.goto("/margin")
    page.locator("[data-margin-totals]").wait_for()
    page.locator("#margin-totals .chart canvas").wait_for()
    rollup = services.reports(owner).rollup("live")
    expect(page.locator("[data-total-customers]")).to_have_text(f"{rollup.members:,}")
    rows = services.reports(owner).margin_page("live", limit=25).rows
    first = page.locator("#margin-results tbody tr").first
    expect(first).to_have_attribute("data-customer", rows[0].id)
    assert first.locator("[data-cost]").get_attribute("data-cost") == str(rows[0].cost)
    assert page.locator("#margin-totals tbody tr").count() >= 1
    _axe(page, axe_script)
    _shots(page, screenshots, "margin")
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"/margin\?after="))
    following = services.reports(owner).margin_page("live", after=rows[-1].id, limit=25).rows
    expect(page.locator("#margin-results tbody tr").first).to_have_attribute("data-customer", following[0].id)


def test_usage_page(signed_in, axe_script, screenshots, seeded) -> None:
    page = signed_in
    services, owner = _owner(seeded)
    page.goto("/usage")
    page.locator("[data-usage-summary]").wait_for()
    page.locator("#usage-totals .chart canvas").wait_for()
    rollup = services.reports(owner).rollup("live")
    assert page.locator("[data-usage-summary] tbody tr").count() == len(rollup.usage)
    nav = page.get_by_role("navigation", name="Entitlements")
    assert nav.get_by_role("link", name="api_requests").get_attribute("aria-current") == "true"
    rows = services.reports(owner).usage_page("live", "api_requests", limit=25).rows
    assert page.locator("#usage-results [role=progressbar]").count() == sum(1 for row in rows if row.reading)
    # the over-time chart loads after the page, from the event log: the seeded customers recorded nothing
    expect(page.get_by_role("heading", name="No usage recorded in the last 30 days")).to_be_visible()
    _axe(page, axe_script)
    _shots(page, screenshots, "usage")

    # another entitlement by keyboard
    link = nav.get_by_role("link", name="seats")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/usage?entitlement=seats")
    expect(page.locator("#usage-results table")).to_have_attribute("data-usage", "seats")
    assert page.get_by_role("heading", name="By customer: seats").is_visible()


def test_usage_over_time_and_the_recent_events_come_from_the_event_log(signed_in, screenshots, seeded) -> None:
    page = signed_in
    services, owner = _owner(seeded)
    row = next(row for row in services.reports(owner).usage_page("live", "api_requests", limit=25).rows
               if row.reading and (row.reading.limit is None or (row.reading.value or 0) + 3 <= row.reading.limit))
    result = services.customers(owner).record_usage("live", row.id, "api_requests", 3)
    assert result.allowed
    page.goto("/usage?entitlement=api_requests")
    page.locator("#usage-over-time .chart canvas").wait_for()
    expect(page.locator("#usage-over-time")).to_contain_text("3 in all (request), recorded by 1 customer in the last 30 days")
    _shots(page, screenshots, "usage-over-time")
    page.goto(f"/customers/{row.id}")
    expect(page.locator("[data-events] li").first).to_contain_text("api_requests +3")
