"""Notifications: the workspace's subscriptions (what they listen to, their segment, condition and channels,
flagged when their segment was deleted), create and edit (the condition in the CodeMirror editor, validated live
against the notification vocabulary), send a test, delete (a confirmation). Editors and up write; everyone reads.
The Alerts feed is ``alerts.py``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from segmentr import errors
from segmentr.service import ENVIRONMENTS, NOTIFICATION_EVENT_TYPES, Action, NotificationView, permits

from ..page_errors import PageRoute, message_of
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, field, read_form, viewer
from ..templating import templates
from .segments import when
from .vocabulary import editor_vocabulary

router = APIRouter(include_in_schema=False, route_class=PageRoute)

BASE = "/notifications"
MAX_LISTED = 100  # one page of the service; a workspace with more is paged by the API
EVENT_HELP = {
    "meter-changed": "any usage recorded", "meter-overage": "usage past the limit",
    "meter-limit": "a call refused at a hard limit", "meter-reset": "a meter reset for a new period",
    "customer-set": "a customer created or changed", "customer-plan-changed": "a customer's plan changed",
    "customer-topup-granted": "a topup granted", "segment-entered": "a customer entered the segment",
    "segment-exited": "a customer left the segment",
}  # fmt: skip
CHANNEL_LABELS = {"in_app": "In-app alert", "webhook": "Webhook", "email": "Email", "slack": "Slack"}
ENVIRONMENT_CHOICES = (*ENVIRONMENTS, "both")


def _can_edit(seen: Viewer) -> bool:
    return permits(seen.actor, Action.EDIT_NOTIFICATIONS)


def _segments(seen: Viewer) -> dict[str, str]:
    return {segment.id: segment.name for segment in seen.segments().segments()}


def channel_text(channel: Any) -> str:
    if channel.type == "webhook":
        return f"Webhook {channel.url}" + (" (disabled: the endpoint is gone)" if channel.disabled else "")
    if channel.type == "slack":
        return f"Slack {channel.url}"
    if channel.type == "email":
        return "Email " + ", ".join(channel.to)
    return CHANNEL_LABELS.get(channel.type, channel.type)


def _row(view: NotificationView, names: dict[str, str]) -> dict[str, Any]:
    notification = view.notification
    return {
        "n": notification, "segment_name": names.get(notification.segment or ""), "updated": when(view.updated_at),
        "segment_deleted": view.segment_deleted, "channels": [channel_text(c) for c in notification.channels],
        "errors": view.error_count, "last_error": view.last_error,
    }  # fmt: skip


@router.get(BASE, name="notifications_page")
def notifications_page(request: Request) -> Response:
    seen = viewer(request)
    names = _segments(seen)
    listed = seen.services.notifications(seen.actor).list(limit=MAX_LISTED)
    new_alerts = seen.services.alerts(seen.actor).list(seen.environment, state="new", limit=100)
    context = {"rows": [_row(view, names) for view in listed.data], "has_more": listed.has_more,
               "can_edit": _can_edit(seen), "new_count": len(new_alerts.data), "new_more": new_alerts.has_more,
               "tab": "subscriptions"}  # fmt: skip
    return render(templates, request, "notifications.html", layout=seen.layout("Notifications", "notifications"),
                  context=context)  # fmt: skip


# ---------------------------------------------------------------------------------------------- the form


def _vocabulary(seen: Viewer) -> dict[str, Any]:
    vocabulary = editor_vocabulary(seen.services, seen.actor)
    event = {"name": "event", "doc": "the event that fired",
             "fields": [{"name": n, "type": t, "doc": d} for n, t, d in seen.services.notifications(seen.actor).event_fields()]}  # fmt: skip
    vocabulary["variables"] = [event, *vocabulary["variables"]]
    return vocabulary


def _form_of(view: NotificationView | None) -> dict[str, Any]:
    if view is None:
        return {"name": "", "description": "", "environment": "both", "events": ["meter-overage"], "segment": "",
                "condition": "", "in_app": True, "webhooks": "", "emails": "", "slack": "", "enabled": True}  # fmt: skip
    n = view.notification
    by_type: dict[str, list[Any]] = {}
    for channel in n.channels:
        by_type.setdefault(channel.type, []).append(channel)
    return {
        "name": n.name, "description": n.description, "environment": n.environment, "events": list(n.events),
        "segment": n.segment or "", "condition": n.condition or "", "in_app": "in_app" in by_type,
        "webhooks": "\n".join(c.url for c in by_type.get("webhook", [])),
        "emails": ", ".join(address for c in by_type.get("email", []) for address in c.to),
        "slack": by_type.get("slack", [None])[0].url if by_type.get("slack") else "", "enabled": n.enabled,
    }  # fmt: skip


def _read_form(form: dict[str, list[str]], current: NotificationView | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the form shows again, the notification's fields). Webhooks keep their secrets by URL."""
    shown = {
        "name": field(form, "name").strip(), "description": field(form, "description").strip(),
        "environment": field(form, "environment", "both"), "events": form.get("events", []),
        "segment": field(form, "segment"), "condition": field(form, "condition"),
        "in_app": field(form, "in_app") == "on", "webhooks": field(form, "webhooks"),
        "emails": field(form, "emails"), "slack": field(form, "slack").strip(), "enabled": field(form, "enabled") == "on",
    }  # fmt: skip
    secrets = {c.url: c.secret for c in (current.notification.channels if current else ()) if c.type == "webhook"}
    channels: list[dict[str, Any]] = []
    for url in (line.strip() for line in shown["webhooks"].splitlines()):
        if url:
            channels.append({"type": "webhook", "url": url, **({"secret": secrets[url]} if url in secrets else {})})
    if shown["slack"]:
        channels.append({"type": "slack", "url": shown["slack"]})
    addresses = [a for a in re.split(r"[\s,;]+", shown["emails"]) if a]
    if addresses:
        channels.append({"type": "email", "to": addresses})
    if shown["in_app"]:
        channels.append({"type": "in_app"})
    fields = {"name": shown["name"], "description": shown["description"], "environment": shown["environment"],
              "events": shown["events"], "segment": shown["segment"] or None,
              "condition": shown["condition"] if shown["condition"].strip() else None, "channels": channels,
              "enabled": shown["enabled"]}  # fmt: skip
    return shown, fields


