"""API fixtures: the application over a seeded store on each database, called in-process through httpx's
``ASGITransport`` (a real HTTP client over the real ASGI application, no socket)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import Api, in_process

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.store import Store

NOW_MS = 1_760_000_000_000
LIVE_CUSTOMERS = 60
TEST_CUSTOMERS = 20


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.init()
        for env, how_many, seed in (("live", LIVE_CUSTOMERS, 7), ("test", TEST_CUSTOMERS, 8)):
            opened.put_policy(env, sample_policy())
            opened.import_customer_dicts(env, generate_customers(how_many, seed=seed, now_ms=NOW_MS))
        yield opened


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings()


@pytest.fixture
def api(store: Store, settings: ApiSettings) -> Iterator[Api]:
    with in_process(create_app(settings, store=store)) as client:
        yield client
