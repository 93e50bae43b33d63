"""Fixtures of the segments tests: a pinned Stof clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from segmentr.stof.stdlib import set_clock

# 2024-06-01T00:00:00Z: a fixed "now" so relative windows are deterministic.
NOW_MS = 1_717_200_000_000
DAY_MS = 86_400_000


@pytest.fixture
def pinned_clock() -> Iterator[int]:
    set_clock(lambda: float(NOW_MS))
    try:
        yield NOW_MS
    finally:
        set_clock(None)
