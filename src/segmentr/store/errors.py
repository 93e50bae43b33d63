"""The storage error tree; SQLAlchemy and driver errors are translated into it at the store's boundary.

Each store error is also the shared kind of ``segmentr.errors`` named beside it, so callers catch the kind.

    StoreError                                       (segmentr.errors.SegmentrError)
     ├── NotFound                 NotFound           a workspace, environment, customer, segment or version
     │    └── NoPolicy            NotFound           an environment without a policy where one is needed
     ├── AlreadyExists            AlreadyExists      a unique key taken (segment name, customer id, member email)
     ├── InvalidData              InvalidInput       input the store refuses (bad import line, policy, segment)
     │    ├── ImportFailed        ImportInvalid      a customer or policy file that cannot be imported (line/row)
     │    └── SegmentInvalid      InvalidInput       a segment that fails validation on save (``problems``)
     └── DatabaseError            Unavailable        the database failed (unreachable, locked too long, no schema)
"""

from __future__ import annotations

from segmentr import errors

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


class StoreError(errors.SegmentrError):
    """Root of every error the store raises."""

    code = "store_error"


class NotFound(StoreError, errors.NotFound):
    """The requested record does not exist."""

    code = "not_found"


class AlreadyExists(StoreError, errors.AlreadyExists):
    """A unique key is already taken."""

    code = "already_exists"


class InvalidData(StoreError, errors.InvalidInput):
    """Input the store refuses to save."""

    code = "invalid_input"


class ImportFailed(InvalidData, errors.ImportInvalid):
    """A file that cannot be imported; the message names the line or row."""

    code = "import_invalid"


class SegmentInvalid(InvalidData):
    """A segment that fails validation on save; ``problems`` are the same ones ``validate`` reports
    (``code`` is ``condition_invalid`` when the condition itself is wrong, ``not_simple`` for a refused mode)."""


class NoPolicy(NotFound):
    """The environment has no policy yet."""

    code = "no_policy"


class DatabaseError(StoreError, errors.Unavailable):
    """The database failed: unreachable, locked for too long, or its schema is missing."""

    code = "unavailable"
