"""Create, read, edit (modes), delete, history and restore through the service, with validation on save."""

from __future__ import annotations

import pytest

from segmentr.segments import PlanRow, to_stof
from segmentr.service import SegmentChanges, SegmentInput, SegmentService
from segmentr.store import AlreadyExists, NotFound, SegmentInvalid

ROWS = [
    {"type": "plan", "op": "in", "value": ["growth", "enterprise"]},
    {"type": "metadata", "key": "region", "op": "==", "value": "eu-central"},
]


def test_simple_rows_generate_the_condition(editor: SegmentService) -> None:
    saved = editor.create(SegmentInput.model_validate({"name": "EU growth", "simple": ROWS}))
    assert saved.mode == "simple" and saved.version == 1
    assert saved.condition == to_stof(SegmentInput.model_validate({"name": "x", "simple": ROWS}).simple or [])
    assert saved.simple is not None and saved.simple[0]["value"] == ["growth", "enterprise"]
    assert saved.created_by == "editor@example.com"


def test_invalid_segments_are_refused_with_every_problem(editor: SegmentService) -> None:
    with pytest.raises(SegmentInvalid) as refused:
        editor.create(SegmentInput(name=" padded", condition="customer.plan =="))
    message = str(refused.value)
    assert "whitespace" in message and "condition" in message
    editor.create(SegmentInput(name="taken", condition="true"))
    with pytest.raises(AlreadyExists):
        editor.create(SegmentInput(name="taken", condition="false"))
    assert [s.name for s in editor.segments()] == ["taken"]


def test_validate_reports_problems_with_positions_and_warnings(editor: SegmentService) -> None:
    broken = editor.validate(SegmentInput(name="b", condition="customer.plan ==\n"))
    assert not broken.valid
    assert broken.problems[0].field == "condition" and broken.problems[0].line is not None
    warned = editor.validate(SegmentInput(name="w", condition="customer.nonexistent_field == 1"))
    assert warned.valid and warned.warnings


def test_edits_are_versions_and_modes_switch(editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="growth", description="d", simple=[PlanRow(op="==", value="growth")]))
    to_advanced = editor.edit(saved.id, SegmentChanges(mode="advanced"))
    assert (to_advanced.version, to_advanced.mode, to_advanced.simple) == (2, "advanced", None)
    assert to_advanced.condition == saved.condition

    back = editor.edit(saved.id, SegmentChanges(mode="simple"))
    assert back.version == 3 and back.mode == "simple" and back.simple == saved.simple

    unchanged = editor.edit(saved.id, SegmentChanges(name="growth"))
    assert unchanged.version == 3

    advanced = editor.edit(saved.id, SegmentChanges(condition='customer.plan == "growth" || customer.type == "org"'))
    assert advanced.mode == "advanced" and advanced.version == 4
    with pytest.raises(SegmentInvalid, match="simple mode"):
        editor.edit(saved.id, SegmentChanges(mode="simple"))

    cleared = editor.edit(saved.id, SegmentChanges(description=None))
    assert cleared.description is None and cleared.version == 5


def test_history_restore_and_delete(editor: SegmentService) -> None:
    saved = editor.create(SegmentInput(name="first", condition='customer.plan == "free"'))
    editor.edit(saved.id, SegmentChanges(name="second", condition='customer.plan == "starter"'))
    history = editor.history("second")
    assert [(v.version, v.name) for v in history] == [(1, "first"), (2, "second")]

    restored = editor.restore("second", 1)  # the condition comes back, the name stays
    assert (restored.version, restored.name, restored.condition) == (3, "second", 'customer.plan == "free"')
    assert [v.version for v in editor.history(saved.id)] == [1, 2, 3]

    editor.delete("second")
    with pytest.raises(NotFound):
        editor.get(saved.id)
    with pytest.raises(NotFound):
        editor.history(saved.id)


def test_a_nul_character_is_refused_on_save_on_both_databases(editor: SegmentService) -> None:
    with pytest.raises(SegmentInvalid, match="NUL character"):
        editor.create(SegmentInput(name="nul", condition='customer.plan == "a\x00"'))
    saved = editor.create(SegmentInput(name="fine", condition="true"))
    with pytest.raises(SegmentInvalid, match="NUL character"):
        editor.edit(saved.id, SegmentChanges(description="x\x00"))
    assert editor.get(saved.id).version == 1
