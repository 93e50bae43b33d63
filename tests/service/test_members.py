"""Members: role changes and removal with the owner rules (the last owner stays an owner), per role."""

from __future__ import annotations

import threading

import pytest

from segmentr.errors import AuthenticationFailed, InvalidInput, LastOwner, NotFound, PermissionDenied
from segmentr.service import Actor, Services
from segmentr.service.auth import member_actor
from segmentr.store import Store
from segmentr_testkit.accounts import PASSWORD


def _as(services: Services, owner: Actor, email: str, role: str) -> Actor:
    return member_actor(services.members(owner).create(email, role=role, password=PASSWORD))


def test_the_last_owner_can_be_neither_removed_nor_demoted(services: Services, owner: Actor) -> None:
    assert owner.member_id is not None
    with pytest.raises(LastOwner) as refused:
        services.members(owner).change_role(owner.member_id, "admin")
    assert refused.value.code == "last_owner"
    with pytest.raises(LastOwner):
        services.members(owner).remove(owner.member_id)

    second = _as(services, owner, "second@example.com", "owner")
    assert second.member_id is not None
    services.members(second).change_role(owner.member_id, "admin")
    with pytest.raises(LastOwner):
        services.members(second).remove(second.member_id)
    assert [m.role for m in services.members(second).list() if m.role == "owner"] == ["owner"]


def test_only_an_owner_touches_ownership(services: Services, owner: Actor) -> None:
    admin = _as(services, owner, "admin@example.com", "admin")
    viewer = _as(services, owner, "viewer@example.com", "viewer")
    assert owner.member_id is not None and viewer.member_id is not None
    with pytest.raises(PermissionDenied):
        services.members(admin).change_role(viewer.member_id, "owner")
    with pytest.raises(PermissionDenied):
        services.members(admin).remove(owner.member_id)
    with pytest.raises(PermissionDenied):
        services.members(admin).invite("x@example.com", role="owner")
    assert services.members(admin).change_role(viewer.member_id, "editor").role == "editor"
    with pytest.raises(PermissionDenied):
        services.members(viewer).change_role(viewer.member_id, "admin")


def test_members_are_named_by_public_id_in_their_workspace(services: Services, owner: Actor, store: Store) -> None:
    listed = services.members(owner).list()
    assert all(m.public_id.startswith("mem_") for m in listed)
    with pytest.raises(NotFound):
        services.members(owner).change_role("mem_doesnotexist", "viewer")
    other = store.create_workspace("Other", owner_email="boss@other.example")
    theirs = services.members(services.local_owner(other.id)).list()[0]
    with pytest.raises(NotFound):
        services.members(owner).remove(theirs.public_id)
    with pytest.raises(InvalidInput):
        services.members(owner).change_role(listed[0].public_id, "superuser")


def test_removing_a_member_ends_their_sessions(services: Services, owner: Actor) -> None:
    editor = _as(services, owner, "ed@example.com", "editor")
    grant = services.sign_in("ed@example.com", PASSWORD)
    assert editor.member_id is not None
    services.members(owner).remove(editor.member_id)
    with pytest.raises(AuthenticationFailed):
        services.authenticate_session(grant.token)


def test_two_owners_demoting_each_other_at_once_leave_one_owner(services: Services, owner: Actor) -> None:
    second = _as(services, owner, "second@example.com", "owner")
    assert owner.member_id is not None and second.member_id is not None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor: Actor, target: str) -> None:
        barrier.wait()
        try:
            services.members(actor).change_role(target, "admin")
            outcomes.append("demoted")
        except (LastOwner, PermissionDenied) as exc:
            outcomes.append(type(exc).__name__)

    threads = [
        threading.Thread(target=demote, args=(owner, second.member_id)),
        threading.Thread(target=demote, args=(second, owner.member_id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["LastOwner", "demoted"]
    assert len([m for m in services.members(owner).list() if m.role == "owner"]) == 1
