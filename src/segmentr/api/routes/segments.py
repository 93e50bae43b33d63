"""Segments (api.md §4): CRUD with versions, the editor's checks, templates, evaluation, membership, previews
and the caller's active segment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from segmentr import errors
from segmentr.api.deps import CustomersDep, Environment, SegmentsDep, authenticate
from segmentr.api.errors import diagnostic
from segmentr.api.idempotency import IdempotentRoute
from segmentr.api.openapi import errors as error_responses
from segmentr.api.responses import model_response
from segmentr.api.schemas.common import MAX_LIMIT, Text
from segmentr.api.schemas.segments import (
    ActiveSegment,
    ChangePreview,
    ChangeSide,
    ConditionBody,
    ConditionText,
    Evaluation,
    EvaluationRequest,
    EvaluationStep,
    MemberCount,
    Preview,
    SegmentCreate,
    SegmentDeleted,
    SegmentList,
    SegmentMember,
    SegmentMemberList,
    SegmentObject,
    SegmentReferences,
    SegmentUpdate,
    SegmentVersionList,
    SegmentVersionObject,
    SetActiveSegment,
    SimpleBody,
    SimpleRows,
    TemplateList,
    TemplateObject,
    UnsavedCondition,
    Validation,
)
from segmentr.service import (
    CustomerService,
    Segment,
    SegmentChanges,
    SegmentInput,
    SegmentService,
    SegmentVersion,
    condition_to_rows,
    rows_to_condition,
    templates,
)

__all__ = ["router"]

router = APIRouter(tags=["segments"], route_class=IdempotentRoute, dependencies=[Depends(authenticate)])

MAX_MEMBER_LIMIT = 1000
SAMPLE = 10
INLINE_CHECK_CHARS = 4096  # the editor's check of a condition up to this long runs on the event loop
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size (1-100)")]
StartingAfter = Annotated[Text | None, Query(description="the last id of the previous page")]


def segment_object(segment: Segment) -> SegmentObject:
    return SegmentObject(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        mode=segment.mode,  # type: ignore[arg-type]
        condition=segment.condition,
        simple=segment.simple,
        version=segment.version,
        created_at=segment.created_at,
        created_by=segment.created_by,
        updated_at=segment.updated_at,
        updated_by=segment.updated_by,
        error_count=segment.error_count,
        last_error=segment.last_error,
        last_error_at=segment.last_error_at,
    )


def version_object(version: SegmentVersion) -> SegmentVersionObject:
    return SegmentVersionObject(
        segment=version.segment_id,
        version=version.version,
        name=version.name,
        description=version.description,
        mode=version.mode,  # type: ignore[arg-type]
        condition=version.condition,
        simple=version.simple,
        created_at=version.created_at,
        created_by=version.created_by,
    )


def _unsaved(body: UnsavedCondition) -> str:
    if (body.condition is None) == (body.simple is None):
        raise errors.InvalidInput(
            "give exactly one of condition or simple",
            problems=[errors.Problem(field="condition", message="give exactly one of condition or simple")],
        )
    return body.condition if body.condition is not None else rows_to_condition(body.simple or [])


# ---------------------------------------------------------------------- workspace-level segments


@router.get("/v1/segments", operation_id="list_segments", response_model=SegmentList,
            responses=error_responses())
def list_segments(segments: SegmentsDep, limit: Limit = 20, starting_after: StartingAfter = None) -> SegmentList:
    """The workspace's segments, by name."""
    every = segments.segments()
    start = 0
    if starting_after is not None:
        ids = [segment.id for segment in every]
        if starting_after not in ids:
            raise errors.InvalidInput(
                f"starting_after: no segment {starting_after!r}",
                problems=[errors.Problem(field="starting_after", message="no such segment")],
            )
        start = ids.index(starting_after) + 1
    page = every[start : start + limit]
    return SegmentList(
        data=[segment_object(segment) for segment in page], has_more=start + limit < len(every)
    )


@router.post("/v1/segments", operation_id="create_segment", status_code=201, response_model=SegmentObject,
             responses=error_responses(409))
def create_segment(body: SegmentCreate, segments: SegmentsDep) -> SegmentObject:
    """Create a segment from a condition or from simple rows (version 1)."""
    if body.condition is None and body.simple is None:
        raise errors.InvalidInput(
            "a segment needs a condition or simple rows",
            problems=[errors.Problem(field="condition", message="a segment needs a condition or simple rows")],
        )
    draft = SegmentInput(name=body.name, description=body.description, condition=body.condition, simple=body.simple)
    return segment_object(segments.create(draft))


@router.post("/v1/segments/validate", operation_id="validate_condition", response_model=Validation,
             responses=error_responses())
async def validate_condition(body: ConditionText, segments: SegmentsDep) -> Response:
    """The editor's live check of a condition: every problem and warning, with positions."""
    # The check is CPU only (no database): a condition of a few KB (~1 ms) runs on the event loop, since a
    # thread-pool hop costs a good part of that again; a longer one goes to the pool, off the loop.
    if len(body.condition) <= INLINE_CHECK_CHARS:
        return _validation(body.condition, segments)
    return await run_in_threadpool(_validation, body.condition, segments)


