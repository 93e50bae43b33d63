"""The evaluation budget: how many steps (loop iterations, calls, work charged by size) and how much wall time
one evaluation may use.

Work is charged by its size: an operation that touches many items or builds many bytes (a list product, a
sort, ``str()`` of a big value, a regular expression over a long text) calls ``charge(units)`` *before* it
starts, so it is refused when the steps left cannot pay for it, and the clock is read once per
``CHECK_EVERY`` units charged. The runtime functions find the evaluation's budget in ``ACTIVE`` (one per
thread): ``Budget.start()`` puts it there; an evaluation without loops sets ``ACTIVE.budget = LAZY`` at its
start (both tiers' entries do, unless the body cannot reach a charged operation at all), and its first charge
starts a budget with the default limits then. Each such entry restores the previous value when it returns, so
outside evaluations (``ACTIVE.budget is None``) nothing is charged.
"""

from __future__ import annotations

import threading
from time import perf_counter

from .errors import StofBudgetExceeded

CHECK_EVERY = 1024  # steps (or units of work) between two looks at the wall clock
MAX_STEPS = 1_000_000
MAX_SECONDS = 0.25
# What one unit of charged work is: one item of a collection touched, or this many characters of a string
# read or built (C-speed string work is ~100x cheaper per character than a Python-level item).
CHARS_PER_UNIT = 256
# Below this many units an operation is not charged (the call would cost more than the work it measures).
CHARGE_FROM = 32


class Budget:
    """Counts steps for one evaluation. Generated code keeps a local countdown and calls ``refill`` when it runs
    out, so the common step costs one subtraction; the clock is read once per ``CHECK_EVERY`` steps."""

    __slots__ = ("deadline", "max_seconds", "max_steps", "remaining", "started", "unclocked", "used")

    def __init__(self, max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.used = 0
        self.remaining = max_steps
        self.unclocked = 0
        self.started = perf_counter()
        self.deadline = self.started + max_seconds

    def start(self) -> int:
        """Begin counting (again), as this thread's active budget: returns the first countdown chunk."""
        ACTIVE.budget = self
        self.used = 0
        self.remaining = self.max_steps
        self.unclocked = 0
        self.started = perf_counter()
        self.deadline = self.started + self.max_seconds
        return self._chunk()

    def _chunk(self) -> int:
        chunk = min(CHECK_EVERY, self.remaining)
        self.remaining -= chunk
        return chunk

    def refill(self, countdown: int = 0) -> int:
        """The local countdown reached ``countdown`` (<= 0): check the limits and hand out the next chunk."""
        self.remaining += countdown  # steps taken beyond the chunk
        if self.remaining <= 0:
            raise StofBudgetExceeded(f"more than {self.max_steps} steps", budget="steps")
        if perf_counter() > self.deadline:
            raise StofBudgetExceeded(f"more than {self.max_seconds}s of evaluation time", budget="time")
        return self._chunk()

    def step(self, count: int = 1) -> None:
        """Count ``count`` steps from Python code (the runtime's own loops)."""
        self.remaining -= count
        if self.remaining < 0:
            raise StofBudgetExceeded(f"more than {self.max_steps} steps", budget="steps")

    def charge(self, units: int) -> None:
        """Pay for ``units`` of work about to be done: refused (before it starts) when the steps left cannot
        pay for it or the time is up."""
        self.remaining -= units
        if self.remaining < 0:
            raise StofBudgetExceeded(f"more than {self.max_steps} steps", budget="steps")
        self.unclocked += units
        if self.unclocked >= CHECK_EVERY:
            self.unclocked = 0
            if perf_counter() > self.deadline:
                raise StofBudgetExceeded(f"more than {self.max_seconds}s of evaluation time", budget="time")


def started_budget(
    max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS, started: float | None = None
) -> tuple[Budget, int]:
    """A new budget, started as this thread's active one, and its first countdown chunk: what an entry of the
    generated code needs, in one call. ``started``: when the evaluation began, if before now (a speculative
    attempt came first; its time counts)."""
    budget = Budget.__new__(Budget)
    budget.max_steps = max_steps
    budget.max_seconds = max_seconds
    budget.used = 0
    budget.unclocked = 0
    budget.started = now = perf_counter() if started is None else started
    budget.deadline = now + max_seconds
    chunk = CHECK_EVERY if max_steps >= CHECK_EVERY else max_steps
    budget.remaining = max_steps - chunk
    ACTIVE.budget = budget
    return budget, chunk


class _Lazy:
    """``ACTIVE.budget`` during an evaluation that has no budget yet: its first charge starts one."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "LAZY"


LAZY = _Lazy()
class _Active(threading.local):
    """One per thread; ``budget`` is None outside any evaluation: runtime functions called from Python (printing
    a value for an explanation) are not charged."""

    def __init__(self) -> None:  # each thread's own, set on its first use (no class-level default to look up)
        self.budget: Budget | _Lazy | None = None


ACTIVE = _Active()


def charge(units: int) -> None:
    """Charge ``units`` of work to the running evaluation's budget (started here if it has none yet)."""
    budget = ACTIVE.budget
    if budget is None:
        return
    if budget is LAZY:
        budget = Budget()
        budget.start()
    budget.charge(units)


def check_clock() -> None:
    """Inside a long operation already paid for: stop it once the running evaluation's time is up."""
    budget = ACTIVE.budget
    if type(budget) is Budget and perf_counter() > budget.deadline:
        raise StofBudgetExceeded(f"more than {budget.max_seconds}s of evaluation time", budget="time")


def charge_items(count: int) -> None:
    """Charge touching ``count`` items (nothing below ``CHARGE_FROM``)."""
    if count >= CHARGE_FROM:
        charge(count)


def charge_chars(count: int) -> None:
    """Charge reading or building ``count`` characters of string."""
    if count >= CHARS_PER_UNIT * CHARGE_FROM:
        charge(count // CHARS_PER_UNIT)


__all__ = [
    "ACTIVE",
    "CHARGE_FROM",
    "CHARS_PER_UNIT",
    "CHECK_EVERY",
    "LAZY",
    "MAX_SECONDS",
    "MAX_STEPS",
    "Budget",
    "charge",
    "charge_chars",
    "charge_items",
    "check_clock",
    "started_budget",
]
