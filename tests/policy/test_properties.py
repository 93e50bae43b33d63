"""Property tests of the metering invariants (hypothesis)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from segmentr.policy import Policy

DOC = {"policy": {
    "credits": {"tok": {"price": {"amount": 0.01}}},
    "plans": {"p": {"default": True, "entitlements": {
        "hard": {"limit": {"credit": "tok", "value": 50}},
        "soft": {"limit": {"credit": "tok", "mode": "soft", "value": 50}}},
        "topups": {"pack": {"credit": "tok", "value": 7}}}}}}
BASE = Policy.from_document(DOC, clock=lambda: 1_767_225_600_000)

deltas = st.lists(st.floats(min_value=-30, max_value=30, allow_nan=False).map(lambda v: round(v, 3)),
                  min_size=1, max_size=25)


def fresh(with_grant: bool = False) -> Policy:
    policy = BASE.with_customers({})
    policy.create_customer("c")
    if with_grant:
        policy.apply_customer_topup("c", "pack")
    return policy


@settings(max_examples=60, deadline=None)
@given(deltas, st.booleans())
def test_hard_limit_never_passed_unless_grants_cover(values: list[float], with_grant: bool) -> None:
    policy = fresh(with_grant)
    for delta in values:
        before = policy.value("c", "hard")
        balance = policy.credit_remaining("c", "tok")
        allowed = policy.allow("c", "hard", delta)
        after = policy.value("c", "hard")
        if allowed and after > 50 + 1e-9 and delta > 0:
            overage = after - max(before, 50)
            assert overage <= balance + 1e-9
        if not allowed:
            assert after == before


@settings(max_examples=60, deadline=None)
@given(deltas)
def test_decrements_are_never_denied(values: list[float]) -> None:
    policy = fresh()
    for delta in values:
        result = policy.allow("c", "hard", delta)
        if delta <= 0:
            assert result is True


@settings(max_examples=60, deadline=None)
@given(deltas, st.sampled_from(["hard", "soft"]))
def test_check_never_changes_state(values: list[float], entitlement: str) -> None:
    policy = fresh(with_grant=True)
    for delta in values:
        before = copy.deepcopy(policy.customer("c"))
        policy.check("c", entitlement, delta)
        assert policy.customer("c") == before
        policy.allow("c", entitlement, delta)


@settings(max_examples=60, deadline=None)
@given(deltas)
def test_forced_allow_always_records(values: list[float]) -> None:
    policy = fresh()
    total = 0.0
    for delta in values:
        assert policy.allow("c", "hard", delta, force=True) is True
        total += delta
    assert abs(policy.customer("c")["meters"]["hard"]["value"] - total) < 1e-6


@settings(max_examples=60, deadline=None)
@given(deltas, st.sampled_from(["hard", "soft"]))
def test_meter_is_the_sum_of_allowed_deltas(values: list[float], entitlement: str) -> None:
    policy = fresh(with_grant=True)
    total = 0.0
    for delta in values:
        if policy.allow("c", entitlement, delta):
            total += delta
    assert abs(policy.customer("c")["meters"][entitlement]["value"] - total) < 1e-6
