"""Policy settings: the live policy of the environment shown (credits, plans, entitlements, topups), its
versions, the difference between two versions, and restore (owners and admins; CSRF; a confirmation first)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from segmentr import errors
from segmentr.service import Action, permits

from ..page_errors import PageRoute
from ..rendering import render
from ..session_cookies import flash
from ..signed_in import Viewer, check_csrf, read_form, viewer
from ..templating import templates
from .policy_view import policy_diff, policy_view
from .segments import when

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _versions(seen: Viewer) -> list[dict[str, Any]]:
    """Newest first, each with its date; the first is the live one."""
    summaries = seen.services.policies(seen.actor).versions(seen.environment)
    return [{"version": s.version, "when": when(s.created_at), "live": i == 0}
            for i, s in enumerate(reversed(summaries))]  # fmt: skip


def _can_edit(seen: Viewer) -> bool:
    return permits(seen.actor, Action.EDIT_POLICY)


@router.get("/policy", name="policy_page")
def policy_page(request: Request) -> Response:
    seen = viewer(request)
    versions = _versions(seen)
    context: dict[str, Any] = {"versions": versions, "can_edit": _can_edit(seen), "shown": None, "view": None}
    if versions:
        current = seen.services.policies(seen.actor).current(seen.environment)
        context.update(shown=current.version, when=when(current.created_at), view=policy_view(current.document))
    layout = seen.layout("Policy", "policy")
    return render(templates, request, "policy.html", layout=layout, context=context)


@router.get("/policy/versions/{version}", name="policy_version_page")
def policy_version_page(request: Request, version: int) -> Response:
    seen = viewer(request)
    versions = _versions(seen)
    found = seen.services.policies(seen.actor).version(seen.environment, version)
    context = {"versions": versions, "can_edit": _can_edit(seen), "shown": found.version,
               "when": when(found.created_at), "view": policy_view(found.document)}  # fmt: skip
    live = bool(versions) and versions[0]["version"] == found.version
    layout = seen.layout(f"Policy version {found.version}" + (" (live)" if live else ""), "policy")
    return render(templates, request, "policy.html", layout=layout, context=context)


@router.get("/policy/diff", name="policy_diff_page")
def policy_diff_page(request: Request, base: int | None = None, to: int | None = None) -> Response:
    """``?base=2&to=5``: what changed from version 2 to version 5 (default: the previous version to the live one)."""
    seen = viewer(request)
    policies = seen.services.policies(seen.actor)
    versions = _versions(seen)
    if not versions:
        raise errors.NotFound(f"the {seen.environment} environment has no policy yet")
    to = to if to is not None else versions[0]["version"]
    base = base if base is not None else (versions[1]["version"] if len(versions) > 1 else to)
    old, new = policies.version(seen.environment, base), policies.version(seen.environment, to)
    changes = policy_diff(old.document, new.document)
    context = {"versions": versions, "base": old.version, "to": new.version, "changes": changes,
               "can_edit": _can_edit(seen), "live": versions[0]["version"]}  # fmt: skip
    layout = seen.layout(f"Policy: version {old.version} → {new.version}", "policy")
    return render(templates, request, "policy_diff.html", layout=layout, context=context)


@router.get("/policy/versions/{version}/restore", name="policy_restore_confirm")
def restore_confirm(request: Request, version: int) -> Response:
    seen = viewer(request)
    policies = seen.services.policies(seen.actor)
    old = policies.version(seen.environment, version)
    live = policies.current(seen.environment)
    context = {"version": old.version, "live": live.version, "changes": policy_diff(live.document, old.document),
               "can_edit": _can_edit(seen)}  # fmt: skip
    layout = seen.layout(f"Restore policy version {old.version}?", "policy")
    return render(templates, request, "policy_restore.html", layout=layout, context=context)


@router.post("/policy/versions/{version}/restore", name="policy_restore")
async def restore(request: Request, version: int) -> Response:
    seen = viewer(request)
    check_csrf(request, seen, await read_form(request))
    saved = seen.services.policies(seen.actor).restore(seen.environment, version)
    response = RedirectResponse("/policy", status_code=303)
    flash(response, "success",
          f"Version {version} restored as version {saved.version}: the {seen.environment} environment uses it now.",
          request=request)  # fmt: skip
    return response
