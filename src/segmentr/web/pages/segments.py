"""The Customer Segments list: rows with counts loaded after the page, Set/Clear Active, Delete with a
confirmation naming where the segment is used."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from segmentr import errors
from segmentr.service import SegmentUsage

from ..page_errors import PageRoute
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, read_form, viewer
from ..templating import templates

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.get("/segments", name="segments_page")
def segments_page(request: Request) -> Response:
    seen = viewer(request)
    service = seen.segments()
    active = service.active_segment()
    rows = [{"segment": segment, "used_by": used_by(service.usage(segment.id)), "updated": when(segment.updated_at)}
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
    layout = seen.layout(f"Delete “{segment.name}”?", "segments")
    context = {"segment": segment, "references": references_of(seen, segment.id), "labels": REFERENCE_LABELS}
    return render(templates, request, "segment_delete.html", layout=layout, context=context)


# How the confirmation names each type of referrer (singular, plural) and what deleting does to it.
REFERENCE_LABELS: dict[str, tuple[str, str, str]] = {
    "notification": ("Notification", "Notifications", "never matches anyone and is flagged “segment deleted”"),
    "pricing_rule": ("Pricing rule", "Pricing rules", "never matches anyone and is flagged “segment deleted”"),
    "member": ("Member with it as their active segment", "Members with it as their active segment",
               "sees every customer again (no active segment)"),
}


def used_by(usage: SegmentUsage) -> list[str]:
    """The list's "Used by": ``2 notifications``, ``1 pricing rule``, ``1 member (active)``."""
    counts: dict[str, int] = {}
    for item in usage.references:
        kind = str(item.get("type") or "other")
        counts[kind] = counts.get(kind, 0) + 1
    parts = []
    for kind, n in counts.items():
        singular, plural, _ = REFERENCE_LABELS.get(kind, (kind.replace("_", " "), kind.replace("_", " ") + "s", ""))
        parts.append(f"{n:,} {(singular if n == 1 else plural).lower()}")
    if usage.active_for_members:
        n = len(usage.active_for_members)
        parts.append(f"{n:,} member{'s' if n != 1 else ''} (active)")
    return parts


def references_of(seen: Viewer, segment_id: str) -> list[dict[str, Any]]:
    """Every referrer of the segment as ``{"type", "name"}`` grouped by type: the service's typed references
    (notifications, pricing rules…) and the members who have it active (by email)."""
    usage = seen.segments().usage(segment_id)
    emails = {member.public_id: member.email for member in seen.services.members(seen.actor).list()}
    found = [{"type": "member", "name": emails.get(member_id, member_id)} for member_id in usage.active_for_members]
    found += [dict(item) for item in usage.references]
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in found:
        groups.setdefault(str(item.get("type") or "other"), []).append(item)
    order = list(REFERENCE_LABELS)
    return [{"type": kind, "items": items}
            for kind, items in sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else 99)]


@router.post("/segments/{segment_id}/delete", name="segment_delete")
async def delete(request: Request, segment_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    service = seen.segments()
    segment = service.get(segment_id)
    service.delete(segment.id, force=True)  # confirmed on the page that lists its references
    response = RedirectResponse("/segments", status_code=303)
    flash(response, "success", f"Segment “{segment.name}” deleted.", request=request)
    return response
