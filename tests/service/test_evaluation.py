"""Evaluating a saved segment for one customer: the match, the explanation, and failures counted on the segment."""

from __future__ import annotations

import pytest
from service_helpers import FAILING_CONDITION, STREAM_CONDITION, expected_members

from segmentr.service import SegmentInput, SegmentService
from segmentr.store import NotFound, Store


def test_evaluate_agrees_with_members(store: Store, editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="busy", condition=STREAM_CONDITION))
    members = set(expected_members(store, STREAM_CONDITION, "live"))
    for customer in store.list_customers("live", limit=40):
        result = editor.evaluate(saved.name, customer["id"], "live")
        assert result.matched == (customer["id"] in members)
        assert result.error is None and result.trace is None and result.steps == []
        assert (result.segment_id, result.segment_version, result.environment) == (saved.id, 1, "live")


def test_explain_gives_the_trace(store: Store, editor: SegmentService) -> None:
    condition = 'customer.plan == "growth" || customer.type == "org"'
    saved = editor.create(SegmentInput(name="growth or org", condition=condition))
    customer = next(c for c in store.list_customers("live", limit=200) if c["plan"] != "growth")
    result = editor.evaluate(saved.id, customer["id"], "live", explain=True)
    assert result.trace is not None
    sources = [step.source for step in result.steps]
    assert sources[0] == 'customer.plan == "growth"' and sources[1] == 'customer.type == "org"'
    assert result.steps[0].value == "false"
    assert result.matched == (customer["type"] == "org")
    assert "truthy" in result.reason or "falsy" in result.reason


def test_failures_do_not_match_and_are_counted(store: Store, editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="broken", condition=FAILING_CONDITION))
    ids = [c["id"] for c in store.list_customers("live", limit=3)]
    for customer_id in ids:
        result = editor.evaluate(saved.id, customer_id, "live", explain=True)
        assert not result.matched and result.error
        assert result.reason.startswith("the condition failed")
    after = editor.get(saved.id)
    assert after.error_count == len(ids)
    assert after.last_error and "nope" in after.last_error


def test_unknown_customer_or_segment(store: Store, editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="all", condition="true"))
    with pytest.raises(NotFound, match="no customer"):
        editor.evaluate(saved.id, "cus_nobody", "live")
    with pytest.raises(NotFound):
        editor.evaluate("no such segment", store.list_customers("live", limit=1)[0]["id"], "live")
    assert editor.get(saved.id).error_count == 0


def test_failures_met_while_listing_or_counting_are_counted_on_the_segment(
    store: Store, editor: SegmentService
) -> None:
    saved = editor.create(SegmentInput(name="broken everywhere", condition=FAILING_CONDITION))
    population = len(store.list_customers("live", limit=100_000))
    counted = editor.count(saved.id, "live")
    assert (counted.n, counted.errors) == (0, population)
    assert editor.get(saved.id).error_count == population
    page = editor.members(saved.id, "live", page_size=5)
    assert page.ids == [] and page.errors == population
    after = editor.get(saved.id)
    assert after.error_count == 2 * population
    assert after.last_error and "nope" in after.last_error
