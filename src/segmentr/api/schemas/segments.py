"""Segments (api.md §4): the segment object, its versions, edits, checks, previews and membership."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from segmentr.api.schemas.common import ApiModel, Diagnostic, ListOf, Text
from segmentr.service import SimpleRow

__all__ = [
    "ActiveSegment",
    "ChangePreview",
    "ChangeSide",
    "ConditionBody",
    "ConditionText",
    "Evaluation",
    "EvaluationRequest",
    "EvaluationStep",
    "MemberCount",
    "Preview",
    "SegmentCreate",
    "SegmentDeleted",
    "SegmentList",
    "SegmentMember",
    "SegmentMemberList",
    "SegmentObject",
    "SegmentReferences",
    "SegmentUpdate",
    "SegmentVersionList",
    "SegmentVersionObject",
    "SetActiveSegment",
    "SimpleBody",
    "SimpleRows",
    "TemplateList",
    "TemplateObject",
    "UnsavedCondition",
    "Validation",
]

Mode = Literal["simple", "advanced"]


class SegmentObject(BaseModel):
    object: Literal["segment"] = "segment"
    id: str
    name: str
    description: str | None
    mode: Mode
    condition: str
    simple: list[dict[str, Any]] | None
    version: int
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None
    error_count: int
    last_error: str | None
    last_error_at: int | None


class SegmentCreate(ApiModel):
    """A Stof ``condition`` (advanced mode) or the builder's ``simple`` rows (the condition is generated)."""

    name: Text
    description: Text | None = None
    condition: Text | None = None
    simple: list[SimpleRow] | None = None


class SegmentUpdate(ApiModel):
    """Only the fields given change; ``mode`` alone converts the current condition."""

    name: Text | None = None
    description: Text | None = None
    condition: Text | None = None
    simple: list[SimpleRow] | None = None
    mode: Mode | None = None


class SegmentDeleted(BaseModel):
    object: Literal["segment"] = "segment"
    id: str
    deleted: Literal[True] = True


class SegmentVersionObject(BaseModel):
    object: Literal["segment_version"] = "segment_version"
    segment: str
    version: int
    name: str
    description: str | None
    mode: Mode
    condition: str
    simple: list[dict[str, Any]] | None
    created_at: int
    created_by: str | None


class SegmentReferences(BaseModel):
    object: Literal["segment_references"] = "segment_references"
    segment: str
    notifications: list[dict[str, Any]] = Field(default_factory=list)
    pricing_rules: dict[str, list[dict[str, Any]]] = Field(default_factory=lambda: {"test": [], "live": []})
    active_for_members: list[str] = Field(default_factory=list, description="member ids (mem_…)")
    references: list[dict[str, Any]] = Field(
        default_factory=list,
        description='every record referencing the segment, typed: {"type": "pricing_rule", "environment", "id", '
                    '"name", "priority"}, …',
    )


class ConditionText(ApiModel):
    condition: Text


class Validation(BaseModel):
    valid: bool
    diagnostics: list[Diagnostic]


class SimpleRows(ApiModel):
    simple: list[SimpleRow]


class ConditionBody(BaseModel):
    condition: str


class SimpleBody(BaseModel):
    simple: list[dict[str, Any]]


class TemplateObject(BaseModel):
    object: Literal["segment_template"] = "segment_template"
    key: str
    name: str
    description: str
    condition: str


class EvaluationRequest(ApiModel):
    customer_id: Text
    explain: bool = False


class EvaluationStep(BaseModel):
    line: int
    column: int
    source: str
    value: str


class Evaluation(BaseModel):
    object: Literal["segment_evaluation"] = "segment_evaluation"
    segment: str
    segment_version: int
    customer_id: str
    environment: str
    matched: bool
    value: Any
    error: str | None
    reason: str
    steps: list[EvaluationStep]


class SegmentMember(BaseModel):
    """One member: ``customer`` is its id, or the customer itself with ``?expand=customer``."""

    object: Literal["segment_member"] = "segment_member"
    id: str
    customer: str | dict[str, Any]


class MemberCount(BaseModel):
    object: Literal["segment_count"] = "segment_count"
    count: int
    path: Literal["sql", "stream"]
    errors: int
    last_error: str | None


class UnsavedCondition(ApiModel):
    """A condition not saved yet: Stof source or simple rows (exactly one)."""

    condition: Text | None = None
    simple: list[SimpleRow] | None = None
    sample: int = Field(default=10, ge=0, le=100, description="how many member ids to return")


class Preview(BaseModel):
    object: Literal["segment_preview"] = "segment_preview"
    count: int
    path: Literal["sql", "stream"]
    sample: list[str]
    errors: int


class ChangeSide(BaseModel):
    count: int
    sample: list[str]


class ChangePreview(BaseModel):
    object: Literal["segment_change_preview"] = "segment_change_preview"
    entering: ChangeSide
    leaving: ChangeSide


class SetActiveSegment(ApiModel):
    segment: Text


class ActiveSegment(BaseModel):
    object: Literal["active_segment"] = "active_segment"
    segment: SegmentObject | None


class SegmentList(ListOf[SegmentObject]):
    pass


class SegmentVersionList(ListOf[SegmentVersionObject]):
    pass


class TemplateList(ListOf[TemplateObject]):
    pass


class SegmentMemberList(ListOf[SegmentMember]):
    pass
