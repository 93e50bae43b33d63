"""The per-key rate limit: 429 with ``Retry-After`` once the bucket is empty; the bucket is in the database
(shared by every process: ``test_api_two_servers``), and a store error fails open to the process's own."""

from __future__ import annotations

import logging

import pytest
from api_helpers import Api, assert_error
from sqlalchemy import text

from segmentr.api import ApiSettings
from segmentr.api.edge import TokenBucket
from segmentr.store import Store


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(rate_per_second=0.05, rate_burst=3)  # a token every 20 s: no refill during a test


def test_rate_limit_is_429_with_retry_after(api: Api) -> None:
    statuses = [api.get("/v1/segments/templates").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = api.get("/v1/segments/templates")
    assert_error(response, 429, "rate_limit_error", "rate_limited")
    assert int(response.headers["retry-after"]) >= 1
    assert api.get("/healthz").status_code == 200  # never limited


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=10, burst=2, now=0.0)
    assert [bucket.take(0.0), bucket.take(0.0)] == [0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.1)
    assert bucket.take(0.1) == 0.0


def test_the_limit_fails_open_to_the_process_bucket_when_the_store_fails(
    api: Api, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE rate_buckets"))
    with caplog.at_level(logging.WARNING, logger="segmentr.api"):
        statuses = [api.get("/v1/segments/templates").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]  # a broken shared bucket refuses nobody
    assert "shared rate limit unavailable" in caplog.text
    assert_error(api.get("/v1/segments/templates"), 429, "rate_limit_error", "rate_limited")  # still held here
