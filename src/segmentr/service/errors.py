"""The service's own errors, each also a shared kind of ``segmentr.errors``; the store's errors pass through.

    ServiceError                                   (segmentr.errors.SegmentrError)
     ├── PermissionDenied      PermissionDenied    the acting member's role does not allow the action
     ├── InvalidRequest        InvalidInput        arguments no store call could satisfy (page size out of range)
     └── NotInitialised        NotInitialised      the configured database has no schema yet (`segmentr init`)
"""

from __future__ import annotations

from segmentr import errors

__all__ = ["InvalidRequest", "NotInitialised", "PermissionDenied", "ServiceError"]


class ServiceError(errors.SegmentrError):
    """Root of the errors the service layer raises itself."""

    code = "service_error"


class PermissionDenied(ServiceError, errors.PermissionDenied):
    """The acting member may not do this; ``role`` and ``action`` say who tried what."""

    code = "permission_denied"

    def __init__(self, email: str, role: str, action: str, allowed: tuple[str, ...]) -> None:
        self.email = email
        self.role = role
        self.action = action
        super().__init__(f"{email} is {role}: only {' / '.join(allowed)} may {action}")


class InvalidRequest(ServiceError, errors.InvalidInput, ValueError):
    """A request that is wrong in itself, whatever is stored."""

    code = "invalid_request"


class NotInitialised(ServiceError, errors.NotInitialised):
    """The database exists but its schema does not: run `segmentr init`."""

    code = "not_initialised"
