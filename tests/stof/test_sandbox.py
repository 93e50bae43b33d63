"""The evaluation budget: endless loops end, steps and wall time are bounded, and nothing escapes the sandbox —
on both tiers: the closures a condition starts in and the generated code it is promoted to."""

from __future__ import annotations

import time
from typing import Any

import pytest

import segmentr.stof as stof
from segmentr.stof import StofBudgetExceeded, StofRuntimeError
from segmentr.stof.condition import Condition
from segmentr.stof.sandbox import Budget

TIERS = ["closures", "generated"]


def compile_in(tier: str, source: str, **limits: Any) -> Condition:
    condition = Condition(source, stof.parse(source), promote_after=None, **limits)
    return condition.optimize() if tier == "generated" else condition


@pytest.mark.parametrize(
    "source",
    ["loop {}", "while (true) {}", "for (let i = 0; true; i += 1) {}", "let n = 0;\nloop { n += 1; }"],
)
@pytest.mark.parametrize("tier", TIERS)
def test_endless_loops_end_within_the_budget(source: str, tier: str) -> None:
    started = time.perf_counter()
    with pytest.raises(StofBudgetExceeded):
        compile_in(tier, source).evaluate({})
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("tier", TIERS)
def test_the_wall_clock_is_enforced(tier: str) -> None:
    condition = compile_in(tier, "loop {}", max_steps=10**12, max_seconds=0.05)
    started = time.perf_counter()
    with pytest.raises(StofBudgetExceeded) as info:
        condition.evaluate({})
    assert info.value.budget == "time"
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("tier", TIERS)
def test_calls_count_as_steps(tier: str) -> None:
    source = "let n = 0;\nwhile (n < 100) { n = Num.max(n, n + 1); }\nn"
    assert compile_in(tier, source, max_steps=1000).evaluate({}) == 100
    with pytest.raises(StofBudgetExceeded):
        compile_in(tier, source, max_steps=150).evaluate({})


@pytest.mark.parametrize("tier", TIERS)
def test_try_catch_cannot_swallow_the_budget(tier: str) -> None:
    with pytest.raises(StofBudgetExceeded):
        compile_in(tier, "try { loop {} } catch { return 1; }").evaluate({})


def test_budget_counts_in_chunks() -> None:
    budget = Budget(max_steps=3000, max_seconds=10)
    countdown = budget.start()
    steps = countdown
    with pytest.raises(StofBudgetExceeded):
        while True:
            countdown = budget.refill(0)
            steps += countdown
    assert steps == 3000


@pytest.mark.parametrize("tier", TIERS)
def test_no_python_attribute_or_builtin_is_reachable(tier: str) -> None:
    reached = [
        compile_in(tier, "customer.__class__").evaluate({"customer": {"a": 1}}),
        compile_in(tier, "policy.__dict__").evaluate({"policy": object()}),
        compile_in(tier, "eval").evaluate({}),
        compile_in(tier, "open").evaluate({}),
    ]
    assert reached == [None, None, None, None]
    with pytest.raises(StofRuntimeError):
        compile_in(tier, "customer.__class__()").evaluate({"customer": {"a": 1}})
    with pytest.raises(StofRuntimeError):
        compile_in(tier, "'x'.__len__()").evaluate({})


def test_generated_code_gets_no_builtins() -> None:
    condition = stof.compile("1").optimize()
    assert condition.python_source
    function = condition._function  # the compiled function's globals are the sandbox
    assert function.__globals__["__builtins__"] == {}
