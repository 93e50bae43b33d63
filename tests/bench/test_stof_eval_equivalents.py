"""The benchmark's equivalents decide what the seed conditions decide, on every benchmark customer.

A peer's condition that disagrees with the hand-written floor would make the benchmark compare different work;
ours must agree too once the engine is there. Peers not installed (the `bench` extra) are skipped.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from segmentr_testkit.corpora import bench_module

PEER_MODULES = (
    "peers.growthbook_peer",
    "peers.json_logic_peer",
    "peers.flagsmith_peer",
    "peers.cel_rust_peer",
    "peers.cel_python_peer",
)


def _bench_module(name: str) -> ModuleType:
    return bench_module(name)


def _decide(evaluator: Any, customer: dict[str, Any], policy: Any) -> bool:
    try:
        return evaluator(customer, policy) is True
    except Exception:  # a runtime error means no match, as in Stof
        return False


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, dict[str, Any]], Any]:
    fixtures = _bench_module("fixtures")
    customers = fixtures.make_customers()
    policy, _ = fixtures.make_policy(customers, prefer_real=False)
    return customers, policy


def _condition_keys() -> list[str]:
    return [condition.key for condition in _bench_module("fixtures").SEED_CONDITIONS]


@pytest.mark.parametrize("key", _condition_keys())
def test_benchmark_customers_cover_match_and_no_match(key: str, world: tuple[dict[str, Any], Any]) -> None:
    customers, policy = world
    floor = _bench_module("peers.floor").prepare(key)
    decisions = {_decide(floor, customer, policy) for customer in customers.values()}
    assert decisions == {True, False}


@pytest.mark.parametrize("module_name", PEER_MODULES)
@pytest.mark.parametrize("key", _condition_keys())
def test_peer_equivalent_decides_like_the_floor(
    module_name: str, key: str, world: tuple[dict[str, Any], Any]
) -> None:
    customers, policy = world
    try:
        peer = _bench_module(module_name)
    except ImportError as error:
        pytest.skip(f"bench extra not installed: {error}")
    prepared = peer.prepare(key)
    if isinstance(prepared, _bench_module("peers").NotExpressible):
        assert prepared.reason
        return
    floor = _bench_module("peers.floor").prepare(key)
    for customer_id, customer in customers.items():
        expected = _decide(floor, customer, policy)
        assert _decide(prepared, customer, policy) == expected, customer_id


@pytest.mark.parametrize("key", _condition_keys())
def test_stof_seed_condition_decides_like_the_floor(key: str, world: tuple[dict[str, Any], Any]) -> None:
    customers, policy = world
    ours = _bench_module("peers.ours")
    if (why_not := ours.available()) is not None:
        pytest.skip(why_not)
    prepared = ours.prepare(key)
    floor = _bench_module("peers.floor").prepare(key)
    for customer_id, customer in customers.items():
        assert _decide(prepared, customer, policy) == _decide(floor, customer, policy), customer_id
