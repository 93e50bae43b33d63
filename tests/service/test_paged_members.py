"""Members (keyset pages) and count of saved segments: complete, stable, equal to the evaluator, current."""

from __future__ import annotations

import pytest
from service_helpers import SQL_CONDITION, STREAM_CONDITION, all_pages, expected_members

from segmentr.service import InvalidRequest, SegmentInput, SegmentService
from segmentr.store import Store


@pytest.mark.parametrize(("condition", "method"), [(SQL_CONDITION, "sql"), (STREAM_CONDITION, "stream")])
def test_pages_are_complete_ordered_and_agree_with_the_evaluator(
    store: Store, editor: SegmentService, condition: str, method: str
) -> None:
    saved = editor.create(SegmentInput(name="s", condition=condition))
    expected = expected_members(store, condition, "live")
    assert 0 < len(expected) < store.count_customers("live")

    pages = all_pages(editor, saved.id, "live", page_size=7)
    assert all(len(page) == 7 for page in pages[:-1]) and 0 < len(pages[-1]) <= 7
    listed = [customer_id for page in pages for customer_id in page]
    assert listed == expected  # every member once, in id order

    first = editor.members(saved.id, "live", page_size=7)
    assert first.method == method
    counted = editor.count(saved.id, "live")
    assert (counted.n, counted.method, counted.errors) == (len(expected), method, 0)


@pytest.mark.parametrize("condition", [SQL_CONDITION, STREAM_CONDITION])
def test_paging_is_stable_while_customers_arrive(store: Store, editor: SegmentService, condition: str) -> None:
    saved = editor.create(SegmentInput(name="s", condition=condition))
    first = editor.members(saved.id, "live", page_size=10)
    assert first.next_cursor is not None
    # One new member sorts before the cursor (already passed), one after it (still to come).
    template = store.get_customer("live", first.ids[0])
    for new_id in (first.ids[0] + "a", "zz_new"):
        store.create_customer("live", {**template, "id": new_id})

    rest: list[str] = []
    cursor = first.next_cursor
    while cursor is not None:
        page = editor.members(saved.id, "live", cursor=cursor, page_size=10)
        rest.extend(page.ids)
        cursor = page.next_cursor
    listed = first.ids + rest
    assert len(listed) == len(set(listed)) and listed == sorted(listed)  # nothing repeated, order kept
    assert "zz_new" in rest and first.ids[0] + "a" not in rest
    assert set(expected_members(store, condition, "live")) - set(listed) == {first.ids[0] + "a"}


def test_membership_follows_current_state(store: Store, editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    starter = next(c for c in store.list_customers("live", limit=200) if c["plan"] == "starter")
    before = editor.count(saved.id, "live").n
    store.update_customer("live", starter["id"], plan="growth")
    assert editor.count(saved.id, "live").n == before + 1
    assert starter["id"] in editor.members(saved.id, "live", page_size=1000).ids
    assert editor.evaluate(saved.id, starter["id"], "live").matched


def test_environments_are_separate(store: Store, editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="all", condition="true"))
    assert editor.count(saved.id, "live").n == store.count_customers("live")
    assert editor.count(saved.id, "test").n == store.count_customers("test")
    assert store.count_customers("live") != store.count_customers("test")


def test_bad_requests_are_refused(editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="all", condition="true"))
    for page_size in (0, 1001):
        with pytest.raises(InvalidRequest, match="page_size"):
            editor.members(saved.id, "live", page_size=page_size)
    with pytest.raises(InvalidRequest, match="environment"):
        editor.count(saved.id, "staging")