def _validation(condition: str, segments: SegmentService) -> Response:
    checked = segments.validate(SegmentInput(name="condition", condition=condition))
    found = [problem for problem in checked.problems if problem.field in (None, "condition")]
    warnings = [errors.Problem.from_diagnostic(warning) for warning in checked.warnings]
    diagnostics = [diagnostic(problem) for problem in (*found, *warnings)]
    return model_response(Validation.model_validate({"valid": not found, "diagnostics": diagnostics}))


@router.post("/v1/segments/simple/to-stof", operation_id="simple_to_stof", response_model=ConditionBody,
             responses=error_responses())
def simple_to_stof(body: SimpleRows) -> ConditionBody:
    """The condition simple mode generates from rows."""
    return ConditionBody(condition=rows_to_condition(body.simple))


@router.post("/v1/segments/simple/from-stof", operation_id="simple_from_stof", response_model=SimpleBody,
             responses=error_responses())
def simple_from_stof(body: ConditionText) -> SimpleBody:
    """The rows that generate a condition, or 422 ``not_simple`` with the reason."""
    rows = condition_to_rows(body.condition)
    return SimpleBody(simple=[row.model_dump(mode="json") for row in rows])


@router.get("/v1/segments/templates", operation_id="list_segment_templates",
            response_model=TemplateList, responses=error_responses())
def list_templates(segments: SegmentsDep) -> TemplateList:
    """The six templates."""
    data = [
        TemplateObject(key=t.key, name=t.name, description=t.description, condition=t.code) for t in templates()
    ]
    return TemplateList(data=data, has_more=False)


@router.get("/v1/segments/{segment_id}", operation_id="get_segment", response_model=SegmentObject,
            responses=error_responses(404))
def get_segment(segment_id: Text, segments: SegmentsDep) -> SegmentObject:
    return segment_object(segments.get(segment_id))


@router.patch("/v1/segments/{segment_id}", operation_id="update_segment", response_model=SegmentObject,
              responses=error_responses(404, 409))
def update_segment(segment_id: Text, body: SegmentUpdate, segments: SegmentsDep) -> SegmentObject:
    """Edit; each save that changes something is a new version."""
    given = body.model_dump(exclude_unset=True)
    changes = SegmentChanges.model_validate({key: getattr(body, key) for key in given})
    return segment_object(segments.edit(segment_id, changes))


@router.delete("/v1/segments/{segment_id}", operation_id="delete_segment", response_model=SegmentDeleted,
               responses=error_responses(404, 409))
def delete_segment(
    segment_id: Text,
    segments: SegmentsDep,
    force: Annotated[bool, Query(description="delete even when referenced (the references dangle)")] = False,
) -> SegmentDeleted:
    """Delete; 409 ``segment_in_use`` while notifications or pricing rules reference it, unless ``force``."""
    saved = segments.get(segment_id)
    segments.delete(saved.id, force=force)
    return SegmentDeleted(id=saved.id)


@router.get("/v1/segments/{segment_id}/versions", operation_id="list_segment_versions",
            response_model=SegmentVersionList, responses=error_responses(404))
def list_versions(segment_id: Text, segments: SegmentsDep) -> SegmentVersionList:
    """Every saved version, oldest first."""
    return SegmentVersionList(
        data=[version_object(version) for version in segments.history(segment_id)], has_more=False
    )


@router.post("/v1/segments/{segment_id}/versions/{version}/restore", operation_id="restore_segment_version",
             response_model=SegmentObject, responses=error_responses(404))
def restore_version(segment_id: Text, version: int, segments: SegmentsDep) -> SegmentObject:
    """Make an old version current again (saved as a new version)."""
    return segment_object(segments.restore(segment_id, version))


@router.get("/v1/segments/{segment_id}/references", operation_id="get_segment_references",
            response_model=SegmentReferences, responses=error_responses(404))
def references(segment_id: Text, segments: SegmentsDep) -> SegmentReferences:
    used = segments.usage(segment_id)
    pricing_rules: dict[str, list[dict[str, Any]]] = {"test": [], "live": []}
    for entry in used.references:
        if entry["type"] == "pricing_rule":
            pricing_rules[entry["environment"]].append(
                {key: entry[key] for key in ("id", "name", "priority")})
    return SegmentReferences(
        segment=used.segment_id, active_for_members=list(used.active_for_members), pricing_rules=pricing_rules,
        notifications=[ref for ref in used.references if ref["type"] == "notification"],
        references=used.references,
    )


@router.post("/v1/segments/{segment_id}/toggle-active", operation_id="toggle_active_segment",
             response_model=ActiveSegment, responses=error_responses(404))
def toggle_active(segment_id: Text, segments: SegmentsDep) -> ActiveSegment:
    """Activate the segment for the caller, or clear it when it already is the active one."""
    active = segments.toggle_active_segment(segment_id)
    return ActiveSegment(segment=segment_object(active) if active else None)


