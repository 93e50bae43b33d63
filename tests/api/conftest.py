"""API fixtures: the application over a seeded store on each database, called in-process through httpx's
``ASGITransport`` (a real HTTP client over the real ASGI application, no socket)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from api_helpers import FAST_HASHER, OWNER_PASSWORD, Api, in_process

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.service import Actor, Services
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
def services(store: Store) -> Services:
    return Services(store, password_hasher=FAST_HASHER)


@pytest.fixture
def owner(services: Services) -> Actor:
    """The workspace's owner (made by ``init``), with a password to sign in with."""
    actor = services.local_owner()
    assert actor.member_id is not None
    services.members(actor).set_password(actor.member_id, OWNER_PASSWORD)
    return actor


@pytest.fixture
def make_key(services: Services, owner: Actor) -> Callable[..., str]:
    """A new API key's secret: ``make_key("live", "editor")``."""
    counter = iter(range(1_000_000))

    def make(environment: str = "live", role: str = "admin", actor: Actor | None = None) -> str:
        created = services.keys(actor or owner).create(f"key {next(counter)}", environment=environment, role=role)
        return created.secret

    return make


@pytest.fixture
def anonymous(services: Services, settings: ApiSettings) -> Iterator[Api]:
    """The API with no credentials at all."""
    with in_process(create_app(settings, services=services)) as client:
        yield client


@pytest.fixture
def api(anonymous: Api, services: Services, owner: Actor) -> Api:
    """The API as the owner's dashboard session (both environments; the CSRF token sent on every request)."""
    assert owner.member_id is not None
    grant = services.sign_in(services.members(owner).get(owner.member_id).email, OWNER_PASSWORD)
    anonymous.headers.update({"Cookie": f"segmentr_session={grant.token}", "X-CSRF-Token": grant.csrf_token})
    return anonymous
