"""``Services``: every use case of segmentr over one store, built once per process and shared by its threads.

Nothing that must agree between processes lives here: each call reads the database (a key's revocation, a
member's role, the live policy's version); the only caches are keyed by what never changes (environment ids,
loaded policies by version number), so any number of processes can serve one PostgreSQL database.
"""

from __future__ import annotations

from argon2 import PasswordHasher

from segmentr.errors import NotFound
from segmentr.service.auth import SESSION_TTL_MS, Authentication, SessionGrant, member_actor
from segmentr.service.context import Actor
from segmentr.service.customers import CustomerService
from segmentr.service.errors import NotInitialised
from segmentr.service.idempotency import Idempotency
from segmentr.service.keys import KeyService
from segmentr.service.members import MemberService
from segmentr.service.notifications import AlertService, EventService, NotificationService
from segmentr.service.policies import PolicyService
from segmentr.service.pricing import PricingService
from segmentr.service.rate_limits import RateLimits
from segmentr.service.reports import ReportCache, ReportService
from segmentr.service.segments import SegmentService
from segmentr.store import Store, Workspace

__all__ = ["Services"]


class Services:
    """The entry to the use cases: authenticate, then ask for a domain's service as that actor."""

    def __init__(
        self, store: Store, *, password_hasher: PasswordHasher | None = None, session_ttl_ms: int = SESSION_TTL_MS
    ) -> None:
        self.store = store
        self.auth = Authentication(store, hasher=password_hasher, session_ttl_ms=session_ttl_ms)
        self.idempotency = Idempotency(store)
        # the dashboard's roll-ups, checked against the database's change mark on every read (service/reports.py)
        self.report_cache = ReportCache()

    # ------------------------------------------------------------------ authentication

    def authenticate_key(self, secret: str) -> Actor:
        """The actor of an API key (``AuthenticationFailed`` for unknown, revoked or malformed ones)."""
        return self.auth.authenticate_key(secret)

    def sign_in(self, email: str, password: str) -> SessionGrant:
        return self.auth.sign_in(email, password)

    def authenticate_session(self, token: str) -> SessionGrant:
        return self.auth.authenticate_session(token)

    def sign_out(self, token: str) -> None:
        self.auth.sign_out(token)

    def accept_invitation(self, token: str, password: str, name: str = "") -> SessionGrant:
        return self.auth.accept_invitation(token, password, name)

    def local_owner(self, workspace_id: str | None = None) -> Actor:
        """The workspace's first owner (default: the default workspace): the CLI acts as it, since whoever can
        open the database owns the data anyway."""
        workspace = self.workspace(workspace_id)
        owners = [member for member in self.store.members(workspace.id) if member.role == "owner"]
        if not owners:
            raise NotFound(f"workspace {workspace.id} has no owner to act as")
        return member_actor(min(owners, key=lambda member: member.id))

    def workspace(self, workspace_id: str | None = None) -> Workspace:
        return self.store.workspace(workspace_id) if workspace_id else self.store.default_workspace()

    def check_database(self) -> None:
        """Raise ``Unavailable`` unless the database answers and has the current schema (``/healthz``)."""
        self.store.ping()
        if not self.store.is_migrated():
            raise NotInitialised("the database is not initialised: run `segmentr init` first")

    # ------------------------------------------------------------------ the domains, as an actor

    def segments(self, actor: Actor) -> SegmentService:
        return SegmentService(self.store, actor.workspace_id, actor)

    def customers(self, actor: Actor) -> CustomerService:
        return CustomerService(self.store, actor)

    def policies(self, actor: Actor) -> PolicyService:
        return PolicyService(self.store, actor)

    def members(self, actor: Actor) -> MemberService:
        return MemberService(self.store, actor, self.auth)

    def keys(self, actor: Actor) -> KeyService:
        return KeyService(self.store, actor)

    def pricing(self, actor: Actor) -> PricingService:
        return PricingService(self.store, actor)

    def notifications(self, actor: Actor) -> NotificationService:
        return NotificationService(self.store, actor)

    def alerts(self, actor: Actor) -> AlertService:
        return AlertService(self.store, actor)

    def events(self, actor: Actor) -> EventService:
        return EventService(self.store, actor)
    # ------------------------------------------------------------------ the edge

    def rate_limits(self, *, rate: float, burst: int) -> RateLimits:
        """The per-caller request rate shared by every process on this database (one per process)."""
        return RateLimits(self.store, rate=rate, burst=burst)
    def reports(self, actor: Actor) -> ReportService:
        return ReportService(self.store, actor, self.report_cache)
