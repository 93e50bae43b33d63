"""Store fixtures: a migrated store (with a default workspace) over each database, on a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store_fixtures import ManualClock

from segmentr.store import Store, Workspace


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(db_url: str, clock: ManualClock) -> Iterator[Store]:
    with Store(db_url, clock=clock) as opened:
        opened.init()
        yield opened


@pytest.fixture
def workspace(store: Store) -> Workspace:
    return store.default_workspace()
