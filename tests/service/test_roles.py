"""Roles (product.md §2): every member reads; only owner, admin and editor change segments; each member
chooses their own active segment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from service_helpers import SQL_CONDITION

from segmentr.service import InvalidRequest, PermissionDenied, SegmentChanges, SegmentInput, SegmentService
from segmentr.store import Store, Workspace

WRITERS = ("owner", "admin", "editor")


@pytest.mark.parametrize("role", WRITERS)
def test_owner_admin_and_editor_change_segments(service_as: Callable[[str], SegmentService], role: str) -> None:
    service = service_as(role)
    created = service.create(SegmentInput(name=f"by {role}", condition=SQL_CONDITION))
    assert created.created_by == service.actor.email
    edited = service.edit(created.id, SegmentChanges(description="changed"))
    assert edited.version == 2 and edited.updated_by == service.actor.email
    assert service.restore(created.id, 1).version == 3
    service.delete(created.id)
    assert service.segments() == []


def test_viewer_cannot_change_segments_and_nothing_changes(
    editor: SegmentService, viewer: SegmentService
) -> None:
    saved = editor.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    attempts: list[Callable[[], object]] = [
        lambda: viewer.create(SegmentInput(name="mine", condition="true")),
        lambda: viewer.edit(saved.id, SegmentChanges(name="renamed")),
        lambda: viewer.restore(saved.id, 1),
        lambda: viewer.delete(saved.id),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as denied:
            attempt()
        assert denied.value.role == "viewer"
        assert "viewer@example.com is viewer" in str(denied.value) and "editor" in str(denied.value)
    assert [(s.name, s.version) for s in editor.segments()] == [("growth", 1)]


def test_viewer_reads_evaluates_and_previews(store: Store, editor: SegmentService, viewer: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="growth or enterprise", condition=SQL_CONDITION))
    customer_id = store.list_customers("live", limit=1)[0]["id"]
    assert viewer.get(saved.name) == saved
    assert [s.id for s in viewer.segments()] == [saved.id]
    assert [v.version for v in viewer.history(saved.id)] == [1]
    assert viewer.evaluate(saved.id, customer_id, "live").customer_id == customer_id
    count = viewer.count(saved.id, "live")
    assert count.n == len(viewer.members(saved.id, "live", page_size=1000).ids)
    assert viewer.preview(SQL_CONDITION, "live", sample=3).count.n == count.n
    assert viewer.change_preview(saved.id, SQL_CONDITION, "live").entered == []
    assert viewer.validate(SegmentInput(name="x", condition="true")).valid
    assert viewer.usage(saved.id).active_for_member_ids == []


def test_viewer_chooses_their_own_active_segment(editor: SegmentService, viewer: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    assert viewer.set_active_segment(saved.name).id == saved.id
    assert viewer.active_segment() == saved
    assert editor.active_segment() is None  # per member: the viewer's choice is not the editor's


def test_a_member_acts_only_in_their_own_workspace(store: Store, workspace: Workspace) -> None:
    other = store.create_workspace("Other", owner_email="boss@other.example")
    outsider = store.member(other.id, email="boss@other.example")
    with pytest.raises(InvalidRequest):
        SegmentService(store, workspace.id, outsider)