@router.put("/v1/me/active-segment", operation_id="set_active_segment", response_model=ActiveSegment,
            responses=error_responses(404), tags=["me"])
def set_active(body: SetActiveSegment, segments: SegmentsDep) -> ActiveSegment:
    return ActiveSegment(segment=segment_object(segments.set_active_segment(body.segment)))


@router.get("/v1/me/active-segment", operation_id="get_active_segment", response_model=ActiveSegment,
            responses=error_responses(), tags=["me"])
def get_active(segments: SegmentsDep) -> ActiveSegment:
    active = segments.active_segment()
    return ActiveSegment(segment=segment_object(active) if active else None)


@router.delete("/v1/me/active-segment", operation_id="clear_active_segment", response_model=ActiveSegment,
               responses=error_responses(), tags=["me"])
def clear_active(segments: SegmentsDep) -> ActiveSegment:
    segments.clear_active_segment()
    return ActiveSegment(segment=None)


# ---------------------------------------------------------------------- per environment


@router.post("/v1/{environment}/segments/preview", operation_id="preview_segment", response_model=Preview,
             responses=error_responses(404))
def preview(environment: Environment, body: UnsavedCondition, segments: SegmentsDep) -> Preview:
    """Count and a sample of an unsaved condition's members."""
    found = segments.preview(_unsaved(body), environment, sample=body.sample)
    return Preview(count=found.count.n, path=found.count.method, sample=found.sample, errors=found.count.errors)


@router.post("/v1/{environment}/segments/{segment_id}/evaluate", operation_id="evaluate_segment",
             response_model=Evaluation, responses=error_responses(404))
def evaluate(environment: Environment, segment_id: Text, body: EvaluationRequest, segments: SegmentsDep) -> Response:
    """The saved segment for one customer now (with the explanation's steps when ``explain``)."""
    result = segments.evaluate(segment_id, body.customer_id, environment, explain=body.explain)
    return model_response(Evaluation(
        segment=result.segment_id,
        segment_version=result.segment_version,
        customer_id=result.customer_id,
        environment=result.environment,
        matched=result.matched,
        value=result.value,
        error=result.error,
        reason=result.reason,
        steps=[EvaluationStep(line=s.line, column=s.column, source=s.source, value=s.value) for s in result.steps],
    ))


@router.get("/v1/{environment}/segments/{segment_id}/members", operation_id="list_segment_members",
            response_model=SegmentMemberList, responses=error_responses(404))
def list_members(
    environment: Environment,
    segment_id: Text,
    segments: SegmentsDep,
    customers: CustomersDep,
    limit: Annotated[int, Query(ge=1, le=MAX_MEMBER_LIMIT, description="page size (1-1000)")] = 20,
    starting_after: StartingAfter = None,
    expand: Annotated[list[Literal["customer"]] | None, Query(description="`customer`: the customers themselves")] = None,
) -> SegmentMemberList:
    """The members' customer ids in id order, keyset-paged (``expand=customer``: the customers themselves)."""
    if expand:
        return _expanded_members(environment, segment_id, customers, limit, starting_after)
    page = segments.members(segment_id, environment, cursor=starting_after, page_size=limit)
    data = [SegmentMember(id=cid, customer=cid) for cid in page.ids]
    return SegmentMemberList(data=data, has_more=page.next_cursor is not None)


def _expanded_members(
    environment: str, segment_id: str, customers: CustomerService, limit: int, after: str | None
) -> SegmentMemberList:
    """The same keyset walk through the customer list filtered by the segment, 100 customers a read."""
    data: list[SegmentMember] = []
    has_more = True
    while has_more and len(data) < limit:
        page = customers.list(environment, segment=segment_id, starting_after=after, limit=min(MAX_LIMIT, limit - len(data)))
        data += [SegmentMember(id=c["id"], customer=c) for c in page.data]
        has_more = page.has_more
        after = data[-1].id if data else after
    return SegmentMemberList(data=data, has_more=has_more)


@router.get("/v1/{environment}/segments/{segment_id}/count", operation_id="count_segment_members",
            response_model=MemberCount, responses=error_responses(404))
def count(environment: Environment, segment_id: Text, segments: SegmentsDep) -> MemberCount:
    counted = segments.count(segment_id, environment)
    return MemberCount(count=counted.n, path=counted.method, errors=counted.errors, last_error=counted.last_error)


@router.post("/v1/{environment}/segments/{segment_id}/change-preview", operation_id="preview_segment_change",
             response_model=ChangePreview, responses=error_responses(404))
def change_preview(
    environment: Environment, segment_id: Text, body: UnsavedCondition, segments: SegmentsDep
) -> ChangePreview:
    """Who would enter and who would leave if the segment's condition became the proposed one."""
    changed = segments.change_preview(segment_id, _unsaved(body), environment)
    return ChangePreview(
        entering=ChangeSide(count=len(changed.entered), sample=changed.entered[: body.sample]),
        leaving=ChangeSide(count=len(changed.left), sample=changed.left[: body.sample]),
    )


