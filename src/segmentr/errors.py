"""The one error tree of segmentr: every package's errors derive from ``SegmentrError``.

Each package keeps a root of its own (``StofError``, ``PolicyError``, ``SegmentsError``, ``StoreError``,
``ServiceError``) and its specific errors also derive from the shared *kind* below, so a caller (the HTTP API's
one mapping table, the CLI) catches a kind without knowing which package raised it. Every error has a stable
machine ``code`` (the API's error codes); invalid input carries its ``problems`` intact, with positions.

    SegmentrError                     code
     ├── InvalidInput                 invalid_input          bad input; ``problems`` lists each one
     │    ├── ConditionInvalid        condition_invalid      a Stof condition that does not parse / check
     │    ├── NotSimple               not_simple             a condition simple mode cannot state
     │    ├── PolicyInvalid           policy_invalid         a policy document with problems (by JSON path)
     │    └── ImportInvalid           import_invalid         a file that cannot be imported (line / row)
     ├── NotFound                     not_found              no such record (or not visible to the caller)
     ├── Conflict                     conflict               the request fights the current state
     │    ├── AlreadyExists           already_exists         a unique key is taken (segment name, email…)
     │    ├── SegmentInUse            segment_in_use         deleting a segment others reference
     │    ├── PriorityTaken           priority_taken         a pricing rule priority already used
     │    ├── LastOwner               last_owner             removing or demoting the last owner
     │    ├── IdempotencyKeyReused    idempotency_key_reused the same key with a different request
     │    └── IdempotencyInProgress   idempotency_in_progress the same key's first call has not finished
     ├── AuthenticationFailed         authentication_failed  no, unknown, revoked or expired credentials
     ├── PermissionDenied             permission_denied      the role does not allow the action
     │    └── EnvironmentMismatch     environment_mismatch   an API key used on the other environment
     ├── RateLimited                  rate_limited           too many requests; ``retry_after`` seconds
     ├── NotInitialised               not_initialised        the database has no schema yet
     └── Unavailable                  unavailable            the database (or another dependency) failed
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "AlreadyExists",
    "AuthenticationFailed",
    "ConditionInvalid",
    "Conflict",
    "EnvironmentMismatch",
    "IdempotencyInProgress",
    "IdempotencyKeyReused",
    "ImportInvalid",
    "InvalidInput",
    "LastOwner",
    "NotFound",
    "NotInitialised",
    "NotSimple",
    "PermissionDenied",
    "PolicyInvalid",
    "PriorityTaken",
    "Problem",
    "RateLimited",
    "SegmentInUse",
    "SegmentrError",
    "Unavailable",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an input, the same shape wherever it is found (a save, a validate, an import).

    ``field`` is the JSON path of the offending value (``condition``, ``plans.pro.entitlements.api.limit``) or
    None for the input as a whole; ``line``/``column`` (1-based, ``end_*`` just past the span) point into a text
    field such as a condition; ``code`` is a stable machine name when one exists (a checker diagnostic's code).
    """

    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    severity: Severity = "error"
    code: str = ""

    def __str__(self) -> str:
        where = f" at {self.line}:{self.column}" if self.line is not None else ""
        return f"{self.field or 'input'}{where}: {self.message}"

    @classmethod
    def from_diagnostic(cls, diagnostic: Any, field: str | None = "condition") -> Problem:
        """A Stof ``Diagnostic`` (severity, positions, message, code) as a problem of ``field``."""
        return cls(
            field=field,
            line=diagnostic.line,
            column=diagnostic.column,
            end_line=diagnostic.end_line,
            end_column=diagnostic.end_column,
            severity=diagnostic.severity,
            message=diagnostic.message,
            code=getattr(diagnostic, "code", "") or "",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity,
            "message": self.message,
            "code": self.code,
        }


class SegmentrError(Exception):
    """Root of every error segmentr raises on purpose; ``code`` is stable, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message or type(self).__doc__ or type(self).__name__
        super().__init__(self.message)


class InvalidInput(SegmentrError):
    """Input that cannot be accepted; ``problems`` lists every problem found (field, positions, message)."""

    code = "invalid_input"

    def __init__(
        self, message: str = "", *, problems: Iterable[Problem] = (), code: str | None = None
    ) -> None:
        self.problems: list[Problem] = list(problems)
        if not message:
            message = "; ".join(str(problem) for problem in self.problems) or "invalid input"
        super().__init__(message, code=code)

    @property
    def field(self) -> str | None:
        """The first problem's field (the API's ``param``)."""
        return self.problems[0].field if self.problems else None


class ConditionInvalid(InvalidInput):
    """A Stof condition that does not parse or fails the checker; ``problems`` have line and column."""

    code = "condition_invalid"


class NotSimple(InvalidInput):
    """A condition simple mode cannot state; ``reason`` says why."""

    code = "not_simple"

    def __init__(self, reason: str, *, field: str | None = "condition") -> None:
        self.reason = reason
        super().__init__(
            f"not a simple-mode condition: it {reason}",
            problems=[Problem(field=field, message=f"not a simple-mode condition: it {reason}")],
        )


class PolicyInvalid(InvalidInput):
    """A policy document with problems; each problem's ``field`` is the JSON path in the document."""

    code = "policy_invalid"


class ImportInvalid(InvalidInput):
    """A file that cannot be imported; the message (and problem) names the line or row."""

    code = "import_invalid"


class NotFound(SegmentrError):
    """The record does not exist, or the caller may not know it does (another workspace's)."""

    code = "not_found"


class Conflict(SegmentrError):
    """The request conflicts with the current state."""

    code = "conflict"


class AlreadyExists(Conflict):
    """A unique key is already taken."""

    code = "already_exists"


class SegmentInUse(Conflict):
    """A segment other records reference; ``references`` names them."""

    code = "segment_in_use"

    def __init__(self, message: str = "", *, references: Sequence[Any] = ()) -> None:
        self.references = list(references)
        super().__init__(message)


class PriorityTaken(Conflict):
    """Another pricing rule of the environment has this priority."""

    code = "priority_taken"


class LastOwner(Conflict):
    """The workspace's last owner cannot be removed or demoted."""

    code = "last_owner"


class IdempotencyKeyReused(Conflict):
    """An ``Idempotency-Key`` used before with a different request."""

    code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    """The first call with this ``Idempotency-Key`` is still running: retry later."""

    code = "idempotency_in_progress"


class AuthenticationFailed(SegmentrError):
    """Missing, unknown, revoked or expired credentials (the message never says which secret matched)."""

    code = "authentication_failed"


class PermissionDenied(SegmentrError):
    """The caller's role does not allow the action."""

    code = "permission_denied"


class EnvironmentMismatch(PermissionDenied):
    """An API key of one environment used on the other environment's resources."""

    code = "environment_mismatch"


class RateLimited(SegmentrError):
    """Too many requests; retry after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        super().__init__(message or f"rate limit exceeded: retry after {retry_after:g}s")


class NotInitialised(SegmentrError):
    """The database exists but its schema does not: run `segmentr init`."""

    code = "not_initialised"


class Unavailable(SegmentrError):
    """The database (or another dependency) failed: unreachable, locked for too long, schema missing."""

    code = "unavailable"
