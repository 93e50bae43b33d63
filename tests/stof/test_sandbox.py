"""The evaluation budget: endless loops end, steps and wall time are bounded, and nothing escapes the sandbox."""

from __future__ import annotations

import time

import pytest

import segmentr.stof as stof
from segmentr.stof import StofBudgetExceeded, StofRuntimeError
from segmentr.stof.condition import Condition
from segmentr.stof.sandbox import Budget


@pytest.mark.parametrize(
    "source",
    ["loop {}", "while (true) {}", "for (let i = 0; true; i += 1) {}", "let n = 0;\nloop { n += 1; }"],
)
def test_endless_loops_end_within_the_budget(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(StofBudgetExceeded):
        stof.compile(source).evaluate({})
    assert time.perf_counter() - started < 2.0


def test_the_wall_clock_is_enforced() -> None:
    condition = Condition("loop {}", stof.parse("loop {}"), max_steps=10**12, max_seconds=0.05)
    started = time.perf_counter()
    with pytest.raises(StofBudgetExceeded) as info:
        condition.evaluate({})
    assert info.value.budget == "time"
    assert time.perf_counter() - started < 1.0


def test_calls_count_as_steps() -> None:
    source = "let n = 0;\nwhile (n < 100) { n = Num.max(n, n + 1); }\nn"
    assert Condition(source, stof.parse(source), max_steps=1000).evaluate({}) == 100
    with pytest.raises(StofBudgetExceeded):
        Condition(source, stof.parse(source), max_steps=150).evaluate({})


def test_try_catch_cannot_swallow_the_budget() -> None:
    with pytest.raises(StofBudgetExceeded):
        stof.compile("try { loop {} } catch { return 1; }").evaluate({})


def test_budget_counts_in_chunks() -> None:
    budget = Budget(max_steps=3000, max_seconds=10)
    countdown = budget.start()
    steps = countdown
    with pytest.raises(StofBudgetExceeded):
        while True:
            countdown = budget.refill(0)
            steps += countdown
    assert steps == 3000


def test_no_python_attribute_or_builtin_is_reachable() -> None:
    reached = [
        stof.compile("customer.__class__").evaluate({"customer": {"a": 1}}),
        stof.compile("policy.__dict__").evaluate({"policy": object()}),
        stof.compile("eval").evaluate({}),
        stof.compile("open").evaluate({}),
    ]
    assert reached == [None, None, None, None]
    with pytest.raises(StofRuntimeError):
        stof.compile("customer.__class__()").evaluate({"customer": {"a": 1}})
    with pytest.raises(StofRuntimeError):
        stof.compile("'x'.__len__()").evaluate({})


def test_generated_code_gets_no_builtins() -> None:
    condition = stof.compile("1").optimize()
    assert condition.python_source
    function = condition._function  # the compiled function's globals are the sandbox
    assert function.__globals__["__builtins__"] == {}
