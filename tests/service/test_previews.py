"""Preview of an unsaved condition and change preview of an edit agree with members before and after saving."""

from __future__ import annotations

import pytest
from service_helpers import SQL_CONDITION, STREAM_CONDITION, all_pages, expected_members

from segmentr.service import SegmentChanges, SegmentInput, SegmentService
from segmentr.stof import StofSyntaxError
from segmentr.store import Store

ROWS = [{"type": "plan", "op": "in", "value": ["starter", "growth"]}, {"type": "customer_type", "op": "==", "value": "org"}]


def _members(service: SegmentService, segment: str) -> list[str]:
    return [customer_id for page in all_pages(service, segment, "live", page_size=50) for customer_id in page]


@pytest.mark.parametrize("condition", [SQL_CONDITION, STREAM_CONDITION])
def test_preview_is_what_saving_gives(store: Store, editor: SegmentService, condition: str) -> None:
    preview = editor.preview(condition, "live", sample=5)
    saved = editor.create(SegmentInput(name="saved", condition=condition))
    members = _members(editor, saved.id)
    assert preview.count.n == len(members) == editor.count(saved.id, "live").n
    assert preview.sample == members[:5]
    assert members == expected_members(store, condition, "live")


def test_preview_of_rows_equals_preview_of_their_source(editor: SegmentService) -> None:
    saved = editor.create(SegmentInput.model_validate({"name": "rows", "simple": ROWS}))
    from_rows = editor.preview(ROWS, "live", sample=3)
    assert from_rows == editor.preview(saved.condition, "live", sample=3)
    assert from_rows.count.n == editor.count(saved.id, "live").n


def test_preview_of_a_broken_condition_raises_with_positions(editor: SegmentService) -> None:
    with pytest.raises(StofSyntaxError) as broken:
        editor.preview("customer.plan ==", "live")
    assert broken.value.diagnostics and broken.value.diagnostics[0].line == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('customer.plan == "growth"', 'customer.plan == "growth" || customer.plan == "starter"'),
        (SQL_CONDITION, 'customer.type == "org"'),
        (SQL_CONDITION, STREAM_CONDITION),
        (STREAM_CONDITION, 'customer.plan == "free"'),
    ],
)
def test_change_preview_is_the_difference_of_members_before_and_after(
    editor: SegmentService, old: str, new: str
) -> None:
    saved = editor.create(SegmentInput(name="edited", condition=old))
    before = _members(editor, saved.id)
    change = editor.change_preview(saved.id, new, "live")
    editor.edit(saved.id, SegmentChanges(condition=new))
    after = _members(editor, saved.id)
    assert change.entered == sorted(set(after) - set(before))
    assert change.left == sorted(set(before) - set(after))
    assert change.entered or change.left
