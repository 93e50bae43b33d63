"""The settings pages (Policy, Members, API keys) and the pages' error seam against the real application on a
real uvicorn, driven by Debian's Chromium: axe-clean in both schemes, every control named, keyboard journeys,
role gating (a viewer sees no write control and a write is refused), CSRF, errors as pages, never JSON or a 500.
A seeded SQLite file: the sample policy in two versions, a few customers, an owner, an admin and a viewer."""

from __future__ import annotations

import copy
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
from segmentr.web import templates

PASSWORD = "correct horse battery staple"
NOW_MS = 1_760_000_000_000
VIEWER = "vera.viewer@example.com"
ADMIN = "adam.admin@example.com"
# axe's rules that every control, link and field has an accessible name (any impact fails)
NAME_RULES = ["button-name", "link-name", "label", "select-name", "input-button-name", "aria-command-name",
              "aria-input-field-name", "summary-name", "frame-title"]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    path = Path(tmp_path_factory.mktemp("admin-pages")) / "segmentr.db"
    with Store(f"sqlite:///{path}") as store:
        store.init()
        store.put_policy("live", sample_policy())
        changed = copy.deepcopy(sample_policy())
        changed["policy"]["plans"]["growth"]["entitlements"]["seats"]["limit"]["value"] = 25
        store.put_policy("live", changed)
        store.put_policy("test", sample_policy())
        store.import_customer_dicts("live", generate_customers(30, seed=3, now_ms=NOW_MS))
        services = Services(store, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        owner: Actor = services.local_owner()
        assert owner.member_id is not None
        members = services.members(owner)
        members.set_password(owner.member_id, PASSWORD)
        members.create(VIEWER, role="viewer", password=PASSWORD, name="Vera Viewer")
        members.create(ADMIN, role="admin", password=PASSWORD, name="Adam Admin")
        services.segments(owner).create(SegmentInput(name="Growth plan", condition='customer.plan == "growth"'))
        yield services, members.get(owner.member_id).email


@pytest.fixture(scope="module")
def server(seeded: tuple[Services, str], bundle: object) -> Iterator[LiveServer]:
    services, _ = seeded
    with LiveServer(create_app(ApiSettings(), services=services)) as live:
        yield live


def _sign_in(browser, server: LiveServer, email: str):
    # axe is injected as a script: bypass_csp lets it past the pages' Content-Security-Policy
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},
                                  color_scheme="light", bypass_csp=True)  # fmt: skip
    context.set_default_timeout(15_000)  # a shared, loaded machine
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("textbox", name="Password").press("Enter")
    page.wait_for_url("**/segments")
    return context, page


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


def _axe(page, axe_script: Path) -> None:
    """No serious or critical violation in either colour scheme, and no unnamed control at all."""
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
    unnamed = page.evaluate(
        "async (rules) => (await axe.run(document, {runOnly: {type: 'rule', values: rules}}))"
        ".violations.map(v => [v.id, v.nodes.map(n => n.target)])",
        NAME_RULES,
    )
    assert not unnamed, unnamed
    # every control the keyboard reaches is named (its text, label or aria-label)
    nameless = page.evaluate("""() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
        .filter(el => el.type !== 'hidden' && !el.hidden && el.offsetParent !== null)
        .filter(el => {
          const labelled = el.getAttribute('aria-labelledby');
          const name = el.getAttribute('aria-label') || (labelled && document.getElementById(labelled)?.textContent)
            || (el.labels && [...el.labels].map(l => l.textContent).join(' ')) || el.textContent || el.title;
          return !(name || '').trim();
        }).map(el => el.outerHTML.slice(0, 80))""")
    assert not nameless, nameless


