"""The notifications error tree; httpx and smtplib errors are translated into it inside ``channels``.

    NotificationError
     ├── NotificationInvalid     a notification (or channel) definition that fails validation (with field paths)
     └── DeliveryError           one attempt failed; ``retryable`` says whether the relay tries again
          ├── DeliveryRejected   the receiver answered, but not 2xx (``status``, ``excerpt``)
          │    ├── RetryLater    429/503: ``retry_after`` seconds asked for by the receiver (or None)
          │    └── EndpointGone  410: the endpoint is to be disabled, no retry
          ├── DeliveryTimeout    no complete answer within the channel's timeout
          ├── DeliveryUnreachable the connection failed (DNS, refused, TLS, SMTP session)
          └── TargetRefused      the target resolves to a private, loopback or link-local address: no retry

``NotificationError`` is this package's root until the project's ``segmentr.errors.SegmentrError`` exists;
then it derives from it and nothing below changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from segmentr.errors import SegmentrError

__all__ = [
    "DeliveryError",
    "DeliveryRejected",
    "DeliveryTimeout",
    "DeliveryUnreachable",
    "EndpointGone",
    "FieldProblem",
    "NotificationError",
    "NotificationInvalid",
    "RetryLater",
    "TargetRefused",
]


class NotificationError(SegmentrError):
    """Root of every error the notifications package raises."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem of a definition: the JSON path of the field (``channels.0.url``), what is wrong, and for a
    condition the 1-based line and column (0 when not about a position)."""

    field: str
    message: str
    line: int = 0
    column: int = 0


class NotificationInvalid(NotificationError, ValueError):
    """A notification definition that cannot be saved; ``problems`` names every field at fault."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(_describe(p) for p in problems))


def _describe(problem: FieldProblem) -> str:
    where = f"{problem.line}:{problem.column}: " if problem.line else ""
    return f"{problem.field}: {where}{problem.message}" if problem.field else f"{where}{problem.message}"


class DeliveryError(NotificationError):
    """One delivery attempt failed. ``status`` is the receiver's HTTP status (None when there was no answer)."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, excerpt: str = "") -> None:
        self.status = status
        self.excerpt = excerpt
        super().__init__(message)


class DeliveryRejected(DeliveryError):
    """The receiver answered with a status other than 2xx."""


class RetryLater(DeliveryRejected):
    """429 or 503: the receiver asks to wait ``retry_after`` seconds (None when it gave no usable value)."""

    def __init__(self, message: str, *, status: int, excerpt: str = "", retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, excerpt=excerpt)


class EndpointGone(DeliveryRejected):
    """410 Gone: the receiver says the endpoint no longer exists; it is disabled, never retried."""

    retryable = False


class DeliveryTimeout(DeliveryError):
    """No complete answer within the channel's timeout."""


class DeliveryUnreachable(DeliveryError):
    """The connection failed before an answer: DNS, connection refused, TLS, an SMTP session error."""


class TargetRefused(DeliveryError):
    """The target is on a private, loopback or link-local address (allowed only with the server's opt-in)."""

    retryable = False
