"""Opening the configured database (``SEGMENTR_DATABASE_URL`` or the embedded SQLite file) and a service on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from segmentr.service.errors import NotInitialised
from segmentr.service.segments import SegmentService
from segmentr.service.services import Services
from segmentr.store import Member, NotFound, Store

__all__ = ["open_service", "open_services", "open_store", "service_for"]

# Epoch milliseconds now (tests pass a manual clock).
Clock = Callable[[], int]


def open_store(url: str | None = None, *, migrate: bool = False, clock: Clock | None = None) -> Store:
    """The store at ``url`` (default: ``SEGMENTR_DATABASE_URL``, else ``$SEGMENTR_HOME/segmentr.db``).

    With ``migrate`` the schema is created or upgraded and the default workspace made; otherwise a database
    without the current schema raises ``NotInitialised``. The caller closes the store (it is a context manager).
    """
    store = Store(url, clock=clock)
    try:
        if migrate:
            store.init()
        elif not store.is_migrated():
            raise NotInitialised("the database is not initialised: run `segmentr init` first")
    except BaseException:
        store.close()
        raise
    return store


def service_for(store: Store, *, workspace_id: str | None = None, member_email: str | None = None) -> SegmentService:
    """The segment service of a workspace (default: the default one) acted by a member (default: its owner).

    The default actor is for local callers that own the database (the CLI); the HTTP API names the member.
    """
    workspace_id = workspace_id or store.default_workspace().id
    actor = store.member(workspace_id, email=member_email) if member_email else _owner(store, workspace_id)
    return SegmentService(store, workspace_id, actor)


def _owner(store: Store, workspace_id: str) -> Member:
    owners = [member for member in store.members(workspace_id) if member.role == "owner"]
    if not owners:
        raise NotFound(f"workspace {workspace_id} has no owner to act as")
    return min(owners, key=lambda member: member.id)


@contextmanager
def open_service(
    url: str | None = None, *, workspace_id: str | None = None, member_email: str | None = None
) -> Iterator[SegmentService]:
    """A segment service over the configured database, closed on exit (see ``open_store`` and ``service_for``)."""
    with open_store(url) as store:
        yield service_for(store, workspace_id=workspace_id, member_email=member_email)


@contextmanager
def open_services(url: str | None = None, *, migrate: bool = False) -> Iterator[Services]:
    """``Services`` over the configured database, closed on exit (see ``open_store``)."""
    with open_store(url, migrate=migrate) as store:
        yield Services(store)
