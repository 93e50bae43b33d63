"""The condition editor in a real browser, used by keyboard: Stof highlighting, live validation (errors
underlined with their message, "✓ valid" once fixed, stale answers dropped), completion from the vocabulary."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import expect

HIGHLIGHTED = 'const ts: ms = Time.now() - 7days; // a week\n(?policy.value(customer.id, "seats") ?? 0) > 2 && data.tier != null'


def _editor(page):
    return page.get_by_role("textbox", name="Condition")


def _status(page):
    return page.locator("[data-stof-status]")


def test_stof_is_highlighted_by_token_kind(page) -> None:
    page.goto(f"/editor?condition={quote(HIGHLIGHTED)}")
    content = page.locator(".cm-content")
    expectations = {
        "tok-keyword": "const",
        "tok-type": "ms",
        "tok-library": "Time",
        "tok-function": "now",
        "tok-number": "7",
        "tok-unit": "days",
        "tok-comment": "// a week",
        "tok-nullcheck": "??",
        "tok-host": "policy",
        "tok-property": "id",
        "tok-string": '"seats"',
        "tok-atom": "null",
        "tok-operator": "&&",
    }
    for css_class, text in expectations.items():
        expect(content.locator(f".{css_class}", has_text=text).first).to_be_visible()
    color = "el => getComputedStyle(el).color"
    keyword = content.locator(".tok-keyword").first.evaluate(color)
    string = content.locator(".tok-string").first.evaluate(color)
    unit = content.locator(".tok-unit").first.evaluate(color)
    plain = content.locator(".tok-variable").first.evaluate(color)
    assert len({keyword, string, unit, plain}) == 4
    expect(_status(page)).to_have_text("✓ valid")


def test_a_typed_error_is_underlined_with_its_message_and_fixing_it_shows_valid(page, screenshots) -> None:
    page.goto("/editor")
    editor = _editor(page)
    editor.focus()
    expect(_status(page)).to_have_text("")  # nothing written yet: no verdict
    page.keyboard.type("customer.plan == ")
    underline = page.locator(".cm-lintRange-error")
    expect(underline).to_have_count(1)
    expect(_status(page)).to_have_text("1 error")
    message = "expected an expression after '==', found the end of the condition"
    expect(page.locator("[data-stof-summary]")).to_have_text(f"Line 1, column 17: {message}")
    page.locator(".cm-lintRange-error").hover()  # the pointer's way: the message in a tooltip
    expect(page.locator(".cm-tooltip-lint")).to_contain_text(message)
    page.locator(".stof-editor").screenshot(path=str(screenshots / "editor-error-light.png"))
    editor.focus()
    page.keyboard.press("Control+Shift+KeyM")  # the keyboard's way: the list of diagnostics
    expect(page.locator(".cm-panel-lint")).to_contain_text(message)
    page.keyboard.press("Escape")
    editor.focus()
    page.keyboard.press("End")
    page.keyboard.type('"growth"')
    expect(page.get_by_role("status").filter(has_text="✓ valid")).to_have_text("✓ valid")
    expect(underline).to_have_count(0)
    assert page.locator("textarea[name=condition]").input_value() == 'customer.plan == "growth"'


def test_a_second_line_error_is_placed_at_its_line_and_column(page) -> None:
    page.goto("/editor")
    _editor(page).focus()
    page.keyboard.type('customer.type == "org" &&')
    page.keyboard.press("Enter")
    page.keyboard.type("customer.plan == == 1")
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)
    summary = page.locator("[data-stof-summary]")
    expect(summary).to_contain_text("Line 2, column 18")
    box = page.locator(".cm-lintRange-error").bounding_box()
    second_line = page.locator(".cm-line").nth(1).bounding_box()
    assert box is not None and second_line is not None
    assert second_line["y"] <= box["y"] <= second_line["y"] + second_line["height"]


def test_an_answer_to_older_text_is_dropped(page) -> None:
    page.goto("/editor")
    _editor(page).focus()
    page.keyboard.type("true /*slow*/")  # answered after 0.8 s
    page.wait_for_timeout(400)  # its request is in flight
    page.keyboard.type(" &&")  # invalid, answered at once
    expect(_status(page)).to_have_text("1 error")
    page.wait_for_timeout(900)  # the slow "valid" answer would have arrived by now
    expect(_status(page)).to_have_text("1 error")
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)


def test_completion_offers_customer_fields_methods_and_entitlements(page, screenshots) -> None:
    page.goto("/editor")
    _editor(page).focus()
    page.keyboard.type("customer.")
    options = page.locator(".cm-tooltip-autocomplete li")
    expect(options.filter(has_text="plan")).to_have_count(1)
    expect(options.filter(has_text="cloud_created")).to_have_count(1)
    page.locator(".stof-editor").screenshot(path=str(screenshots / "editor-completion-light.png"))
    page.keyboard.type("pl")
    expect(options).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator(".cm-content")).to_have_text("customer.plan")
    page.keyboard.type(' == "')
    expect(options.filter(has_text="growth")).to_have_count(1)
    page.keyboard.press("Escape")

    page.keyboard.press("Control+a")
    page.keyboard.type("?policy.")
    expect(options.filter(has_text="value")).to_have_count(1)
    expect(options.filter(has_text="customer_local_margin_breakdown")).to_have_count(1)
    page.keyboard.press("Escape")
    page.keyboard.type('value(customer.id, "')
    expect(options.filter(has_text="seats")).to_have_count(1)


def test_tab_leaves_the_editor(page) -> None:
    page.goto("/editor")
    _editor(page).focus()
    page.keyboard.type("true")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('cm-content')") is False
