"""Segments in the store: validation on save, unique names, versions, restore, errors, active segment."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from store_fixtures import ManualClock

from segmentr.store import AlreadyExists, InvalidData, NotFound, SegmentInvalid, Store, Workspace

GROWTH = 'customer.plan == "growth"'


def test_create_get_list(store: Store, workspace: Workspace, clock: ManualClock) -> None:
    segment = store.create_segment(workspace.id, name="Growth", condition=GROWTH, by="owner@localhost")
    assert segment.id.startswith("seg_") and segment.version == 1 and segment.mode == "advanced"
    assert segment.created_at == segment.updated_at == clock.now
    assert segment.created_by == "owner@localhost"
    assert store.get_segment(workspace.id, segment.id) == segment
    assert store.get_segment(workspace.id, "Growth") == segment  # by name too
    store.create_segment(workspace.id, name="Alpha", condition="true", description="everyone")
    assert [s.name for s in store.list_segments(workspace.id)] == ["Alpha", "Growth"]


def test_simple_mode_segment_keeps_its_rows(store: Store, workspace: Workspace) -> None:
    rows = [{"type": "plan", "op": "==", "value": "growth"}]
    segment = store.create_segment(workspace.id, name="G", condition=GROWTH, mode="simple", simple=rows)
    assert segment.mode == "simple" and segment.simple == rows


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "", "condition": "true"},
        {"name": "x" * 121, "condition": "true"},
        {"name": "Broken", "condition": "customer.plan == "},
        {"name": "Huge", "condition": "true || " * 9000 + "true"},
        {"name": "Mismatch", "condition": GROWTH, "mode": "simple", "simple": []},
    ],
    ids=["blank-name", "long-name", "syntax", "over-64KiB", "rows-mismatch"],
)
def test_invalid_segments_are_refused(store: Store, workspace: Workspace, fields: dict) -> None:
    with pytest.raises(SegmentInvalid):
        store.create_segment(workspace.id, **fields)
    assert store.list_segments(workspace.id) == []


def test_names_are_unique_per_workspace(store: Store, workspace: Workspace) -> None:
    store.create_segment(workspace.id, name="Growth", condition=GROWTH)
    with pytest.raises(AlreadyExists):
        store.create_segment(workspace.id, name="Growth", condition="true")
    other = store.create_workspace("Other")
    store.create_segment(other.id, name="Growth", condition=GROWTH)  # another workspace: fine


def test_the_database_enforces_unique_names_too(store: Store, workspace: Workspace) -> None:
    store.create_segment(workspace.id, name="Growth", condition=GROWTH)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO segments (id, workspace_id, name, condition, mode, version, created_at, "
                "updated_at, error_count) VALUES ('seg_x', :w, 'Growth', 'true', 'advanced', 1, 0, 0, 0)"
            ),
            {"w": workspace.id},
        )


def test_edits_make_versions_and_restore(store: Store, workspace: Workspace, clock: ManualClock) -> None:
    segment = store.create_segment(workspace.id, name="Growth", condition=GROWTH)
    clock.advance(1000)
    edited = store.update_segment(workspace.id, segment.id, condition='customer.plan == "enterprise"', by="ed")
    assert (edited.version, edited.updated_at, edited.updated_by) == (2, clock.now, "ed")
    assert store.update_segment(workspace.id, segment.id, condition='customer.plan == "enterprise"').version == 2
    renamed = store.update_segment(workspace.id, segment.id, name="Big", description="big ones")
    assert renamed.version == 3
    history = store.segment_history(workspace.id, segment.id)
    assert [(v.version, v.name, v.condition) for v in history] == [
        (1, "Growth", GROWTH),
        (2, "Growth", 'customer.plan == "enterprise"'),
        (3, "Big", 'customer.plan == "enterprise"'),
    ]
    restored = store.restore_segment(workspace.id, segment.id, 1, by="owner")
    # the condition and description come back; the name stays (the old one may be another segment's by now)
    assert (restored.version, restored.name, restored.condition, restored.description) == (4, "Big", GROWTH, None)
    with pytest.raises(NotFound):
        store.restore_segment(workspace.id, segment.id, 99)
    with pytest.raises(InvalidData):
        store.update_segment(workspace.id, segment.id, id="seg_other")


def test_rename_onto_a_taken_name_is_refused(store: Store, workspace: Workspace) -> None:
    store.create_segment(workspace.id, name="A", condition="true")
    b = store.create_segment(workspace.id, name="B", condition="true")
    with pytest.raises(AlreadyExists):
        store.update_segment(workspace.id, b.id, name="A")


def test_error_recording(store: Store, workspace: Workspace, clock: ManualClock) -> None:
    segment = store.create_segment(workspace.id, name="G", condition=GROWTH)
    store.record_segment_error(segment.id, "boom: first")
    clock.advance(5)
    store.record_segment_error(segment.id, "boom: second")
    stored = store.get_segment(workspace.id, segment.id)
    assert (stored.error_count, stored.last_error, stored.last_error_at) == (2, "boom: second", clock.now)


def test_active_segment_set_toggle_clear_and_delete(store: Store, workspace: Workspace) -> None:
    owner = store.members(workspace.id)[0]
    editor = store.add_member(workspace.id, "ed@acme.io", "editor")
    growth = store.create_segment(workspace.id, name="Growth", condition=GROWTH)
    other = store.create_segment(workspace.id, name="Other", condition="true")
    assert store.active_segment(workspace.id, owner.id) is None
    assert store.toggle_active_segment(workspace.id, owner.id, growth.id) == growth
    assert store.active_segment(workspace.id, owner.id) == growth
    assert store.toggle_active_segment(workspace.id, owner.id, other.id) == other  # switch
    assert store.toggle_active_segment(workspace.id, owner.id, other.id) is None  # same one again: cleared
    assert store.active_segment(workspace.id, owner.id) is None
    store.set_active_segment(workspace.id, owner.id, growth.id)
    store.set_active_segment(workspace.id, editor.id, "Growth")
    assert store.members_with_active(workspace.id, growth.id) == [owner.id, editor.id]
    store.clear_active_segment(workspace.id, editor.id)
    assert store.active_segment(workspace.id, editor.id) is None
    store.set_active_segment(workspace.id, editor.id, growth.id)
    store.delete_segment(workspace.id, growth.id)
    assert store.active_segment(workspace.id, owner.id) is None
    assert store.active_segment(workspace.id, editor.id) is None
    with pytest.raises(NotFound):
        store.get_segment(workspace.id, growth.id)
    assert [s.name for s in store.list_segments(workspace.id)] == ["Other"]


def test_segments_are_per_workspace(store: Store, workspace: Workspace) -> None:
    other = store.create_workspace("Other")
    segment = store.create_segment(other.id, name="Theirs", condition="true")
    with pytest.raises(NotFound):
        store.get_segment(workspace.id, segment.id)