def _shots(page, screenshots: Path, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(300)
        page.screenshot(path=str(screenshots / f"dashboard-{name}-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")


def _csrf(page) -> str:
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert token
    return token


def _flash(page) -> str:
    return page.locator(".flashes").inner_text()


# ---------------------------------------------------------------------------------------------- Policy


def test_policy_page_reads_the_live_policy_and_is_accessible(owner_page, axe_script, screenshots, seeded) -> None:
    page = owner_page
    page.get_by_role("link", name="Policy").click()
    page.wait_for_url("**/policy")
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible()
    plans = page.get_by_role("table", name="Each plan's entitlements and limits")
    expect(plans.get_by_role("columnheader", name="Growth")).to_be_visible()
    assert "default" in plans.locator("th[data-plan=free]").inner_text().lower()
    seats = plans.locator("tr[data-entitlement=seats] td[data-plan=growth]").inner_text()
    assert "hard" in seats and "25" in seats
    tokens = plans.locator("tr[data-entitlement=ai_tokens] td[data-plan=enterprise]").inner_text()
    assert "observe" in tokens
    topups = page.get_by_role("table", name="Topups each plan offers")
    assert topups.locator("tr[data-topup=tokens_1m]", has_text="Growth").is_visible()
    assert "$15" in topups.inner_text()
    credits = page.get_by_role("table", name="Credits and their prices")
    assert "$0.0005 per request" in credits.inner_text()
    assert "$0.1 up to 100" in credits.inner_text()  # tiered storage
    versions = page.get_by_role("table", name="Policy versions, newest first")
    assert versions.locator("tr[data-version='2']").get_by_text("Live").is_visible()
    _axe(page, axe_script)
    _shots(page, screenshots, "policy")


def test_policy_diff_and_restore_by_keyboard(owner_page, axe_script, screenshots, seeded) -> None:
    services, _ = seeded
    policies = services.policies(services.local_owner())
    page = owner_page
    page.goto("/policy")
    page.get_by_role("combobox", name="From version").select_option("1")
    page.get_by_role("combobox", name="To version").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Compare"
    page.keyboard.press("Enter")
    page.wait_for_url("**/policy/diff?base=1&to=2")
    change = page.locator("tr[data-change=changed]", has_text="plans.growth.entitlements.seats.limit.value")
    assert "20" in change.locator(".policy-diff__before").inner_text()
    assert "25" in change.locator(".policy-diff__after").inner_text()
    assert page.locator("tr[data-change]").count() == 1
    _axe(page, axe_script)
    _shots(page, screenshots, "policy-diff")

    # restore version 1 through its confirmation, without a mouse
    page.goto("/policy")
    page.locator("tr[data-version='1']").get_by_role("link", name="Restore").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/policy/versions/1/restore")
    assert "25" in page.locator("tr[data-change]").inner_text()  # what the restore changes back
    _axe(page, axe_script)
    page.get_by_role("button", name="Restore version 1").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/policy")
    assert "Version 1 restored as version 3" in _flash(page)
    current = policies.current("live")
    assert current.version == 3
    assert current.document["plans"]["growth"]["entitlements"]["seats"]["limit"]["value"] == 20
    expect(page.get_by_role("heading", name="Version 3")).to_be_visible()


def test_policy_of_the_test_environment_and_unknown_versions_are_pages(owner_page, server) -> None:
    page = owner_page
    page.goto("/policy")
    page.get_by_role("group", name="Environment").get_by_role("button", name="Test").click()
    page.wait_for_url("**/policy")
    expect(page.get_by_role("heading", name="Version 1")).to_be_visible()
    assert page.get_by_role("table", name="Policy versions, newest first").locator("tbody tr").count() == 1
    for path, status in (("/policy/versions/99", 404), ("/policy/versions/nine", 404),
                         ("/policy/diff?base=1&to=42", 404)):  # fmt: skip
        answer = page.request.get(path)
        assert answer.status == status, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "<nav" in answer.text()  # the signed-in layout, not the API's JSON
    page.goto("/policy/versions/99")
    assert "no policy version 99" in page.get_by_role("alert").inner_text().lower()


# ---------------------------------------------------------------------------------------------- Members


def test_members_invite_shows_the_link_once_and_it_works(owner_page, browser, server, axe_script, screenshots,
                                                         seeded) -> None:  # fmt: skip
    page = owner_page
    page.get_by_role("link", name="Members").click()
    page.wait_for_url("**/members")
    assert page.locator("tr[data-member]").count() >= 3
    _axe(page, axe_script)
    page.get_by_role("textbox", name="Email").fill("nina.new@example.com")
    page.get_by_role("combobox", name="Role", exact=True).select_option("editor")
    page.get_by_role("textbox", name="Email").press("Enter")
    link = page.get_by_role("textbox", name="Invitation link")
    expect(link).to_be_visible()
    url = link.input_value()
    assert page.get_by_role("button", name="Copy").is_visible()
    assert re.fullmatch(rf"{re.escape(server.url)}/invitations/[A-Za-z0-9_-]{{30,}}", url), url
    assert page.locator("tr[data-invitation='nina.new@example.com']").is_visible()
    _axe(page, axe_script)
    page.goto("/members")
    assert page.get_by_role("textbox", name="Invitation link").count() == 0  # shown once
    assert url.rsplit("/", 1)[1] not in page.content()
    assert page.locator("tr[data-invitation='nina.new@example.com']").is_visible()

    # the link works once: accept it in another browser
    other = browser.new_context(base_url=server.url)
    joining = other.new_page()
    joining.goto(url)
    joining.get_by_role("textbox", name="Name").fill("Nina New")
    joining.get_by_role("textbox", name="Password").fill(PASSWORD)
    joining.get_by_role("textbox", name="Password").press("Enter")
    joining.wait_for_url("**/segments")
    joining.goto(url)
    joining.get_by_role("textbox", name="Password").fill(PASSWORD)
    joining.get_by_role("textbox", name="Password").press("Enter")
    assert "no longer valid" in joining.get_by_role("alert").inner_text()
    other.close()
    services, _ = seeded
    joined = [m for m in services.members(services.local_owner()).list() if m.email == "nina.new@example.com"]
    assert [m.role for m in joined] == ["editor"]

    # an address that is already a member is refused in the form, with the message
    page.get_by_role("textbox", name="Email").fill(VIEWER)
    page.get_by_role("button", name="Invite").click()
    assert "already a member" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("textbox", name="Email").input_value() == VIEWER


def test_owner_rules_change_role_and_remove(owner_page, axe_script, screenshots, seeded) -> None:
    services, owner_email = seeded
    owner = services.local_owner()
    members = services.members(owner)
    temp = members.create("tom.temp@example.com", role="viewer", password=PASSWORD)
    page = owner_page
    page.goto("/members")
    # the last owner cannot demote themself: the service's reason, shown on the page
    mine = page.locator(f"tr[data-member='{owner_email}']")
    assert "last owner" in mine.inner_text().lower()
    mine.get_by_role("combobox", name=f"Role of {owner_email}").select_option("admin")
    mine.get_by_role("button", name=f"Change role of {owner_email}").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/members")
    assert f"{owner_email} is the last owner" in page.get_by_role("alert").inner_text()
    assert members.get(owner.member_id).role == "owner"
    # nor be removed: the confirmation says so and offers no Remove button; a forced post is refused
    page.goto(f"/members/{owner.member_id}/remove")
    assert "last owner" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name="Remove").count() == 0
    answer = page.request.post(f"/members/{owner.member_id}/remove", form={"csrf_token": _csrf(page)})
    assert answer.ok and "/members" in answer.url
    assert members.get(owner.member_id).role == "owner"

    # promote another member to editor, then remove them through the confirmation
    page.goto("/members")
    row = page.locator("tr[data-member='tom.temp@example.com']")
    row.get_by_role("combobox", name="Role of tom.temp@example.com").select_option("editor")
    row.get_by_role("button", name="Change role of tom.temp@example.com").click()
    page.wait_for_url("**/members")
    assert "tom.temp@example.com is now editor" in _flash(page)
    assert members.get(temp.public_id).role == "editor"
    page.locator("tr[data-member='tom.temp@example.com']").get_by_role(
        "link", name="Remove tom.temp@example.com").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/members/{temp.public_id}/remove")
    _axe(page, axe_script)
    page.get_by_role("button", name="Remove").press("Enter")
    page.wait_for_url("**/members")
    assert "tom.temp@example.com was removed" in _flash(page)
    assert page.locator("tr[data-member='tom.temp@example.com']").count() == 0
    _shots(page, screenshots, "members")


def test_an_admin_cannot_grant_ownership(browser, server, seeded) -> None:
    context, page = _sign_in(browser, server, ADMIN)
    page.goto("/members")
    assert "owner" not in [o.get_attribute("value") for o in page.get_by_role("combobox", name="Role", exact=True).locator("option").all()]
    services, owner_email = seeded
    owner_row = page.locator(f"tr[data-member='{owner_email}']")
    assert owner_row.get_by_role("button").count() == 0  # only an owner changes an owner
    viewer = next(m for m in services.members(services.local_owner()).list() if m.email == VIEWER)
    page.request.post(f"/members/{viewer.public_id}/role", form={"csrf_token": _csrf(page), "role": "owner"},
                      headers={"Referer": f"{server.url}/members"})  # fmt: skip
    page.goto("/members")
    assert services.members(services.local_owner()).get(viewer.public_id).role == "viewer"
    context.close()


# ---------------------------------------------------------------------------------------------- API keys


def test_api_key_create_shows_the_secret_once_and_revoke_is_immediate(owner_page, server, axe_script,
                                                                      screenshots) -> None:  # fmt: skip
    page = owner_page
    page.get_by_role("link", name="API keys").click()
    page.wait_for_url("**/api-keys")
    _axe(page, axe_script)
    page.get_by_role("textbox", name="Name").fill("Billing worker")
    page.get_by_role("combobox", name="Environment").select_option("live")
    page.get_by_role("combobox", name="Role", exact=True).select_option("editor")
    page.get_by_role("textbox", name="Name").press("Enter")
    secret_box = page.get_by_role("textbox", name="Secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    assert re.fullmatch(r"sk_live_[A-Za-z0-9]+_[A-Za-z0-9]{40,}", secret), secret
    # the answer's focus is on the secret; Tab reaches Copy, which puts it on the clipboard
    assert page.evaluate("document.activeElement.id") == "created-secret"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#created-secret-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    row = page.locator("tr", has_text="Billing worker")
    assert "Live" in row.inner_text() and "Editor" in row.inner_text() and "Never" in row.inner_text()
    _axe(page, axe_script)
    page.goto("/api-keys")
    assert page.get_by_role("textbox", name="Secret").count() == 0
    assert secret not in page.content()  # the listing shows the prefix only

    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{server.url}/v1/live/customers", headers=bearer).status_code == 200
    page.reload()
    assert "Never" not in page.locator("tr", has_text="Billing worker").inner_text()  # last used is shown
    _shots(page, screenshots, "api-keys")

    page.locator("tr", has_text="Billing worker").get_by_role("link", name="Revoke Billing worker").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/revoke")
    _axe(page, axe_script)
    page.get_by_role("button", name="Revoke").press("Enter")
    page.wait_for_url("**/api-keys")
    assert "is revoked" in _flash(page)
    assert "Revoked" in page.locator("tr", has_text="Billing worker").inner_text()
    assert httpx.get(f"{server.url}/v1/live/customers", headers=bearer).status_code == 401


def test_an_invalid_key_name_is_refused_in_the_form(owner_page) -> None:
    page = owner_page
    page.goto("/api-keys")
    page.get_by_role("textbox", name="Name").fill("   ")
    page.get_by_role("button", name="Create key").click()
    assert "name" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("textbox", name="Secret").count() == 0


# ---------------------------------------------------------------------------------------------- roles, CSRF


def test_a_viewer_sees_no_write_controls_and_writes_are_refused(viewer_page, server, axe_script, seeded) -> None:
    services, _ = seeded
    owner = services.local_owner()
    page = viewer_page
    before_keys = len(services.keys(owner).list())
    before_policy = services.policies(owner).current("live").version
    page.goto("/policy")
    assert page.get_by_role("link", name="Restore").count() == 0
    _axe(page, axe_script)
    page.goto("/members")
    assert page.get_by_role("button", name="Invite").count() == 0
    assert page.get_by_role("button", name=re.compile("Change role")).count() == 0
    assert page.get_by_role("link", name=re.compile("^Remove")).count() == 0
    assert "can read the members" in page.locator("main").inner_text()
    _axe(page, axe_script)
    page.goto("/api-keys")
    assert page.get_by_role("button", name="Create key").count() == 0
    assert page.get_by_role("link", name=re.compile("^Revoke")).count() == 0
    _axe(page, axe_script)

    # a write with a good CSRF token is still refused by the service, and says why on the page
    token = _csrf(page)
    refused = page.request.post("/api-keys", form={"csrf_token": token, "name": "sneaky", "environment": "live",
                                                    "role": "admin"},
                                headers={"Referer": f"{server.url}/api-keys"})  # fmt: skip
    assert refused.ok and refused.url.endswith("/api-keys")
    assert "only owner / admin may create or revoke API keys" in refused.text()
    assert len(services.keys(owner).list()) == before_keys
    answer = page.request.post("/policy/versions/1/restore", form={"csrf_token": token})
    assert answer.status == 403 and answer.headers["content-type"].startswith("text/html")
    assert "only owner / admin may change the policy" in answer.text()
    assert services.policies(owner).current("live").version == before_policy
    page.goto("/policy/versions/1/restore")
    assert page.get_by_role("button", name=re.compile("^Restore")).count() == 0
    invite = page.request.post("/members/invite", form={"csrf_token": token, "email": "x@example.com", "role": "viewer"},
                               headers={"Referer": f"{server.url}/members"})  # fmt: skip
    assert "only owner / admin may invite" in invite.text()
    assert all(item.email != "x@example.com" for item in services.members(owner).invitations())


def test_csrf_failures_flash_instead_of_a_bare_403(owner_page, server, seeded) -> None:
    services, _ = seeded
    owner = services.local_owner()
    page = owner_page
    page.goto("/members")
    before = len(services.members(owner).invitations())
    answer = page.request.post("/members/invite", form={"csrf_token": "forged", "email": "eve@example.com",
                                                        "role": "admin"},
                               headers={"Referer": f"{server.url}/members"}, max_redirects=0)  # fmt: skip
    assert answer.status == 303 and answer.headers["location"] == "/members"
    page.goto("/members")
    assert "this form has expired" in page.get_by_role("alert").inner_text()
    assert len(services.members(owner).invitations()) == before
    # without a token nor a page to go back to: the error page, in HTML, 403
    bare = httpx.post(f"{server.url}/api-keys", data={"name": "x", "environment": "live", "role": "admin"},
                      cookies={c["name"]: c["value"] for c in page.context.cookies()})  # fmt: skip
    assert bare.status_code == 403 and bare.headers["content-type"].startswith("text/html")
    assert "this form has expired" in bare.text
    keys = services.keys(owner).list()
    assert all(key.name != "x" for key in keys)
    # a cross-site form (no token) cannot revoke a key either
    created = services.keys(owner).create("kept", environment="test", role="viewer")
    page.request.post(f"/api-keys/{created.key.id}/revoke", form={}, headers={"Referer": f"{server.url}/api-keys"})
    assert not next(k for k in services.keys(owner).list() if k.id == created.key.id).revoked


def test_errors_are_pages_in_the_design(owner_page, server) -> None:
    page = owner_page
    for path in ("/members/mem_nobody/remove", "/api-keys/key_nobody/revoke", "/segments/seg_nobody/edit",
                 "/segments/seg_nobody/delete"):  # fmt: skip
        answer = page.request.get(path)
        assert answer.status == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert 'role="alert"' in answer.text() and "<nav" in answer.text(), path
    # an unknown path a browser asks for is the 404 page; the API's unknown paths stay JSON
    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    html = {"Accept": "text/html,application/xhtml+xml"}
    assert httpx.get(f"{server.url}/no-such-page", headers=html).headers["content-type"].startswith("text/html")
    api = httpx.get(f"{server.url}/v1/no-such-thing", headers=html)
    assert api.status_code == 404 and api.json()["error"]["code"] == "unknown_path"
    assert httpx.get(f"{server.url}/no-such-page").json()["error"]["code"] == "unknown_path"
    page.goto("/api-keys/key_nobody/revoke")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert page.get_by_role("link", name="Go to Customer Segments").is_visible()
    # signed out, a settings page sends to sign-in (then back)
    answer = httpx.get(f"{server.url}/policy/versions/1", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


# ---------------------------------------------------------------------------------------------- references


def test_the_delete_confirmation_lists_typed_references(owner_page, seeded) -> None:
    services, owner_email = seeded
    owner = services.local_owner()
    services.segments(owner).create(SegmentInput(name="Referenced", condition='customer.plan == "free"'))
    services.segments(owner).set_active_segment("Referenced")
    page = owner_page
    page.goto("/segments")
    page.locator("tr", has_text="Referenced").get_by_role("link", name="Delete", exact=True).click()
    group = page.locator("[data-reference-type=member]")
    assert owner_email in group.inner_text() and "active segment" in group.inner_text()
    services.segments(owner).clear_active_segment()


def test_the_references_list_renders_any_typed_reference() -> None:
    """Notifications and pricing rules come from the service as {"type", "name"}: the template groups them."""
    from types import SimpleNamespace

    from segmentr.web.pages.segments import REFERENCE_LABELS

    page = templates.get_template("segment_delete.html").render(
        layout=SimpleNamespace(title="Delete", workspace="Acme", workspace_initial="A", environment="live",
                               section="segments", member=None, active_segment=None, flashes=(),
                               navigation=(), environment_url="/environment", sign_out_url=None, csrf_token="t"),
        current_path="/segments/seg_1/delete", labels=REFERENCE_LABELS,
        segment=SimpleNamespace(id="seg_1", name="Churn risk"),
        references=[
            {"type": "notification", "items": [{"type": "notification", "name": "Churn alert", "environment": "live"}]},
            {"type": "pricing_rule", "items": [{"type": "pricing_rule", "name": "Retention discount"},
                                               {"type": "pricing_rule", "name": "Win-back price"}]},
            {"type": "report", "items": [{"type": "report", "name": "Weekly churn"}]},
        ],
    )  # fmt: skip
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Notification (1) Churn alert (live)" in text
    assert "Pricing rules (2) Retention discount Win-back price" in text
    assert "segment deleted" in text
    assert "Report (1) Weekly churn" in text  # a type the page does not know still reads


# ---------------------------------------------------------------------------------------------- the view-models


def test_policy_view_and_diff_read_like_the_document() -> None:
    from segmentr.web.pages.policy_view import number, policy_diff, policy_view

    document = sample_policy()
    view = policy_view(document)
    assert [plan.name for plan in view.plans] == list(document["policy"]["plans"])
    free = dict(view.matrix())["ai_tokens"][0]
    assert free is not None and (free.limit, free.mode, free.resets) == ("10,000", "hard", "monthly, on day 1")
    assert number(2e-05) == "0.00002" and number(1_000_000) == "1,000,000" and number("1GB") == "1GB"
    changed = copy.deepcopy(document)
    plans = changed["policy"]["plans"]
    plans["free"]["entitlements"]["seats"]["limit"]["value"] = 2
    del plans["starter"]["topups"]
    plans["growth"]["hidden"] = True
    kinds = {(change.kind, change.path) for change in policy_diff(document, changed)}
    assert ("changed", "plans.free.entitlements.seats.limit.value") in kinds
    assert ("removed", "plans.starter.topups.tokens_1m.credit") in kinds
    assert ("added", "plans.growth.hidden") in kinds
    assert not any("enterprise" in path for _, path in kinds)
    flipped = copy.deepcopy(document)
    flipped["policy"]["plans"]["free"]["default"] = 1  # equal in Python, not in JSON: a bool became a number
    assert [(c.kind, c.before, c.after) for c in policy_diff(document, flipped)] == [("changed", "true", "1")]
    assert policy_diff(document, copy.deepcopy(document)) == []


# ---------------------------------------------------------------------------------------------- the seam itself


def test_the_page_seam_answers_htmx_with_a_fragment_and_a_bug_with_the_error_page() -> None:
    """A page router of its own on the real seam: an error of the tree for htmx is an alert fragment with its
    status; an exception outside the tree is the error page with 500, the internals unsaid; never JSON."""
    from fastapi import APIRouter, FastAPI

    from segmentr import errors
    from segmentr.web.page_errors import PageRoute

    router = APIRouter(route_class=PageRoute)

    @router.get("/conflict")
    def conflict() -> None:
        raise errors.Conflict("two owners at once <b>")

    @router.get("/bug")
    def bug() -> None:
        raise RuntimeError("secret internals")

    @router.post("/refused")
    def refused() -> None:
        raise errors.PermissionDenied("not for you")

    app = FastAPI()
    app.include_router(router)
    with LiveServer(app) as live, httpx.Client(base_url=live.url) as client:
        fragment = client.get("/conflict", headers={"HX-Request": "true"})
        assert fragment.status_code == 409 and fragment.headers["content-type"].startswith("text/html")
        assert 'role="alert"' in fragment.text and "two owners at once &lt;b&gt;" in fragment.text
        assert "<html" not in fragment.text
        page = client.get("/conflict")
        assert page.status_code == 409 and "<html" in page.text and "Sign in" in page.text  # no session: public
        crashed = client.get("/bug")
        assert crashed.status_code == 500 and crashed.headers["content-type"].startswith("text/html")
        assert "secret internals" not in crashed.text and "Something went wrong" in crashed.text
        back = client.post("/refused", headers={"Referer": f"{live.url}/somewhere?tab=2"})
        assert back.status_code == 303 and back.headers["location"] == "/somewhere?tab=2"
        assert "not for you" in back.headers["set-cookie"]
        elsewhere = client.post("/refused", headers={"Referer": "https://evil.example/"})
        assert elsewhere.status_code == 403 and "<html" in elsewhere.text  # never a redirect off-site


def test_the_segment_list_says_where_a_segment_is_used() -> None:
    from segmentr.service import SegmentUsage
    from segmentr.web.pages.segments import used_by

    usage = SegmentUsage("seg_1", [1, 2], ["mem_a", "mem_b"], [
        {"type": "notification", "name": "Churn alert"}, {"type": "notification", "name": "Overage"},
        {"type": "pricing_rule", "name": "Retention discount"}, {"type": "report", "name": "Weekly"},
    ])  # fmt: skip
    assert used_by(usage) == ["2 notifications", "1 pricing rule", "1 report", "2 members (active)"]
    assert used_by(SegmentUsage("seg_2")) == []


def test_a_form_posted_after_the_session_ended_signs_in_back_to_its_page(server) -> None:
    answer = httpx.post(f"{server.url}/members/invite", data={"email": "late@example.com", "role": "viewer"},
                        headers={"Referer": f"{server.url}/members?tab=1"})  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fmembers%3Ftab%3D1"
    elsewhere = httpx.post(f"{server.url}/api-keys", headers={"Referer": "https://evil.example/x"})
    assert elsewhere.headers["location"] == "/sign-in?next=%2F"


def test_every_page_route_is_a_page_route_even_one_built_without_it() -> None:
    """``pages()`` makes every route a PageRoute, so a page module that forgot ``route_class`` still answers
    errors as pages."""
    from fastapi import APIRouter, FastAPI
    from fastapi.routing import APIRoute

    from segmentr import errors
    from segmentr.web import pages
    from segmentr.web.page_errors import PageRoute, as_page_routes

    assert all(isinstance(route, PageRoute) for route in pages().routes if isinstance(route, APIRoute))
    plain = APIRouter()

    @plain.get("/forgot/{n}")
    def forgot(n: int) -> None:
        raise errors.NotFound(f"nothing numbered {n}")

    app = FastAPI()
    app.include_router(as_page_routes(plain))
    with LiveServer(app) as live:
        answer = httpx.get(f"{live.url}/forgot/7")
        assert answer.status_code == 404 and "nothing numbered 7" in answer.text and "<html" in answer.text
        assert httpx.get(f"{live.url}/forgot/seven").status_code == 404  # the path parameter still parses