FIELD_LABELS = {"name": "Name", "events": "Events", "segment": "Segment", "condition": "Condition",
                "channels": "Channels", "environment": "Environment", "description": "Description"}  # fmt: skip


def _problems_of(exc: errors.SegmentrError) -> list[str]:
    lines = []
    for p in getattr(exc, "problems", None) or []:
        head = (p.field or "").split(".")[0]
        where = FIELD_LABELS.get(head, p.field or "")
        at = f" (line {p.line}, column {p.column})" if p.line else ""
        lines.append(f"{where}{at}: {p.message}" if where else p.message)
    return lines or [message_of(exc)]


def _form_page(request: Request, seen: Viewer, *, view: NotificationView | None, form: dict[str, Any],
               problems: list[str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    names = _segments(seen)
    segment = view.notification.segment if view else None
    if segment and segment not in names:
        names = {segment: f"{segment} (deleted)", **names}
    context = {
        "view": view, "form": form, "problems": problems or [], "segments": names, "can_edit": _can_edit(seen),
        "event_types": NOTIFICATION_EVENT_TYPES, "event_help": EVENT_HELP, "environment_choices": ENVIRONMENT_CHOICES,
        "vocabulary": _vocabulary(seen),
        "webhooks": [c for c in view.notification.channels if c.type == "webhook"] if view else [],
    }  # fmt: skip
    title = f"Edit “{view.notification.name}”" if view else "New notification"
    return render(templates, request, "notification_form.html", layout=seen.layout(title, "notifications"),
                  context=context, status_code=status_code)  # fmt: skip


@router.post(f"{BASE}/condition/validate", name="notification_condition_validate")
async def validate_condition(request: Request) -> Response:
    """The condition editor's live check, in the shape of ``POST /v1/segments/validate``, over the notification
    vocabulary (``event`` too)."""
    seen = viewer(request)
    check_csrf(request, seen)
    try:
        body = await request.json()
    except ValueError:
        body = None
    condition = body.get("condition") if isinstance(body, dict) else None
    if not isinstance(condition, str):
        return JSONResponse({"valid": False, "diagnostics": [{"severity": "error", "line": 1, "column": 1,
                             "end_line": 1, "end_column": 1, "message": "send {\"condition\": text}"}]},
                            status_code=422)  # fmt: skip
    problems = seen.services.notifications(seen.actor).check_condition(condition)
    diagnostics = [{"severity": p.severity, "line": p.line, "column": p.column, "end_line": p.end_line,
                    "end_column": p.end_column, "message": p.message} for p in problems]  # fmt: skip
    return JSONResponse({"valid": not any(p.severity == "error" for p in problems), "diagnostics": diagnostics})


@router.get(f"{BASE}/new", name="notification_new")
def new_notification(request: Request) -> Response:
    seen = viewer(request)
    return _form_page(request, seen, view=None, form=_form_of(None))


@router.post(BASE, name="notification_create")
async def create(request: Request) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    shown, fields = _read_form(form, None)
    try:
        saved = seen.services.notifications(seen.actor).create(fields)
    except errors.InvalidInput as exc:
        return _form_page(request, seen, view=None, form=shown, problems=_problems_of(exc), status_code=422)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Notification “{saved.notification.name}” created.", request=request)
    return response


@router.get(f"{BASE}/{{notification_id}}/edit", name="notification_edit_page")
def edit_page(request: Request, notification_id: str) -> Response:
    seen = viewer(request)
    view = seen.services.notifications(seen.actor).get(notification_id)
    return _form_page(request, seen, view=view, form=_form_of(view))


@router.post(f"{BASE}/{{notification_id}}/edit", name="notification_edit")
async def edit(request: Request, notification_id: str) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    service = seen.services.notifications(seen.actor)
    view = service.get(notification_id)
    shown, fields = _read_form(form, view)
    if fields["segment"] == view.notification.segment:
        del fields["segment"]  # unchanged: a notification whose segment was deleted can still be edited
    try:
        saved = service.edit(notification_id, fields)
    except errors.InvalidInput as exc:
        return _form_page(request, seen, view=view, form=shown, problems=_problems_of(exc), status_code=422)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Notification “{saved.notification.name}” saved.", request=request)
    return response


@router.post(f"{BASE}/{{notification_id}}/test", name="notification_test")
async def send_test(request: Request, notification_id: str) -> Response:
    """One test delivery on every channel, in the environment shown (the worker sends it)."""
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    service = seen.services.notifications(seen.actor)
    name = service.get(notification_id).notification.name
    sent = service.test(notification_id, environment=seen.environment)
    channels = ", ".join(CHANNEL_LABELS.get(d.channel.type, d.channel.type) for d in sent)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Test of “{name}” queued in {seen.environment} on {len(sent)} channel"
          f"{'' if len(sent) == 1 else 's'}: {channels}.", request=request)  # fmt: skip
    return response


@router.get(f"{BASE}/{{notification_id}}/delete", name="notification_delete_confirm")
def delete_confirm(request: Request, notification_id: str) -> Response:
    seen = viewer(request)
    view = seen.services.notifications(seen.actor).get(notification_id)
    context = {"row": _row(view, _segments(seen)), "can_edit": _can_edit(seen)}
    return render(templates, request, "notification_delete.html",
                  layout=seen.layout(f"Delete “{view.notification.name}”?", "notifications"), context=context)  # fmt: skip


@router.post(f"{BASE}/{{notification_id}}/delete", name="notification_delete")
async def delete(request: Request, notification_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    service = seen.services.notifications(seen.actor)
    name = service.get(notification_id).notification.name
    service.delete(notification_id)
    response = RedirectResponse(BASE, status_code=303)
    flash(response, "success", f"Notification “{name}” deleted: it no longer fires.", request=request)
    return response


# ---------------------------------------------------------------------------------------------- deliveries

DELIVERY_TONES = {"pending": "info", "delivered": "success", "failed": "danger"}
DELIVERIES_SHOWN = 50


@router.get(f"{BASE}/{{notification_id}}/deliveries", name="notification_deliveries")
def deliveries_page(request: Request, notification_id: str) -> Response:
    """The notification's newest deliveries, each with its attempts; Retry a failed or pending one."""
    seen = viewer(request)
    service = seen.services.notifications(seen.actor)
    view = service.get(notification_id)
    found = service.deliveries(notification_id, limit=DELIVERIES_SHOWN)
    channels = view.notification.channels
    rows = [{"d": d, "when": when(d.created_at), "next": when(d.next_attempt_at) if d.state == "pending" else "",
             "tone": DELIVERY_TONES.get(d.state, "neutral"),
             "channel": channel_text(channels[d.channel_index]) if d.channel_index < len(channels)
             else CHANNEL_LABELS.get(d.channel_type, d.channel_type),
             "attempts": [{"a": a, "when": when(a.at)} for a in d.attempt_log]} for d in found.data]  # fmt: skip
    context = {"view": view, "rows": rows, "has_more": found.has_more, "can_edit": _can_edit(seen)}
    return render(templates, request, "notification_deliveries.html",
                  layout=seen.layout(f"Deliveries of “{view.notification.name}”", "notifications"), context=context)  # fmt: skip


@router.post(f"{BASE}/deliveries/{{delivery_id}}/retry", name="notification_delivery_retry")
async def retry(request: Request, delivery_id: str) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    record = seen.services.notifications(seen.actor).retry(delivery_id)
    response = RedirectResponse(f"{BASE}/{record.notification_id}/deliveries", status_code=303)
    flash(response, "success", f"Delivery {record.id} is sent again now.", request=request)
    return response
