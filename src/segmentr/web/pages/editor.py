"""The segment editor (new and edit): Simple rows or Advanced Stof, templates, the live preview, Test customer,
the change preview before saving an edit, history with restore.

Every button posts the whole form with an ``intent`` (``simple``, ``advanced``, ``add``, ``remove-N``,
``template``, ``save``), so the editor works without scripts; htmx only makes the preview and the generated
Stof live.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors
from segmentr.service import SegmentChanges, SegmentInput
from segmentr.service import templates as condition_templates

from ..page_errors import PageRoute
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, field, read_form, viewer
from ..templating import templates
from .editor_form import OPERATORS, ROW_TYPES, Draft, RowField, draft_of, read_draft, switch_mode
from .segments import when
from .vocabulary import editor_vocabulary, plan_names

router = APIRouter(include_in_schema=False, route_class=PageRoute)
SAMPLE = 8


def _editor(request: Request, seen: Viewer, draft: Draft, *, segment_id: str | None,
            problems: list[str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    service = seen.segments()
    segment = service.get(segment_id) if segment_id else None
    history = [
        {"version": version.version, "when": when(getattr(version, "created_at", None)),
         "by": getattr(version, "created_by", None) or "—", "condition": version.condition}
        for version in reversed(service.history(segment_id))
    ] if segment_id else []  # fmt: skip
    generated = draft.source() if draft.mode == "simple" else None
    if problems and draft.mode == "simple":
        draft.valid_rows(strict=True)  # after a refused save every incomplete row says why
    title = f"Edit “{segment.name}”" if segment else "New segment"
    context: dict[str, Any] = {
        "draft": draft, "segment": segment, "problems": problems or [], "history": history,
        "generated": generated, "row_types": ROW_TYPES, "operators": OPERATORS,
        "plans": plan_names(seen.services, seen.actor), "templates": condition_templates(),
        "vocabulary": editor_vocabulary(seen.services, seen.actor),
        "action": f"/segments/{segment.id}/edit" if segment else "/segments/new",
    }  # fmt: skip
    return render(templates, request, "segment_editor.html", layout=seen.layout(title, "segments"),
                  context=context, status_code=status_code)  # fmt: skip


@router.get("/segments/new", name="segment_new")
def new_segment(request: Request) -> Response:
    seen = viewer(request)
    return _editor(request, seen, Draft(rows=[RowField()]), segment_id=None)


@router.get("/segments/{segment_id}/edit", name="segment_edit")
def edit_segment(request: Request, segment_id: str) -> Response:
    seen = viewer(request)
    segment = seen.segments().get(segment_id)
    return _editor(request, seen, draft_of(segment), segment_id=segment.id)


@router.post("/segments/new", name="segment_new_submit")
async def new_submit(request: Request) -> Response:
    return await _submit(request, None)


@router.post("/segments/{segment_id}/edit", name="segment_edit_submit")
async def edit_submit(request: Request, segment_id: str) -> Response:
    return await _submit(request, segment_id)


def _problem_texts(exc: errors.SegmentrError) -> list[str]:
    problems = getattr(exc, "problems", None) or []
    texts = []
    for problem in problems:
        where = f"line {problem.line}, column {problem.column}: " if getattr(problem, "line", None) else ""
        label = f"{problem.field}: " if getattr(problem, "field", None) and not where else ""
        texts.append(f"{label}{where}{problem.message}")
    return texts or [str(exc)]


async def _submit(request: Request, segment_id: str | None) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    draft = read_draft(form)
    intent = field(form, "intent", "save")
    if intent in ("simple", "advanced"):
        switch_mode(draft, intent)
    elif intent == "add":
        draft.rows.append(RowField())
    elif intent.startswith("remove-"):
        index = int(intent.removeprefix("remove-") or -1) if intent.removeprefix("remove-").isdigit() else -1
        if 0 <= index < len(draft.rows):
            del draft.rows[index]
    elif intent == "template":
        chosen = {template.key: template for template in condition_templates()}.get(field(form, "template"))
        if chosen is not None:
            draft.mode, draft.condition = "advanced", chosen.code
            draft.notice = f"Template “{chosen.name}” applied: adjust it, then save."
    elif intent == "save":
        return _save(request, seen, draft, segment_id)
    return _editor(request, seen, draft, segment_id=segment_id)


def _save(request: Request, seen: Viewer, draft: Draft, segment_id: str | None) -> Response:
    service = seen.segments()
    description = draft.description.strip() or None
    rows = draft.valid_rows(strict=True) if draft.mode == "simple" else None
    if draft.mode == "simple" and rows is None:
        problems = ["Complete every condition row (or remove it) before saving."]
        return _editor(request, seen, draft, segment_id=segment_id, problems=problems, status_code=422)
    try:
        if segment_id is None:
            saved = service.create(SegmentInput(name=draft.name.strip(), description=description,
                                                condition=None if rows else draft.condition, simple=rows))
        else:
            saved = service.edit(segment_id, SegmentChanges(
                name=draft.name.strip(), description=description,
                **({"simple": rows} if rows else {"condition": draft.condition, "mode": "advanced"}),
            ))  # fmt: skip
    except (errors.InvalidInput, errors.Conflict) as exc:
        return _editor(request, seen, draft, segment_id=segment_id, problems=_problem_texts(exc), status_code=422)
    response = RedirectResponse("/segments", status_code=303)
    flash(response, "success", f"Segment “{saved.name}” saved (version {saved.version}).", request=request)
    return response


@router.post("/segments/editor/live", name="segment_editor_live")
async def live(request: Request) -> Response:
    """The live preview (count and sample in the current environment), the generated Stof, and for an edit
    who would enter and leave."""
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    draft = read_draft(form)
    source = draft.source()
    segment_id = field(form, "segment_id") or None
    context: dict[str, Any] = {"draft": draft, "generated": source if draft.mode == "simple" else None,
                               "preview": None, "message": None, "change": None, "environment": seen.environment}
    service = seen.segments()
    if not source or not source.strip():
        context["message"] = "Complete the condition to see who matches."
    else:
        try:
            context["preview"] = service.preview(source, seen.environment, sample=SAMPLE)
            if segment_id:
                context["change"] = service.change_preview(segment_id, source, seen.environment)
        except errors.SegmentrError:
            context["message"] = "Fix the condition to see who matches."
    return render(templates, request, "_editor_live.html", context=context)


@router.post("/segments/editor/test", name="segment_editor_test")
async def test_customer(request: Request) -> Response:
    """Test customer: the draft for one customer, matched or not, with the per-clause explanation."""
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    draft = read_draft(form)
    source = draft.source()
    customer_id = field(form, "customer_id").strip()
    context: dict[str, Any] = {"result": None, "message": None, "customer_id": customer_id}
    if not customer_id:
        context["message"] = "Enter a customer id to test."
    elif not source:
        context["message"] = "Complete the condition first."
    else:
        try:
            context["result"] = seen.segments().evaluate_condition(source, customer_id, seen.environment)
        except errors.NotFound:
            context["message"] = f"No customer “{customer_id}” in {seen.environment}."
        except errors.SegmentrError:
            context["message"] = "Fix the condition first."
    return render(templates, request, "_editor_test.html", context=context)


@router.post("/segments/{segment_id}/versions/{version}/restore", name="segment_restore")
async def restore(request: Request, segment_id: str, version: int) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    saved = seen.segments().restore(segment_id, version)
    response = RedirectResponse(f"/segments/{saved.id}/edit", status_code=303)
    flash(response, "success", f"Version {version} restored as version {saved.version}.", request=request)
    return response
