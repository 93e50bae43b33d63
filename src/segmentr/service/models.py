"""What the segment service takes and returns beyond the store's records: inputs (pydantic) and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from segmentr.segments import Problem, SimpleRow
from segmentr.stof import Diagnostic
from segmentr.stof.explain import Explanation, TraceStep

__all__ = ["Evaluation", "SegmentChanges", "SegmentInput", "SegmentUsage", "Validation"]

Mode = Literal["simple", "advanced"]


class SegmentInput(BaseModel):
    """A new segment: a Stof ``condition`` (advanced mode) or the builder's ``simple`` rows (simple mode; the
    condition is generated from them when not given). Names, sizes and syntax are checked on save."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str | None = None
    condition: str | None = None
    simple: list[SimpleRow] | None = None

    @model_validator(mode="after")
    def _has_a_condition(self) -> SegmentInput:
        if self.condition is None and self.simple is None:
            raise ValueError("a segment needs a condition or simple-mode rows")
        return self


class SegmentChanges(BaseModel):
    """An edit: only the fields given change (an explicit ``description=None`` clears it).

    ``simple`` rows switch to simple mode (the condition is generated); a ``condition`` alone switches to advanced;
    ``mode`` alone converts the current condition: to ``advanced`` always, to ``simple`` only when the condition is
    exactly of a shape simple mode generates (else the save is refused with the reason).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    description: str | None = None
    condition: str | None = None
    simple: list[SimpleRow] | None = None
    mode: Mode | None = None

    def given(self) -> set[str]:
        """The fields the caller set."""
        return set(self.model_fields_set)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One saved segment evaluated for one customer now; ``trace`` only when asked to explain."""

    segment_id: str
    segment_name: str
    segment_version: int
    customer_id: str
    environment: str
    matched: bool
    value: Any
    error: str | None
    reason: str
    trace: Explanation | None = None

    @property
    def steps(self) -> list[TraceStep]:
        """The explanation's steps (each top-level ``&&``/``||`` operand and ``if`` condition), or none."""
        return list(self.trace.steps) if self.trace is not None else []


@dataclass(frozen=True, slots=True)
class Validation:
    """The editor's real-time check: ``problems`` block a save, ``warnings`` (the checker's) do not."""

    problems: list[Problem]
    warnings: list[Diagnostic]

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class SegmentUsage:
    """Where a segment is used (the editor shows it before an edit or a delete)."""

    segment_id: str
    active_for_member_ids: list[int] = field(default_factory=list)
    # the same members by the ids the API shows (mem_…)
    active_for_members: list[str] = field(default_factory=list)
    # what references the segment by id, typed entries: {"type": "pricing_rule", "environment", "id", "name",
    # "priority"} (and the other kinds' own); a delete is refused while there are any, unless forced
    references: list[dict[str, Any]] = field(default_factory=list)
