"""What the layout shows around every page: workspace, environment, member, navigation, active segment, flashes.

Pages build these from the service's answers; templates only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Environment = Literal["test", "live"]
ENVIRONMENTS: tuple[Environment, ...] = ("test", "live")
FlashKind = Literal["success", "info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class NavItem:
    """One navigation link; ``key`` is what a page names as its section to be marked current."""

    key: str
    label: str
    href: str
    icon: str


@dataclass(frozen=True, slots=True)
class NavGroup:
    heading: str
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavGroup, ...] = (
    NavGroup("Segments", (
        NavItem("segments", "Customer Segments", "/segments", "segments"),
        NavItem("customers", "Customers", "/customers", "customers"),
        NavItem("margin", "Margin", "/margin", "margin"),
        NavItem("usage", "Usage", "/usage", "usage"),
    )),
    NavGroup("Operations", (
        NavItem("notifications", "Notifications", "/notifications", "notifications"),
        NavItem("pricing-rules", "Pricing rules", "/policy/pricing-rules", "pricing"),
    )),
    NavGroup("Settings", (
        NavItem("policy", "Policy", "/policy", "policy"),
        NavItem("members", "Members", "/members", "members"),
        NavItem("api-keys", "API keys", "/api-keys", "keys"),
    )),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Flash:
    """A one-time message shown at the top of the next page (after a redirect)."""

    kind: FlashKind
    message: str


@dataclass(frozen=True, slots=True)
class MemberView:
    email: str
    name: str | None = None
    role: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def initials(self) -> str:
        words = (self.name or self.email.split("@", 1)[0]).replace(".", " ").replace("_", " ").split()
        return "".join(word[0] for word in words[:2]).upper() or "?"


@dataclass(frozen=True, slots=True)
class ActiveSegmentView:
    """The member's active segment; ``clear_url`` takes a POST that clears it (product.md §7)."""

    id: str
    name: str
    clear_url: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything ``base.html`` shows around a page's content."""

    title: str
    workspace: str
    environment: Environment = "live"
    section: str | None = None
    member: MemberView | None = None
    active_segment: ActiveSegmentView | None = None
    flashes: tuple[Flash, ...] = ()
    navigation: tuple[NavGroup, ...] = field(default=NAVIGATION)
    environment_url: str = "/environment"
    sign_out_url: str | None = "/sign-out"
    # the session's CSRF token: forms carry it as a field, htmx and the editor's fetches as X-CSRF-Token
    csrf_token: str | None = None

    @property
    def workspace_initial(self) -> str:
        return (self.workspace[:1] or "?").upper()


__all__ = [
    "ENVIRONMENTS",
    "NAVIGATION",
    "ActiveSegmentView",
    "Environment",
    "Flash",
    "FlashKind",
    "Layout",
    "MemberView",
    "NavGroup",
    "NavItem",
]
