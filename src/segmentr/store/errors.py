"""The storage error tree; SQLAlchemy and driver errors are translated into it at the store's boundary.

    StoreError
     ├── NotFound                 a workspace, environment, customer, segment or version that does not exist
     ├── AlreadyExists            a unique key taken (segment name, customer id, member email)
     ├── InvalidData              input the store refuses (bad import line, invalid policy, bad segment)
     │    ├── ImportFailed        a customer or policy file that cannot be imported (with line/row)
     │    └── SegmentInvalid      a segment that fails validation on save
     ├── NoPolicy                 an environment without a policy where one is needed
     └── DatabaseError            the database failed (unreachable, locked too long, schema missing)
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "DatabaseError",
    "ImportFailed",
    "InvalidData",
    "NoPolicy",
    "NotFound",
    "SegmentInvalid",
    "StoreError",
]


class StoreError(Exception):
    """Root of every error the store raises."""


class NotFound(StoreError):
    """The requested record does not exist."""


class AlreadyExists(StoreError):
    """A unique key is already taken."""


class InvalidData(StoreError):
    """Input the store refuses to save."""


class ImportFailed(InvalidData):
    """A file that cannot be imported; the message names the line or row."""


class SegmentInvalid(InvalidData):
    """A segment that fails validation on save."""


class NoPolicy(StoreError):
    """The environment has no policy yet."""


class DatabaseError(StoreError):
    """The database failed: unreachable, locked for too long, or its schema is missing."""
