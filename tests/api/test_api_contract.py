"""Contract fuzzing: schemathesis generates requests from ``/openapi.json`` for every operation; no answer is a
5xx and every answer matches the schema declared for its status (a bounded number of examples each)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from segmentr.api import ApiSettings, create_app
from segmentr.sample import generate_customers, sample_policy
from segmentr.store import Store

EXAMPLES = 5
# No 5xx; every answer's status is declared and its body matches the schema declared for that status.
# (Not positive_data_acceptance: a schema-valid request can still break a rule, e.g. a condition that does
# not parse, and is then rightly a 4xx.)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _seeded_app(path: Path) -> tuple[Store, object]:
    store = Store(f"sqlite:///{path}")
    store.init()
    for env in ("test", "live"):
        store.put_policy(env, sample_policy())
        store.import_customer_dicts(env, generate_customers(15, seed=3, now_ms=1_760_000_000_000))
    return store, create_app(ApiSettings(rate_per_second=0), store=store)


_STORE, _APP = _seeded_app(Path(__import__("tempfile").mkdtemp(prefix="segmentr-fuzz-")) / "fuzz.db")
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _close_store() -> Iterator[None]:
    yield
    _STORE.close()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_responses_match_their_schemas(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
