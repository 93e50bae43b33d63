"""Fixtures of the policy engine tests: the §6 example engine with recorded events, on a hand-moved clock.

What tests import by name (the clock, the document, NOW and T) lives in ``policy_example``: several test folders
have a ``conftest.py``, so ``from conftest import …`` finds whichever one was imported first.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_example import FakeClock, example_document


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorded() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def example(clock: FakeClock, recorded: list[tuple[str, dict[str, Any]]]):
    from segmentr.policy import Policy

    policy = Policy.from_document(example_document(), clock=clock)
    policy.subscribe(lambda name, payload: recorded.append((name, payload)))
    return policy
