"""Validation of a segment on save: name, size, syntax (with line/column), simple rows vs condition.

Problems block the save (``SegmentValidationError`` lists all of them); the checker's warnings do not and are
returned. Name uniqueness in the workspace is the store's check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from segmentr.errors import InvalidInput, Problem, SegmentrError
from segmentr.policy.vocabulary import SEGMENT_BINDINGS
from segmentr.segments.model import MAX_CONDITION_BYTES, SegmentDraft
from segmentr.segments.simple import NotSimple, from_stof
from segmentr.stof import Diagnostic, check, compile
from segmentr.stof.errors import StofSyntaxError

MAX_DESCRIPTION_CHARS = 4000


class SegmentsError(SegmentrError):
    """Root of the errors the segments package raises."""


class SegmentValidationError(SegmentsError, InvalidInput, ValueError):
    """The segment is invalid; ``problems`` lists every problem found (``segmentr.errors.Problem``)."""

    def __init__(self, problems: list[Problem]) -> None:
        InvalidInput.__init__(self, problems=problems, code=_code_of(problems))


def _code_of(problems: Sequence[Problem]) -> str:
    """``condition_invalid`` when the condition itself is wrong (the API returns its diagnostics), else generic."""
    return "condition_invalid" if any(p.field == "condition" and p.line is not None for p in problems) \
        else "invalid_input"


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
            problems.append(Problem(field=field, message=f"{detail}: {message}" if detail else message))
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(Problem(field="description", message=f"at most {MAX_DESCRIPTION_CHARS} characters"))
    if len(condition.encode("utf-8")) > MAX_CONDITION_BYTES:
        return problems, []  # already reported by the draft; do not parse 64 KiB+ of text

    warnings: list[Diagnostic] = []
    syntax_ok = True
    if not condition.strip():
        problems.append(Problem(field="condition", message="the condition is empty"))
        syntax_ok = False
    else:
        for diagnostic in check(condition, bindings=SEGMENT_BINDINGS):
            if diagnostic.severity == "error":
                syntax_ok = False
                problems.append(Problem.from_diagnostic(diagnostic))
            else:
                warnings.append(diagnostic)
        if syntax_ok:
            try:
                compile(condition)
            except StofSyntaxError as exc:
                syntax_ok = False
                problems.extend(Problem.from_diagnostic(d) for d in exc.diagnostics)

    if draft is not None:
        problems.extend(_mode_problems(draft, syntax_ok))
    return problems, warnings


def _mode_problems(draft: SegmentDraft, syntax_ok: bool) -> list[Problem]:
    if draft.mode == "advanced":
        if draft.simple:
            return [Problem(field="simple", message="simple rows are kept only in simple mode")]
        return []
    if draft.simple is None:
        return [Problem(field="simple", message="simple mode needs the builder's rows")]
    if not syntax_ok:
        return []
    rows = from_stof(draft.condition)
    if isinstance(rows, NotSimple):
        return [Problem(field="condition", message=f"not a simple-mode condition: it {rows.reason}")]
    if rows != draft.simple:
        return [Problem(field="simple", message="the rows do not generate this condition")]
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


__all__ = ["Problem", "SegmentValidationError", "SegmentsError", "segment_problems", "validate_segment"]
