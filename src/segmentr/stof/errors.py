"""The Stof error tree (under ``segmentr.errors.SegmentrError``).

    StofError
    ├── StofSyntaxError      the source does not parse (carries every Diagnostic; also ConditionInvalid)
    └── StofRuntimeError     evaluation failed (FuncDne, FuncArgs, cast, division by zero, ...)
        └── StofBudgetExceeded   a step, time, size or nesting budget ran out
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from segmentr.errors import ConditionInvalid, Problem, SegmentrError

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a source text, with 1-based positions (``end_*`` is just past the span)."""

    severity: Severity
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    code: str = ""

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.severity}: {self.message}"


class StofError(SegmentrError):
    """Root of every error the Stof engine raises."""

    code = "stof_error"


class StofSyntaxError(StofError, ConditionInvalid):
    """The source is not a valid condition. ``diagnostics`` lists every error found, with positions (and
    ``problems`` the same as ``segmentr.errors.Problem`` of the field ``condition``)."""

    code = "condition_invalid"

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        ConditionInvalid.__init__(
            self,
            f"{first.line}:{first.column}: {first.message}" if first else "invalid condition",
            problems=[Problem.from_diagnostic(d) for d in diagnostics],
        )

    @property
    def line(self) -> int:
        return self.diagnostics[0].line if self.diagnostics else 0

    @property
    def column(self) -> int:
        return self.diagnostics[0].column if self.diagnostics else 0


class StofRuntimeError(StofError):
    """Evaluation failed. ``kind`` names the Stof error (``FuncDne``, ``FuncArgs``, ``Cast``, ...)."""

    code = "evaluation_failed"

    def __init__(self, message: str, kind: str = "Runtime", line: int = 0, column: int = 0) -> None:
        self.kind = kind
        self.line = line
        self.column = column
        where = f" at {line}:{column}" if line else ""
        super().__init__(f"{kind}: {message}{where}")


class StofBudgetExceeded(StofRuntimeError):
    """A budget (steps, wall time, collection or string size, nesting) ran out."""

    def __init__(self, message: str, budget: str = "steps", line: int = 0, column: int = 0) -> None:
        self.budget = budget
        super().__init__(message, kind="BudgetExceeded", line=line, column=column)


__all__ = ["Diagnostic", "StofBudgetExceeded", "StofError", "StofRuntimeError", "StofSyntaxError"]
