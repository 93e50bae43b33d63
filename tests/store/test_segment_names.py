"""Segment names and ids never collide, on both databases: ids carry ``seg_`` and no name may; names are unique
by their NFKC + case-folded key; invisible format characters are refused; migration 0002 makes an existing
database's names fit these rules."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from segmentr.segments.names import looks_like_segment_id, name_key
from segmentr.store import AlreadyExists, NotFound, SegmentInvalid, Store, Workspace
from segmentr.store.migrate import migrate


def test_keys_fold_case_width_and_compatibility_forms() -> None:
    assert name_key("Growth") == name_key("GROWTH") == name_key("Ｇｒｏｗｔｈ") == "growth"
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("ﬁnance") == name_key("finance")  # the ligature
    assert looks_like_segment_id("seg_0123456789abcdef") and looks_like_segment_id("ＳＥＧ_x")
    assert not looks_like_segment_id("segments of growth")


def test_names_differing_only_in_case_or_width_are_one(store: Store, workspace: Workspace) -> None:
    growth = store.create_segment(workspace.id, name="Growth", condition="true")
    for other in ("growth", "GROWTH", "Ｇｒｏｗｔｈ"):
        with pytest.raises(AlreadyExists, match="names differing only in case or width are one"):
            store.create_segment(workspace.id, name=other, condition="true")
    b = store.create_segment(workspace.id, name="B", condition="true")
    with pytest.raises(AlreadyExists):
        store.update_segment(workspace.id, b.id, name="gRoWtH")
    assert store.get_segment(workspace.id, "GROWTH").id == growth.id  # found by its key
    renamed = store.update_segment(workspace.id, growth.id, name="GROWTH")  # its own name in another case
    assert renamed.name == "GROWTH" and store.get_segment(workspace.id, "growth").id == growth.id


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("seg_0123456789abcdef", "must not start with 'seg_'"),
        ("SEG_other", "must not start with 'seg_'"),
        ("Gro\u200bwth", "invisible format characters"),
        ("abc\u202edcb", "invisible format characters"),
        ("x\u2066y", "invisible format characters"),
        ("zero\ufeffwidth", "invisible format characters"),
        ("a\x85b", "control characters"),
    ],
)
def test_names_that_could_mislead_are_refused(store: Store, workspace: Workspace, name: str, message: str) -> None:
    with pytest.raises(SegmentInvalid, match=message):
        store.create_segment(workspace.id, name=name, condition="true")


def test_a_reference_is_an_id_or_a_name_never_both(store: Store, workspace: Workspace) -> None:
    first = store.create_segment(workspace.id, name="First", condition="true")
    second = store.create_segment(workspace.id, name="Second", condition="true")
    with pytest.raises(SegmentInvalid):  # once possible: a name equal to the other's id
        store.update_segment(workspace.id, second.id, name=first.id)
    store.delete_segment(workspace.id, first.id)
    assert store.get_segment(workspace.id, "Second").id == second.id
    with pytest.raises(NotFound):
        store.get_segment(workspace.id, first.id)


def _database_at_0001_with_awkward_names(url: str) -> Store:
    store = Store(url)
    migrate(store.engine, "0001")
    rows = [
        ("seg_a000000000000001", "Growth", 1),
        ("seg_a000000000000002", "GROWTH", 2),
        ("seg_a000000000000003", "Ｇｒｏｗｔｈ", 3),
        ("seg_a000000000000004", "seg_a000000000000001", 4),
        ("seg_a000000000000005", "Zero\u200bWidth", 5),
        ("seg_a000000000000006", "Other", 6),
    ]
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO workspaces (id, name, created_at) VALUES ('ws_1', 'W', 0)"))
        for segment_id, name, created in rows:
            connection.execute(
                text(
                    "INSERT INTO segments (id, workspace_id, name, condition, mode, version, created_at, updated_at,"
                    " error_count) VALUES (:id, 'ws_1', :name, 'true', 'advanced', 1, :at, :at, 0)"
                ),
                {"id": segment_id, "name": name, "at": created},
            )
    return store


def test_migration_0002_makes_existing_names_fit(db_url: str) -> None:
    store = _database_at_0001_with_awkward_names(db_url)
    try:
        store.migrate()
        assert store.is_migrated()
        names = {segment.id: segment.name for segment in store.list_segments("ws_1")}
        assert names == {
            "seg_a000000000000001": "Growth",  # the oldest keeps its name
            "seg_a000000000000002": "GROWTH (2)",
            "seg_a000000000000003": "Ｇｒｏｗｔｈ (3)",
            "seg_a000000000000004": "renamed seg_a000000000000001",
            "seg_a000000000000005": "ZeroWidth",
            "seg_a000000000000006": "Other",
        }
        with pytest.raises(AlreadyExists):
            store.create_segment("ws_1", name="growth", condition="true")
        assert store.get_segment("ws_1", "growth (2)").id == "seg_a000000000000002"
    finally:
        store.close()
