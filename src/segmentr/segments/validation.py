"""Validation of a segment on save: name, size, syntax (with line/column), simple rows vs condition.

Problems block the save (``SegmentValidationError`` lists all of them); the checker's warnings do not and are
returned. Name uniqueness in the workspace is the store's check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from segmentr.policy.vocabulary import SEGMENT_BINDINGS
from segmentr.segments.model import MAX_CONDITION_BYTES, SegmentDraft
from segmentr.segments.simple import NotSimple, from_stof
from segmentr.stof import Diagnostic, check, compile
from segmentr.stof.errors import StofSyntaxError

MAX_DESCRIPTION_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a segment cannot be saved; ``line``/``column`` (1-based) point into the condition."""

    field: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" at {self.line}:{self.column}" if self.line is not None else ""
        return f"{self.field}{where}: {self.message}"


class SegmentValidationError(ValueError):
    """The segment is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def segment_problems(
    name: str,
    description: str | None,
    condition: str,
    mode: str,
    simple: Sequence[Any] | None,
) -> tuple[list[Problem], list[Diagnostic]]:
    """Every problem and every checker warning of a segment, without raising."""
    problems: list[Problem] = []
    try:
        draft = SegmentDraft.model_validate(
            {"name": name, "description": description, "condition": condition, "mode": mode, "simple": simple}
        )
    except ValidationError as exc:
        draft = None
        for error in exc.errors():
            location = error["loc"]
            field = str(location[0]) if location else "segment"
            detail = " ".join(str(part) for part in location[1:])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(field, f"{detail}: {message}" if detail else message))
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(Problem("description", f"at most {MAX_DESCRIPTION_CHARS} characters"))
    if len(condition.encode("utf-8")) > MAX_CONDITION_BYTES:
        return problems, []  # already reported by the draft; do not parse 64 KiB+ of text

    warnings: list[Diagnostic] = []
    syntax_ok = True
    if not condition.strip():
        problems.append(Problem("condition", "the condition is empty"))
        syntax_ok = False
    else:
        for diagnostic in check(condition, bindings=SEGMENT_BINDINGS):
            if diagnostic.severity == "error":
                syntax_ok = False
                problems.append(Problem("condition", diagnostic.message, diagnostic.line, diagnostic.column))
            else:
                warnings.append(diagnostic)
        if syntax_ok:
            try:
                compile(condition)
            except StofSyntaxError as exc:
                syntax_ok = False
                problems.extend(Problem("condition", d.message, d.line, d.column) for d in exc.diagnostics)

    if draft is not None:
        problems.extend(_mode_problems(draft, syntax_ok))
    return problems, warnings


def _mode_problems(draft: SegmentDraft, syntax_ok: bool) -> list[Problem]:
    if draft.mode == "advanced":
        if draft.simple:
            return [Problem("simple", "simple rows are kept only in simple mode")]
        return []
    if draft.simple is None:
        return [Problem("simple", "simple mode needs the builder's rows")]
    if not syntax_ok:
        return []
    rows = from_stof(draft.condition)
    if isinstance(rows, NotSimple):
        return [Problem("condition", f"not a simple-mode condition: it {rows.reason}")]
    if rows != draft.simple:
        return [Problem("simple", "the rows do not generate this condition")]
    return []


def validate_segment(
    name: str,
    description: str | None,
    condition: str,
    mode: str,
    simple: Sequence[Any] | None,
) -> list[Diagnostic]:
    """The checker's warnings for a valid segment; raises ``SegmentValidationError`` with every problem."""
    problems, warnings = segment_problems(name, description, condition, mode, simple)
    if problems:
        raise SegmentValidationError(problems)
    return warnings


__all__ = ["Problem", "SegmentValidationError", "segment_problems", "validate_segment"]
