"""Who may do what: the roles of product.md §2 mapped to the service's actions (one table, one check).

An API key acts with its own role (admin, editor or viewer) in its environment only; a member's session acts
with the member's role in both environments.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from segmentr.service.errors import PermissionDenied

__all__ = ["ALLOWED_ROLES", "Action", "require"]


class Action(StrEnum):
    """What a caller asks the service to do; the value reads in an error message."""

    # list, show, history, usage, validate, evaluate, members, count, preview, change preview
    READ_SEGMENTS = "read segments"
    # create, edit, delete, restore
    EDIT_SEGMENTS = "create, edit, delete or restore segments"
    # set / clear / toggle the member's own active segment: a view filter, not a change to shared data
    CHOOSE_ACTIVE_SEGMENT = "choose their active segment"
    # list, show, export, entitlements, margin, usage check (a check changes nothing)
    READ_CUSTOMERS = "read customers"
    # create, replace, change, remove, import, topups
    EDIT_CUSTOMERS = "create, change, import or remove customers"
    RECORD_USAGE = "record usage"
    READ_POLICY = "read the policy"
    # a new version, a restore: prices and limits are the business's, not an editor's
    EDIT_POLICY = "change the policy"
    READ_MEMBERS = "read members"
    # invite, change roles, remove (ownership: owners only, see service/members.py)
    MANAGE_MEMBERS = "invite, change or remove members"
    READ_KEYS = "read API keys"
    # list, show, history of pricing rules; a customer's prices and their explanation
    READ_PRICING = "read pricing rules and prices"
    # create, edit, delete rules; a customer's own price overrides: prices are the business's, like the policy
    EDIT_PRICING = "create, edit or delete pricing rules and price overrides"
    MANAGE_KEYS = "create or revoke API keys"


EVERYONE = ("owner", "admin", "editor", "viewer")
EDITORS = ("owner", "admin", "editor")
ADMINS = ("owner", "admin")

ALLOWED_ROLES: dict[Action, tuple[str, ...]] = {
    Action.READ_SEGMENTS: EVERYONE,
    Action.EDIT_SEGMENTS: EDITORS,
    Action.CHOOSE_ACTIVE_SEGMENT: EVERYONE,
    Action.READ_CUSTOMERS: EVERYONE,
    Action.EDIT_CUSTOMERS: EDITORS,
    Action.RECORD_USAGE: EDITORS,
    Action.READ_POLICY: EVERYONE,
    Action.EDIT_POLICY: ADMINS,
    Action.READ_MEMBERS: EVERYONE,
    Action.MANAGE_MEMBERS: ADMINS,
    Action.READ_KEYS: EVERYONE,
    Action.MANAGE_KEYS: ADMINS,
    Action.READ_PRICING: EVERYONE,
    Action.EDIT_PRICING: ADMINS,
}


class _Acting(Protocol):
    @property
    def role(self) -> str: ...


def _label(actor: object) -> str:
    return str(getattr(actor, "label", None) or getattr(actor, "email", None) or "caller")


def require(actor: _Acting, action: Action) -> None:
    """Raise ``PermissionDenied`` unless the actor's role allows ``action`` (an ``Actor`` or a store ``Member``)."""
    allowed = ALLOWED_ROLES[action]
    if actor.role not in allowed:
        raise PermissionDenied(_label(actor), actor.role, str(action), allowed)
