"""The acting member's active segment (product.md §7, §8): set, toggle, clear, per member, gone with the segment."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from segmentr.errors import InvalidInput
from segmentr.service import Actor, SegmentInput, SegmentService, Services


def test_set_toggle_and_clear(editor: SegmentService) -> None:
    growth = editor.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    orgs = editor.create(SegmentInput(name="orgs", condition='customer.type == "org"'))
    assert editor.active_segment() is None
    assert editor.toggle_active_segment("growth") == growth
    assert editor.active_segment() == growth
    assert editor.set_active_segment(orgs.id) == orgs  # at most one: replaces growth
    assert editor.active_segment() == orgs
    assert editor.toggle_active_segment(orgs.id) is None  # "Set Active" on the active one clears it
    assert editor.active_segment() is None
    editor.set_active_segment("growth")
    editor.clear_active_segment()
    assert editor.active_segment() is None


def test_active_segments_are_per_member_and_shown_as_usage(service_as: Callable[[str], SegmentService]) -> None:
    owner, viewer, admin = service_as("owner"), service_as("viewer"), service_as("admin")
    saved = owner.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    owner.set_active_segment(saved.id)
    viewer.set_active_segment(saved.id)
    assert admin.active_segment() is None
    assert owner.usage(saved.id).active_for_member_ids == sorted([owner.actor.id, viewer.actor.id])


def test_deleting_the_active_segment_leaves_no_active_segment(
    editor: SegmentService, viewer: SegmentService
) -> None:
    saved = editor.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    viewer.set_active_segment(saved.id)
    editor.delete(saved.id)
    assert viewer.active_segment() is None


def test_a_session_actor_has_its_own_active_segment_and_a_key_has_none(services: Services, owner: Actor) -> None:
    segments = services.segments(owner)
    saved = segments.create(SegmentInput(name="growth", condition='customer.plan == "growth"'))
    assert segments.toggle_active_segment(saved.id) is not None
    assert segments.usage(saved.id).active_for_members == [owner.member_id]
    key = services.authenticate_key(services.keys(owner).create("k", environment="live", role="viewer").secret)
    with pytest.raises(InvalidInput):
        services.segments(key).active_segment()
