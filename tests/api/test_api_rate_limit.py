"""The per-key rate limit: 429 with ``Retry-After`` once the bucket is empty."""

from __future__ import annotations

import pytest
from api_helpers import Api, assert_error

from segmentr.api import ApiSettings
from segmentr.api.edge import TokenBucket


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(rate_per_second=1, rate_burst=3)


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
