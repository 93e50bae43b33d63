"""Service fixtures: a migrated store over each database with the sample policy and customers in both
environments, and one member per role of the default workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Actor, SegmentService, Services
from segmentr.store import Member, Store, Workspace
from segmentr_testkit.accounts import FAST_HASHER

NOW_MS = 1_760_000_000_000
LIVE_CUSTOMERS = 120
TEST_CUSTOMERS = 30


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.init()
        for env, how_many, seed in (("live", LIVE_CUSTOMERS, 7), ("test", TEST_CUSTOMERS, 8)):
            opened.put_policy(env, sample_policy())
            opened.import_customer_dicts(env, generate_customers(how_many, seed=seed, now_ms=NOW_MS))
        yield opened


@pytest.fixture
def workspace(store: Store) -> Workspace:
    return store.default_workspace()


@pytest.fixture
def members(store: Store, workspace: Workspace) -> dict[str, Member]:
    """One member per role: the owner made by ``init``, and an admin, an editor and a viewer."""
    owner = next(member for member in store.members(workspace.id) if member.role == "owner")
    found = {"owner": owner}
    for role in ("admin", "editor", "viewer"):
        found[role] = store.add_member(workspace.id, f"{role}@example.com", role, name=role.title())
    return found


@pytest.fixture
def service_as(store: Store, workspace: Workspace, members: dict[str, Member]) -> Callable[[str], SegmentService]:
    """The segment service acted by the member of the given role."""
    return lambda role: SegmentService(store, workspace.id, members[role])


@pytest.fixture
def editor(service_as: Callable[[str], SegmentService]) -> SegmentService:
    return service_as("editor")


@pytest.fixture
def viewer(service_as: Callable[[str], SegmentService]) -> SegmentService:
    return service_as("viewer")


@pytest.fixture
def services(store: Store) -> Services:
    return Services(store, password_hasher=FAST_HASHER)


@pytest.fixture
def owner(services: Services) -> Actor:
    return services.local_owner()
