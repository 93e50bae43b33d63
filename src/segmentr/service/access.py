"""Who may do what: the member roles of product.md §2 mapped to the service's actions (one table, one check)."""

from __future__ import annotations

from enum import StrEnum

from segmentr.service.errors import PermissionDenied
from segmentr.store import Member

__all__ = ["ALLOWED_ROLES", "Action", "require"]


class Action(StrEnum):
    """What a member asks the segment service to do; the value reads in an error message."""

    # list, show, history, usage, validate, evaluate, members, count, preview, change preview
    READ_SEGMENTS = "read segments"
    # create, edit, delete, restore
    EDIT_SEGMENTS = "create, edit, delete or restore segments"
    # set / clear / toggle the member's own active segment: a view filter, not a change to shared data
    CHOOSE_ACTIVE_SEGMENT = "choose their active segment"


ALLOWED_ROLES: dict[Action, tuple[str, ...]] = {
    Action.READ_SEGMENTS: ("owner", "admin", "editor", "viewer"),
    Action.EDIT_SEGMENTS: ("owner", "admin", "editor"),
    Action.CHOOSE_ACTIVE_SEGMENT: ("owner", "admin", "editor", "viewer"),
}


def require(member: Member, action: Action) -> None:
    """Raise ``PermissionDenied`` unless the member's role allows ``action``."""
    allowed = ALLOWED_ROLES[action]
    if member.role not in allowed:
        raise PermissionDenied(member.email, member.role, str(action), allowed)
