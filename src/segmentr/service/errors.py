"""The service's own errors; the store's errors (``NotFound``, ``AlreadyExists``, ``SegmentInvalid``…) pass through.

    ServiceError
     ├── PermissionDenied      the acting member's role does not allow the action (product.md §2)
     ├── InvalidRequest        arguments no store call could satisfy (unknown environment, page size out of range)
     └── NotInitialised        the configured database has no schema yet (`segmentr init`)
"""

from __future__ import annotations

__all__ = ["InvalidRequest", "NotInitialised", "PermissionDenied", "ServiceError"]


class ServiceError(Exception):
    """Root of the errors the service layer raises itself."""


class PermissionDenied(ServiceError):
    """The acting member may not do this; ``role`` and ``action`` say who tried what."""

    def __init__(self, email: str, role: str, action: str, allowed: tuple[str, ...]) -> None:
        self.email = email
        self.role = role
        self.action = action
        super().__init__(f"{email} is {role}: only {' / '.join(allowed)} may {action}")


class InvalidRequest(ServiceError, ValueError):
    """A request that is wrong in itself, whatever is stored."""


class NotInitialised(ServiceError):
    """The database exists but its schema does not: run `segmentr init`."""
