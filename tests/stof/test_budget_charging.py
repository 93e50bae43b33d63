"""Work charged by its size: which bodies can reach a charge, the active budget both tiers hand the runtime, and
budgets that hold for loop-free bodies too."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from segmentr.stof import Condition, StofBudgetExceeded, StofError, parse
from segmentr.stof.sandbox import ACTIVE, Budget
from segmentr.stof.tiers import may_charge

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from fixtures import SEED_CONDITIONS


def tiers(source: str, **limits: Any) -> list[Condition]:
    closures = Condition(source, parse(source), promote_after=None, **limits)
    assert not closures.optimized
    return [closures, Condition(source, parse(source), **limits).optimize()]


class _Tripwire(Budget):
    """An active budget no evaluation may pay into (it stands for a finished evaluation's)."""

    __slots__ = ()

    def charge(self, units: int) -> None:
        raise AssertionError(f"charged {units} units to a finished evaluation's budget")


BIG: dict[str, Any] = {
    "customer": {
        "plan": "growth",
        "tags": list(range(50_000)),
        "other": list(range(50_000)),
        "grants": {f"g{i}": i for i in range(50_000)},
        "cloud_created": 1.0,
        "name": "é" * 100_000,
    }
}
FLAT = [
    'customer.plan == "growth" && customer.tags.len() > 0',
    "customer.grants.fields().len() > 10",
    "customer.tags > customer.other || customer.tags < customer.other",
    "const ts: ms = Time.now() - 7days; customer.cloud_created != null && customer.cloud_created > ts",
    "const n = 3; customer.tags >= n || customer.grants == 5",
    "customer.name.len() > 3 && typeof customer.tags == 'list'",
]


@pytest.mark.parametrize("source", FLAT)
def test_bodies_said_not_to_charge_never_do_in_either_tier(source: str) -> None:
    assert not may_charge(parse(source))
    for condition in tiers(source):
        ACTIVE.budget = _Tripwire()
        try:
            condition.evaluate(BIG)
        finally:
            ACTIVE.budget = None


def test_the_seed_field_and_time_conditions_pay_nothing_for_charging() -> None:
    flat = {c.key for c in SEED_CONDITIONS if not may_charge(parse(c.source))}
    assert {c.key for c in SEED_CONDITIONS if c.group == "field"} <= flat
    assert {"recently-created", "active", "inactive"} <= flat


@pytest.mark.parametrize(
    "source",
    [
        "str(customer.tags).len() > 0",
        "customer.tags == customer.other",
        "const t: str = customer.tags; t.len() > 0",
        "let Time = customer.tags; Time.len() > 0 && Time.sort() == null",
    ],
)
def test_a_body_that_can_charge_starts_clear_of_a_finished_budget(source: str) -> None:
    assert may_charge(parse(source))
    for condition in tiers(source):
        ACTIVE.budget = _Tripwire()
        try:
            condition.evaluate(BIG)
        except StofError:
            pass  # a size or cast error is fine: paying into the finished budget is not
        finally:
            ACTIVE.budget = None


def test_a_loop_free_body_is_held_to_the_step_budget() -> None:
    source = "let l = customer.tags; " + "l.sort(); " * 30 + "true"
    for condition in tiers(source):
        with pytest.raises(StofBudgetExceeded) as info:
            condition.evaluate(BIG)
        assert info.value.budget == "steps"


def test_charges_count_against_a_conditions_own_step_limit() -> None:
    source = "let l = customer.tags; let n = 0; while (n < 3) { let x = l * l; n += 1; } true"
    for condition in tiers(source, max_steps=120_000):
        with pytest.raises(StofBudgetExceeded):
            condition.evaluate(BIG)
    for condition in tiers(source, max_steps=2_000_000, max_seconds=30.0):
        assert condition.evaluate(BIG) is True


def test_budget_errors_carry_the_same_position_in_both_tiers() -> None:
    source = "let l = customer.tags;\nloop {\n  let x = l * l;\n}\ntrue"
    errors = []
    for condition in tiers(source):
        with pytest.raises(StofBudgetExceeded) as info:
            condition.evaluate(BIG)
        errors.append((info.value.line, info.value.column))
    assert errors[0] == errors[1] == (3, 11)


def test_outside_an_evaluation_nothing_is_charged_and_no_budget_is_left_behind() -> None:
    from segmentr.stof.printing import to_str

    bomb = "let t = customer.tags; str([t, t, t, t]).len() > 0"
    for source in ["loop { let x = customer.tags * customer.tags; } true", bomb]:
        for condition in tiers(source):
            with pytest.raises(StofError):
                condition.evaluate(BIG)
            assert ACTIVE.budget is None  # the evaluation's budget went with it
    # printing a big value afterwards (an explanation does) pays nothing and cannot run out
    assert to_str(list(range(50_000)))[:4] == "[0, "


def test_an_evaluation_inside_another_restores_the_outer_budget() -> None:
    outer = Budget()
    outer.start()
    try:
        for condition in tiers("loop { let x = customer.tags * customer.tags; } true"):
            with pytest.raises(StofBudgetExceeded):
                condition.evaluate(BIG)
            assert ACTIVE.budget is outer
    finally:
        ACTIVE.budget = None
