"""The evaluation budget: how many steps (loop iterations, calls) and how much wall time one evaluation may use."""

from __future__ import annotations

from time import perf_counter

from .errors import StofBudgetExceeded

CHECK_EVERY = 1024  # steps between two looks at the wall clock


class Budget:
    """Counts steps for one evaluation. Generated code keeps a local countdown and calls ``refill`` when it runs
    out, so the common step costs one subtraction; the clock is read once per ``CHECK_EVERY`` steps."""

    __slots__ = ("deadline", "max_seconds", "max_steps", "remaining", "started", "used")

    def __init__(self, max_steps: int = 1_000_000, max_seconds: float = 0.25) -> None:
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.used = 0
        self.remaining = max_steps
        self.started = perf_counter()
        self.deadline = self.started + max_seconds

    def start(self) -> int:
        """Begin counting (again): returns the first countdown chunk."""
        self.used = 0
        self.remaining = self.max_steps
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


__all__ = ["CHECK_EVERY", "Budget"]
