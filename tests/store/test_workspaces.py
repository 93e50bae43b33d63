"""Workspaces, members with roles, and the two environments each workspace has."""

from __future__ import annotations

import pytest

from segmentr.store import AlreadyExists, InvalidData, NotFound, Store


def test_init_is_idempotent_and_makes_owner_and_both_environments(store: Store) -> None:
    first = store.default_workspace()
    assert store.init() == first
    assert len(store.list_workspaces()) == 1
    [owner] = store.members(first.id)
    assert owner.role == "owner"
    assert [env.name for env in store.environments(first.id)] == ["test", "live"]


def test_environments_are_per_workspace(store: Store) -> None:
    other = store.create_workspace("Other", owner_email="boss@other.io")
    default = store.default_workspace()
    assert store.environment("live").workspace_id == default.id
    assert store.environment("live", workspace_id=other.id).id != store.environment("live").id
    with pytest.raises(InvalidData):
        store.environment("staging")


def test_members_roles_and_uniqueness(store: Store) -> None:
    workspace = store.default_workspace()
    editor = store.add_member(workspace.id, "ed@acme.io", "editor", name="Ed")
    assert store.member(workspace.id, email="ed@acme.io") == editor
    with pytest.raises(AlreadyExists):
        store.add_member(workspace.id, "ed@acme.io", "viewer")
    with pytest.raises(InvalidData):
        store.add_member(workspace.id, "x@acme.io", "superuser")
    assert store.set_member_role(workspace.id, editor.id, "admin").role == "admin"
    store.remove_member(workspace.id, editor.id)
    with pytest.raises(NotFound):
        store.member(workspace.id, member_id=editor.id)


def test_unknown_workspace(store: Store) -> None:
    with pytest.raises(NotFound):
        store.workspace("ws_nope")
