"""The policy history the Policy page lists (numbers and dates in one query) and ``permits``, the role table's
answer the interfaces use to hide controls the service would refuse; on SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import pytest

from segmentr.sample import sample_policy
from segmentr.service import ROLES, Action, Actor, PermissionDenied, Services, permits
from segmentr.service.auth import member_actor
from segmentr.store import Member


def test_versions_are_numbers_and_dates_of_every_stored_version(services: Services, owner: Actor) -> None:
    policies = services.policies(owner)
    for seats in (2, 3):
        changed = copy.deepcopy(sample_policy())
        changed["policy"]["plans"]["free"]["entitlements"]["seats"]["limit"]["value"] = seats
        policies.put("live", changed)
    history = policies.versions("live")
    assert [item.version for item in history] == [1, 2, 3]
    assert [item.created_at for item in history] == [policies.version("live", n).created_at for n in (1, 2, 3)]
    assert [item.version for item in policies.versions("test")] == [1]


def test_permits_agrees_with_what_the_service_refuses(services: Services, members: dict[str, Member]) -> None:
    for role in ROLES:
        actor = member_actor(members[role])
        allowed = permits(actor, Action.EDIT_POLICY)
        assert allowed == (role in ("owner", "admin"))
        if allowed:
            services.policies(actor).restore("live", 1)
        else:
            with pytest.raises(PermissionDenied):
                services.policies(actor).restore("live", 1)
        assert permits(actor, Action.READ_KEYS) and permits(actor, Action.READ_POLICY)
        assert permits(actor, Action.MANAGE_MEMBERS) == (role in ("owner", "admin"))
