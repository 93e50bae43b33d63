"""Roles per action, as one table: every role (a member's session and an API key of that role) against the
customer, usage, policy, member and key use cases. Segments have their own table in test_roles.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from segmentr.errors import PermissionDenied
from segmentr.sample import sample_policy
from segmentr.service import Actor, Services
from segmentr.service.auth import member_actor
from segmentr.store import Store
from segmentr_testkit.accounts import PASSWORD

Use = Callable[[Services, Actor, dict[str, Any]], object]

# name -> (the call, the roles allowed)
EVERYONE = {"owner", "admin", "editor", "viewer"}
EDITORS = {"owner", "admin", "editor"}
ADMINS = {"owner", "admin"}
USES: dict[str, tuple[Use, set[str]]] = {
    "list customers": (lambda s, a, c: s.customers(a).list("live"), EVERYONE),
    "show a customer": (lambda s, a, c: s.customers(a).get("live", c["customer"]), EVERYONE),
    "export customers": (lambda s, a, c: next(s.customers(a).export("live")), EVERYONE),
    "check usage": (lambda s, a, c: s.customers(a).check_usage("live", c["customer"], c["entitlement"], 1), EVERYONE),
    "read an entitlement": (lambda s, a, c: s.customers(a).entitlement("live", c["customer"], c["entitlement"]),
                            EVERYONE),
    "record usage": (lambda s, a, c: s.customers(a).record_usage("live", c["customer"], c["entitlement"], 1),
                     EDITORS),
    "put a customer": (lambda s, a, c: s.customers(a).put("live", {"id": "new-one"}), EDITORS),
    "patch a customer": (lambda s, a, c: s.customers(a).patch("live", c["customer"], {"label": "L"}), EDITORS),
    "read the policy": (lambda s, a, c: s.policies(a).current("live"), EVERYONE),
    "policy history": (lambda s, a, c: s.policies(a).versions("live"), EVERYONE),
    "put the policy": (lambda s, a, c: s.policies(a).put("live", sample_policy()), ADMINS),
    "restore the policy": (lambda s, a, c: s.policies(a).restore("live", 1), ADMINS),
    "list members": (lambda s, a, c: s.members(a).list(), EVERYONE),
    "invite": (lambda s, a, c: s.members(a).invite("someone@example.com", role="viewer"), ADMINS),
    "change a role": (lambda s, a, c: s.members(a).change_role(c["target"], "editor"), ADMINS),
    "list keys": (lambda s, a, c: s.keys(a).list(), EVERYONE),
    "create a key": (lambda s, a, c: s.keys(a).create("k", environment="live", role="viewer"), ADMINS),
}  # fmt: skip


@pytest.fixture
def context(services: Services, owner: Actor, store: Store) -> dict[str, Any]:
    customer = store.list_customers("live", limit=1)[0]
    entitlement = next(iter(store.live_policy("live").plans()[customer["plan"]]["entitlements"]))
    target = services.members(owner).create("target@example.com", role="viewer", password=PASSWORD)
    return {"customer": customer["id"], "entitlement": entitlement, "target": target.public_id}


@pytest.fixture
def actors(services: Services, owner: Actor) -> dict[tuple[str, str], Actor]:
    """(kind, role) -> actor: a member of each role, and a live API key of each key role."""
    found: dict[tuple[str, str], Actor] = {("member", "owner"): owner}
    for role in ("admin", "editor", "viewer"):
        member = services.members(owner).create(f"{role}@roles.example", role=role, password=PASSWORD)
        found[("member", role)] = member_actor(member)
        found[("key", role)] = services.authenticate_key(
            services.keys(owner).create(role, environment="live", role=role).secret
        )
    return found


@pytest.mark.parametrize("use", list(USES))
def test_roles_per_action(
    use: str, services: Services, actors: dict[tuple[str, str], Actor], context: dict[str, Any]
) -> None:
    call, allowed = USES[use]
    for (kind, role), actor in actors.items():
        try:
            call(services, actor, context)
            denied = False
        except PermissionDenied:
            denied = True
        assert denied == (role not in allowed), f"a {kind} with the role {role}: {use}"
