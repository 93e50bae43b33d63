"""Storage: SQLAlchemy 2 tables, Alembic migrations and repositories (SQLite embedded, PostgreSQL).

``Store`` is the façade; ``Store.customers(workspace_id)`` is the CustomerSource the segments package reads.
Use cases run in one unit of work (``Store.transaction`` / ``Store.run``, ``transaction.py``) and call the
repositories on its session: ``auth``, ``customers``, ``idempotency``, ``metering``, ``policies``, ``pricing``,
``rate_buckets``, ``report_queries``, ``segments``, the notifications' (``event_log``, ``outbox``, …) and
``workspaces`` (keyword-only ``session=`` functions returning frozen records).

Names are imported on first use (PEP 562): the import's reader process and the CLI's quick commands start
without loading SQLAlchemy, the engines and every repository.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from segmentr.store.customer_source import CustomerSource, WorkspaceCustomers
    from segmentr.store.db import database_url
    from segmentr.store.errors import (
        AlreadyExists,
        DatabaseError,
        ImportFailed,
        InvalidData,
        NoPolicy,
        NotFound,
        SegmentInvalid,
        StoreError,
    )
    from segmentr.store.importing import ImportResult
    from segmentr.store.records import Environment, Member, PolicyVersion, Segment, SegmentVersion, Workspace
    from segmentr.store.store import Store
    from segmentr.store.tables import ENVIRONMENTS, ROLES
    from segmentr.store.transaction import UnitOfWork

_SOURCES = {
    "ENVIRONMENTS": "tables",
    "ROLES": "tables",
    "AlreadyExists": "errors",
    "CustomerSource": "customer_source",
    "DatabaseError": "errors",
    "Environment": "records",
    "ImportFailed": "errors",
    "ImportResult": "importing",
    "InvalidData": "errors",
    "Member": "records",
    "NoPolicy": "errors",
    "NotFound": "errors",
    "PolicyVersion": "records",
    "Segment": "records",
    "SegmentInvalid": "errors",
    "SegmentVersion": "records",
    "Store": "store",
    "UnitOfWork": "transaction",
    "StoreError": "errors",
    "Workspace": "records",
    "WorkspaceCustomers": "customer_source",
    "database_url": "db",
}


# Repository modules a unit of work's caller uses (``from segmentr.store import customers``).
_REPOSITORIES = (
    "alerts",
    "auth",
    "customer_queries",
    "customers",
    "event_log",
    "idempotency",
    "importing",
    "metering",
    "notifications",
    "outbox",
    "policies",
    "pricing",
    "rate_buckets",
    "report_queries",
    "segments",
    "workspaces",
)


def __getattr__(name: str) -> Any:
    if name in _REPOSITORIES:
        value = importlib.import_module(f"segmentr.store.{name}")
        globals()[name] = value
        return value
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'segmentr.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"segmentr.store.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ENVIRONMENTS",
    "ROLES",
    "AlreadyExists",
    "CustomerSource",
    "DatabaseError",
    "Environment",
    "ImportFailed",
    "ImportResult",
    "InvalidData",
    "Member",
    "NoPolicy",
    "NotFound",
    "PolicyVersion",
    "Segment",
    "SegmentInvalid",
    "SegmentVersion",
    "Store",
    "StoreError",
    "UnitOfWork",
    "Workspace",
    "WorkspaceCustomers",
    "alerts",
    "auth",
    "customer_queries",
    "customers",
    "database_url",
    "event_log",
    "idempotency",
    "importing",
    "metering",
    "notifications",
    "outbox",
    "policies",
    "pricing",
    "rate_buckets",
    "report_queries",
    "segments",
    "workspaces",
]
