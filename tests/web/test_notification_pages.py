"""The Notifications pages against the real application on a real uvicorn with a real worker, driven by Debian's
Chromium: subscriptions (list, create and edit with segment, events, the condition editor validated live over the
notification vocabulary, channels; send test), the Alerts feed (New by default, opening marks Seen, Resolve, the
detail with its % of limit bar and collapsed Raw Event Data) and the journey "an alert arriving live in the feed":
usage recorded through the service fires a notification whose in-app alert appears without a reload.
axe-clean in both schemes, keyboard journeys, a viewer sees no write control."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from live_server import LiveServer
from playwright.sync_api import expect
from test_admin_pages import PASSWORD, _axe, _shots, _sign_in

from segmentr.api import ApiSettings, create_app
from segmentr.sample import sample_policy
from segmentr.service import Actor, SegmentInput, Services, Worker
from segmentr.store import Store

VIEWER = "nia.viewer@example.com"
GROWTH = "cus_notify_growth"
STARTER = "cus_notify_starter"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str, dict[str, str]]]:
    path = Path(tmp_path_factory.mktemp("notification-pages")) / "segmentr.db"
    with Store(f"sqlite:///{path}") as store:
        store.init()
        store.put_policy("live", sample_policy())
        store.put_policy("test", sample_policy())
        store.import_customer_dicts("live", [{"id": GROWTH, "plan": "growth", "label": "Growth Co"},
                                             {"id": STARTER, "plan": "starter", "label": "Starter Co"}])
        services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        owner: Actor = services.local_owner()
        assert owner.member_id is not None
        members = services.members(owner)
        members.set_password(owner.member_id, PASSWORD)
        members.create(VIEWER, role="viewer", password=PASSWORD, name="Nia Viewer")
        segments = services.segments(owner)
        growth = segments.create(SegmentInput(name="Growth plan", condition='customer.plan == "growth"'))
        gone = segments.create(SegmentInput(name="Soon gone", condition='customer.plan == "free"'))
        notifications = services.notifications(owner)
        usage = notifications.create({"name": "Growth usage", "events": ["meter-changed"], "environment": "live",
                                      "segment": growth.id, "channels": [{"type": "in_app"}]})
        dangling = notifications.create({"name": "Free plan watch", "events": ["customer-plan-changed"],
                                         "segment": gone.id, "channels": [{"type": "in_app"}]})
        segments.delete(gone.id, force=True)
        ids = {"growth": growth.id, "usage": usage.notification.id, "dangling": dangling.notification.id}
        yield services, members.get(owner.member_id).email, ids


@pytest.fixture(scope="module")
def server(seeded, bundle: object) -> Iterator[LiveServer]:
    services = seeded[0]
    worker = Worker(services.store, channels={}, housekeeping=False).start()  # what `segmentr serve` runs
    try:
        with LiveServer(create_app(ApiSettings(), services=services)) as live:
            yield live
    finally:
        worker.stop()


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


def _owner(services: Services) -> Actor:
    return services.local_owner()


def _record(services: Services, customer: str, value: float) -> None:
    services.customers(_owner(services)).record_usage("live", customer, "api_requests", value)


def test_subscriptions_list_with_flags(owner_page, axe_script, screenshots) -> None:
    page = owner_page
    page.goto("/segments")
    page.get_by_role("link", name="Notifications").click()
    page.wait_for_url("**/notifications")
    table = page.get_by_role("table", name="Notifications")
    growth = table.locator("tr", has_text="Growth usage")
    expect(growth.get_by_role("link", name="Growth plan")).to_be_visible()
    expect(growth).to_contain_text("meter-changed")
    expect(growth).to_contain_text("In-app alert")
    expect(table.locator("tr", has_text="Free plan watch").get_by_text("Segment deleted")).to_be_visible()
    expect(growth.get_by_role("button", name="Send test of Growth usage")).to_be_visible()
    _axe(page, axe_script)
    _shots(page, screenshots, "notifications")


def test_create_with_the_condition_editor_and_edit_by_keyboard(owner_page, axe_script, screenshots, seeded) -> None:
    services, _, ids = seeded
    page = owner_page
    page.goto("/notifications")
    page.get_by_role("link", name="+ New notification").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications/new")
    expect(page.locator(".env-switch [data-environment]")).to_have_count(2)  # the form's choices stay its own
    page.get_by_role("textbox", name="Name").fill("Near the limit")
    page.get_by_role("combobox", name="Environment").select_option("live")
    page.get_by_role("combobox", name="Segment").select_option(label="Growth plan")
    page.get_by_role("checkbox", name="meter-changed").check()
    page.get_by_role("checkbox", name="meter-overage").uncheck()
    editor = page.locator("#notification-condition")
    content = editor.get_by_role("textbox", name="Condition")
    content.click()
    page.keyboard.type("event.meter.value >= event.meter.limit *")
    status = editor.get_by_role("status")
    expect(editor.locator(".cm-lintRange-error, .cm-lintRange").first).to_be_visible()
    assert "✓ valid" not in status.inner_text()
    page.keyboard.type(" 0.8")
    expect(status).to_have_text("✓ valid")  # `event` is known to a notification condition
    page.get_by_role("textbox", name="Webhook URLs").fill("https://hooks.example.com/segmentr")
    page.get_by_role("textbox", name="Email addresses").fill("ops@example.com, finance@example.com")
    _axe(page, axe_script)
    page.evaluate("window.scrollTo(0, 0)")
    _shots(page, screenshots, "notification-new")
    page.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications")
    expect(page.locator(".flashes")).to_contain_text("Notification “Near the limit” created.")
    created = next(v for v in services.notifications(_owner(services)).list().data
                   if v.notification.name == "Near the limit").notification
    assert created.segment == ids["growth"] and created.events == ("meter-changed",)
    assert created.condition == "event.meter.value >= event.meter.limit * 0.8"
    assert [c.type for c in created.channels] == ["webhook", "email", "in_app"]
    secret = created.channels[0].secret

    # edit: the webhook keeps its secret, shown once on the page to copy; an invalid condition is refused inline
    page.get_by_role("link", name="Edit Near the limit").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/notifications/{created.id}/edit")
    expect(page.get_by_role("textbox", name="Signing secret of https://hooks.example.com/segmentr")).to_have_value(
        secret)
    expect(editor.get_by_role("status")).to_have_text("✓ valid")
    page.get_by_role("textbox", name="Email addresses").fill("")
    page.get_by_role("checkbox", name="Enabled").uncheck()
    content.click()
    page.keyboard.press("End")
    page.keyboard.type(" &&")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Condition (line 1")
    page.keyboard.press("Tab")  # the form was kept: fix the condition and save again
    page.locator("#notification-condition").get_by_role("textbox", name="Condition").click()
    page.keyboard.press("End")
    for _ in range(3):
        page.keyboard.press("Backspace")
    page.get_by_role("textbox", name="Email addresses").fill("")
    page.get_by_role("checkbox", name="Enabled").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/notifications")
    edited = services.notifications(_owner(services)).get(created.id).notification
    assert not edited.enabled and [c.type for c in edited.channels] == ["webhook", "in_app"]
    assert edited.channels[0].secret == secret and edited.version == 2


def test_send_test_raises_an_in_app_alert(owner_page, axe_script, seeded) -> None:
    services, _, ids = seeded
    page = owner_page
    page.goto("/notifications")
    page.get_by_role("button", name="Send test of Growth usage").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications")
    expect(page.locator(".flashes")).to_contain_text("Test of “Growth usage” queued in live on 1 channel: In-app alert")
    page.goto("/notifications/alerts?state=all")
    expect(page.locator("[data-alert]").first).to_be_visible(timeout=20_000)
    alerts = services.alerts(_owner(services)).list("live", state="all").data
    assert any(a.notification_id == ids["usage"] for a in alerts)
    # what it sent: the delivery, delivered on its first attempt (nothing to retry)
    page.goto("/notifications")
    page.get_by_role("link", name="Deliveries of Growth usage").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/notifications/{ids['usage']}/deliveries")
    delivered = page.get_by_role("table", name="Deliveries, newest first").locator("tr[data-delivery-state=delivered]")
    expect(delivered.first).to_contain_text("In-app alert")
    expect(delivered.first).to_contain_text("#1")
    assert delivered.first.get_by_role("button", name="Retry").count() == 0
    _axe(page, axe_script)
    # a delivered one is not sent twice: a forged retry comes back with the reason, never a 500
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    delivery = delivered.first.get_attribute("data-delivery")
    again = page.request.post(f"/notifications/deliveries/{delivery}/retry", form={"csrf_token": token},
                              headers={"Referer": page.url})
    assert again.status == 200 and "delivered already" in again.text()


def test_an_alert_arrives_live_then_open_marks_seen_and_resolve(owner_page, axe_script, screenshots,
                                                                 seeded) -> None:
    services, _, _ = seeded
    alerts = services.alerts(_owner(services))
    for old in alerts.list("live", state="new").data:  # the feed starts empty of New ones
        alerts.resolve("live", old.id)
    page = owner_page
    page.goto("/notifications/alerts")
    feed = page.locator("#alert-feed")
    expect(page.get_by_role("link", name="New", exact=True)).to_have_attribute("aria-current", "page")
    expect(feed.get_by_text("No new alerts")).to_be_visible()
    live = page.locator("[data-live-status]")
    expect(live).to_have_text("Live: new alerts appear here as they arrive.", timeout=15_000)
    page.evaluate("window.__unreloaded = true")

    _record(services, STARTER, 5)  # not in the segment: nothing fires
    _record(services, GROWTH, 7)
    item = feed.locator("[data-alert]")
    expect(item).to_have_count(1, timeout=30_000)  # the worker delivers, the stream tells, htmx redraws
    assert page.evaluate("window.__unreloaded") is True  # no reload
    expect(item).to_contain_text(GROWTH)
    expect(live).to_contain_text("New alert:")
    expect(page.locator("[data-new-count]").first).to_contain_text("1")

    # open it by keyboard: the detail shows, and it is Seen
    item.get_by_role("link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications/alerts?state=new&alert=*")
    (alert,) = [a for a in alerts.list("live", state="all").data if a.customer_id == GROWTH and not a.resolved_at]
    assert alert.state.value == "seen"
    expect(page.locator(f"#alert-feed [data-alert='{alert.id}'] [aria-current=true]")).to_be_visible()
    detail = page.locator("#alert-detail")
    expect(detail.get_by_role("heading", name=alert.title)).to_be_visible()
    expect(detail.locator(".card__header .badge")).to_have_text("Seen")
    bar = detail.get_by_role("progressbar", name="% of limit")
    expect(bar).to_have_attribute("aria-valuenow", "7")
    raw = detail.get_by_text("Raw Event Data")
    pre = detail.get_by_role("region", name="Raw event data").or_(detail.locator("pre.raw-event"))
    expect(pre).to_be_hidden()
    raw.focus()
    page.keyboard.press("Enter")
    expect(pre).to_be_visible()
    expect(pre).to_contain_text('"entitlement": "api_requests"')
    _axe(page, axe_script)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bars of a full-page shot sit where the view is
    _shots(page, screenshots, "alerts")

    detail.get_by_role("button", name="Resolve").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications/alerts?state=new&alert=*")
    expect(page.locator(".flashes")).to_contain_text("resolved")
    assert alerts.get("live", alert.id).state.value == "resolved"
    # still listed where it was opened, marked resolved; the New view proper no longer has it
    expect(page.locator(f"#alert-feed [data-alert='{alert.id}'][data-alert-state=resolved]")).to_be_visible()
    page.get_by_role("link", name="New", exact=True).click()
    expect(page.locator("#alert-feed [data-alert]")).to_have_count(0)
    page.get_by_role("link", name="Resolved", exact=True).click()
    expect(page.locator(f"#alert-feed [data-alert='{alert.id}']")).to_be_visible()
    page.get_by_role("link", name="All", exact=True).click()
    expect(page.locator(f"#alert-feed [data-alert='{alert.id}']")).to_be_visible()


def test_condition_validation_endpoint_and_viewer(viewer_page, server: LiveServer, seeded) -> None:
    services, _, ids = seeded
    page = viewer_page
    page.goto("/notifications")
    expect(page.get_by_role("table", name="Notifications")).to_be_visible()
    assert page.get_by_role("link", name="+ New notification").count() == 0
    assert page.get_by_role("button", name="Send test of Growth usage").count() == 0
    assert page.get_by_role("link", name="Edit Growth usage").count() == 0
    expect(page.get_by_role("link", name="Deliveries of Growth usage")).to_be_visible()  # reading is everyone's
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    checked = page.request.post("/notifications/condition/validate", data={"condition": "event.meter.value >"},
                                headers={"X-CSRF-Token": token})
    answer = checked.json()
    assert checked.status == 200 and answer["valid"] is False and answer["diagnostics"][0]["line"] == 1
    bad = page.request.post("/notifications/condition/validate", data="nope", headers={"X-CSRF-Token": token})
    assert bad.status == 422
    # writes are refused to a viewer, and any unsafe request without the token
    refused = page.request.post(f"/notifications/{ids['usage']}/test", form={"csrf_token": token}, max_redirects=0)
    assert refused.status in (303, 403)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    bare = httpx.post(f"{server.url}/notifications/{ids['usage']}/delete", cookies=cookies)
    assert bare.status_code == 403 and "expired" in bare.text
    assert services.notifications(_owner(services)).get(ids["usage"]).notification.enabled


def _wait_for_new_alert(services: Services, notification_id: str) -> str:
    deadline = time.monotonic() + 30  # the worker polls; the machine is loaded
    while time.monotonic() < deadline:
        found = [a for a in services.alerts(_owner(services)).list("live", state="new").data
                 if a.notification_id == notification_id]
        if found:
            return found[0].id
        time.sleep(0.1)
    raise AssertionError("no alert arrived")


def test_a_viewer_opening_an_alert_leaves_it_new(viewer_page, seeded) -> None:
    services, _, ids = seeded
    services.notifications(_owner(services)).test(ids["usage"], environment="live")
    alert_id = _wait_for_new_alert(services, ids["usage"])
    page = viewer_page
    page.goto(f"/notifications/alerts?alert={alert_id}")
    detail = page.locator("#alert-detail")
    expect(detail.locator(".card__header .badge")).to_have_text("New")
    assert detail.get_by_role("button", name="Resolve").count() == 0
    assert services.alerts(_owner(services)).get("live", alert_id).state.value == "new"


def test_delete_a_notification_through_its_confirmation(owner_page, axe_script, seeded) -> None:
    services, _, _ = seeded
    made = services.notifications(_owner(services)).create(
        {"name": "Short lived", "events": ["meter-reset"], "channels": [{"type": "in_app"}]}).notification
    page = owner_page
    page.goto("/notifications")
    page.get_by_role("link", name="Delete Short lived").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/notifications/{made.id}/delete")
    _axe(page, axe_script)
    page.get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications")
    expect(page.locator(".flashes")).to_contain_text("“Short lived” deleted")
    expect(page.get_by_role("table", name="Notifications").locator("tr", has_text="Short lived")).to_have_count(0)
    assert all(v.notification.id != made.id for v in services.notifications(_owner(services)).list().data)


def test_the_feed_pages_older_alerts(owner_page, seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    from segmentr.web.pages import alerts as alert_pages

    services, _, ids = seeded
    for _ in range(3):
        services.notifications(_owner(services)).test(ids["usage"], environment="live")
    deadline = time.monotonic() + 30
    while len(services.alerts(_owner(services)).list("live", state="all").data) < 5:
        assert time.monotonic() < deadline, "the worker did not deliver"
        time.sleep(0.1)
    monkeypatch.setattr(alert_pages, "FEED_SIZE", 2)  # the server runs in this process
    page = owner_page
    page.goto("/notifications/alerts?state=all")
    first = page.locator("#alert-feed [data-alert]").evaluate_all("items => items.map(i => i.dataset.alert)")
    assert len(first) == 2
    page.get_by_role("link", name="Older alerts").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/notifications/alerts?state=all&after=*")
    second = page.locator("#alert-feed [data-alert]").evaluate_all("items => items.map(i => i.dataset.alert)")
    newest = [a.id for a in services.alerts(_owner(services)).list("live", state="all", limit=4).data]
    assert first + second == newest  # newest first, no gap, no repeat
    page.get_by_role("link", name="Newest").click()
    page.wait_for_url("**/notifications/alerts?state=all")
    assert page.locator("#alert-feed [data-alert]").first.get_attribute("data-alert") == first[0]
