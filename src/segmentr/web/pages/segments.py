"""The Customer Segments list: rows with counts loaded after the page, Set/Clear Active, Delete with a
confirmation naming where the segment is used."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from segmentr import errors

from ..rendering import render
from ..session_cookies import flash
from ..signed_in import check_csrf, read_form, viewer
from ..templating import templates

router = APIRouter(include_in_schema=False)


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.get("/segments", name="segments_page")
def segments_page(request: Request) -> Response:
    seen = viewer(request)
    service = seen.segments()
    active = service.active_segment()
    rows = [{"segment": segment, "usage": service.usage(segment.id), "updated": when(segment.updated_at)}
            for segment in service.segments()]  # fmt: skip
    layout = seen.layout("Customer Segments", "segments", active=active)
    context = {"rows": rows, "active_id": active.id if active else None}
    return render(templates, request, "segments.html", layout=layout, context=context)


@router.get("/segments/{segment_id}/count", name="segment_count")
def segment_count(request: Request, segment_id: str) -> Response:
    """The member count in the current environment: a fragment the list loads after the page."""
    seen = viewer(request)
    try:
        counted = seen.segments().count(segment_id, seen.environment)
    except errors.SegmentrError:
        return HTMLResponse('<span class="muted">—</span>')
    text = f"{counted.n:,}"
    failed = f' <span class="badge badge--warning">{counted.errors:,} failed</span>' if counted.errors else ""
    return HTMLResponse(f'<span class="num" data-count="{counted.n}">{text}</span>{failed}')


@router.post("/segments/{segment_id}/active", name="segment_toggle_active")
async def toggle_active(request: Request, segment_id: str) -> Response:
    """Set Active, or Clear Active on the active one (product.md §7)."""
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    active = seen.segments().toggle_active_segment(segment_id)
    target = (form.get("next") or ["/segments"])[0]
    response = RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/segments",
                                status_code=303)  # fmt: skip
    message = f"“{active.name}” is now active: it filters customers, margin and usage." if active else (
        "No active segment: every customer is shown.")
    flash(response, "success", message, request=request)
    return response


@router.get("/segments/{segment_id}/delete", name="segment_delete_confirm")
def delete_confirm(request: Request, segment_id: str) -> Response:
    seen = viewer(request)
    service = seen.segments()
    segment = service.get(segment_id)
    usage = service.usage(segment.id)
    layout = seen.layout(f"Delete “{segment.name}”?", "segments")
    return render(templates, request, "segment_delete.html", layout=layout,
                  context={"segment": segment, "usage": usage})  # fmt: skip


@router.post("/segments/{segment_id}/delete", name="segment_delete")
async def delete(request: Request, segment_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    service = seen.segments()
    segment = service.get(segment_id)
    service.delete(segment.id, force=True)  # the confirmation page listed what references it
    response = RedirectResponse("/segments", status_code=303)
    flash(response, "success", f"Segment “{segment.name}” deleted.", request=request)
    return response
