"""The Alerts feed of the environment shown: New / Seen / Resolved / All (New by default), newest first; opening an
alert shows its detail (the numbers, a % of limit bar, the raw event, collapsed) and marks it Seen; Resolve (CSRF).
Live: the page listens to ``GET /v1/{environment}/alerts/stream`` (the session cookie authenticates it) and, on
each alert, fetches the feed fragment again (``alerts.js``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors
from segmentr.service import ALERT_STATES, Action, permits

from ..page_errors import PageRoute
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, field, read_form, viewer
from ..templating import templates
from .segments import when

router = APIRouter(include_in_schema=False, route_class=PageRoute)

BASE = "/notifications/alerts"
FEED_SIZE = 50
STATE_LABELS = {"new": "New", "seen": "Seen", "resolved": "Resolved", "all": "All"}
STATE_TONES = {"new": "accent", "seen": "neutral", "resolved": "success"}
FACTS = (("credit", "Credit"), ("entitlement", "Entitlement"), ("plan", "Plan"), ("previous", "Previous value"),
         ("current", "Current value"), ("limit", "Limit"), ("remaining", "Remaining"), ("overage", "Overage"))  # fmt: skip


def _state(state: str) -> str:
    return state if state in ALERT_STATES else "new"


def feed_url(state: str, alert: str | None = None, *, after: str | None = None, fragment: bool = False) -> str:
    query = {"state": state, **({"after": after} if after else {}), **({"alert": alert} if alert else {})}
    return f"{BASE}{'/feed' if fragment else ''}?{urlencode(query)}"


def _item(alert: Any, state: str, opened: str | None, after: str | None = None) -> dict[str, Any]:
    return {"alert": alert, "when": when(alert.created_at), "href": feed_url(state, alert.id, after=after),
            "current": alert.id == opened, "tone": STATE_TONES.get(alert.state.value, "neutral")}  # fmt: skip


def _whole(value: Any) -> Any:
    """7.0 reads as 7; other values as they are."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _detail(alert: Any, notification_name: str | None) -> dict[str, Any]:
    detail = alert.detail
    facts = [(label, _whole(getattr(detail, key))) for key, label in FACTS if getattr(detail, key) not in (None, "")]
    raw = {"event": dict(detail.event), "customer": dict(detail.customer)} if detail.customer else dict(detail.event)
    return {
        "alert": alert, "when": when(alert.created_at), "seen": when(alert.seen_at), "resolved": when(alert.resolved_at),
        "facts": facts, "percent": detail.percent_of_limit, "current": _whole(detail.current), "limit": _whole(detail.limit),
        "raw": json.dumps(raw or asdict(detail), indent=2, sort_keys=True, default=str),
        "notification_name": notification_name, "tone": STATE_TONES.get(alert.state.value, "neutral"),
    }  # fmt: skip


def _feed_context(seen: Viewer, state: str, opened: str | None, after: str | None = None) -> dict[str, Any]:
    """One page of the feed, newest first (``after``: the last alert of the page before, keyset)."""
    alerts = seen.services.alerts(seen.actor)
    page = alerts.list(seen.environment, state=state, starting_after=after, limit=FEED_SIZE)
    new = page if state == "new" and not after else alerts.list(seen.environment, state="new", limit=100)
    items = [_item(alert, state, opened, after) for alert in page.data]
    older = feed_url(state, after=page.data[-1].id) if page.has_more and page.data else None
    return {"state": state, "items": items, "has_more": page.has_more, "new_count": len(new.data),
            "new_more": new.has_more, "states": STATE_LABELS, "environment": seen.environment, "after": after,
            "older_url": older, "newest_url": feed_url(state) if after else None,
            "refresh_url": feed_url(state, opened, after=after, fragment=True)}  # fmt: skip


def _open(seen: Viewer, alert_id: str) -> dict[str, Any]:
    """The alert's detail; opening a New one marks it Seen (for a role that may manage alerts)."""
    alerts = seen.services.alerts(seen.actor)
    alert = alerts.get(seen.environment, alert_id)
    if alert.state.value == "new" and permits(seen.actor, Action.MANAGE_ALERTS):
        alert = alerts.seen(seen.environment, alert_id)
    name = None
    if alert.notification_id:
        try:
            name = seen.services.notifications(seen.actor).get(alert.notification_id).notification.name
        except errors.NotFound:
            name = None  # deleted since: the alert stays
    return _detail(alert, name)


@router.get(BASE, name="alerts_page")
def alerts_page(request: Request, state: str = "new", alert: str | None = None, after: str | None = None
                ) -> Response:  # fmt: skip
    seen = viewer(request)
    state = _state(state)
    opened = _open(seen, alert) if alert else None
    context = _feed_context(seen, state, alert, after)
    if opened is not None and all(item["alert"].id != alert for item in context["items"]):
        # opening it moved it out of this view (New → Seen): it stays listed, marked, until the feed is redrawn
        context["items"] = sorted([*context["items"], _item(opened["alert"], state, alert, after)],
                                  key=lambda item: (-item["alert"].created_at, item["alert"].id))
    context.update(opened=opened, can_manage=permits(seen.actor, Action.MANAGE_ALERTS), tab="alerts",
                   stream_url=f"/v1/{seen.environment}/alerts/stream")  # fmt: skip
    title = "Alerts"
    return render(templates, request, "alerts.html", layout=seen.layout(title, "notifications"), context=context)


@router.get(f"{BASE}/feed", name="alerts_feed")
def alerts_feed(request: Request, state: str = "new", alert: str | None = None, after: str | None = None
                ) -> Response:  # fmt: skip
    """The feed's list and counts (htmx swaps it in when an alert arrives)."""
    seen = viewer(request)
    context = _feed_context(seen, _state(state), alert, after)
    return render(templates, request, "_alerts_feed.html", context=context)


@router.post(f"{BASE}/{{alert_id}}/resolve", name="alert_resolve")
async def resolve(request: Request, alert_id: str) -> Response:
    seen = viewer(request)
    form = await read_form(request)
    check_csrf(request, seen, form)
    resolved = seen.services.alerts(seen.actor).resolve(seen.environment, alert_id)
    state = _state(field(form, "state", "new"))
    response = RedirectResponse(feed_url(state, alert_id), status_code=303)
    flash(response, "success", f"Alert “{resolved.title}” resolved.", request=request)
    return response
