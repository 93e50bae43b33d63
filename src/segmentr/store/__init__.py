"""Storage: SQLAlchemy 2 tables, Alembic migrations and repositories (SQLite embedded, PostgreSQL).

``Store`` is the façade; ``Store.customers(workspace_id)`` is the CustomerSource the segments package reads.
"""

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

__all__ = [
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
    "Workspace",
    "WorkspaceCustomers",
    "database_url",
]
