"""Who is acting: the ``Actor`` every use case receives (a member's session or an API key), and the names of
the environments and roles."""

from __future__ import annotations

from dataclasses import dataclass

from segmentr.errors import EnvironmentMismatch
from segmentr.service.errors import InvalidRequest
from segmentr.store import ENVIRONMENTS, ROLES

__all__ = ["ENVIRONMENTS", "KEY_ROLES", "ROLES", "Actor", "check_environment"]

# An API key acts as one of these (ownership is a person's, never a key's).
KEY_ROLES = ("admin", "editor", "viewer")


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of a use case.

    ``environment`` is the API key's (``test`` or ``live``) or None for a member's session, which reaches both.
    ``member_id`` (``mem_…``) is set for a member, ``key_id`` (``key_…``) for a key; ``label`` is what
    "updated by" shows: the member's email or the key's name.
    """

    workspace_id: str
    role: str
    environment: str | None
    member_id: str | None
    key_id: str | None
    label: str

    @property
    def is_key(self) -> bool:
        return self.key_id is not None

    @property
    def principal(self) -> str:
        """Whose idempotency keys these are: the key's id, else the member's."""
        return self.key_id or self.member_id or "local"

    def reach(self, environment: str) -> str:
        """``environment`` when this actor may act in it; an API key of the other one gets EnvironmentMismatch."""
        check_environment(environment)
        if self.environment is not None and environment != self.environment:
            raise EnvironmentMismatch(
                f"this API key belongs to the {self.environment} environment and cannot reach {environment}"
            )
        return environment


def check_environment(environment: str) -> str:
    """``test`` or ``live``; anything else is an InvalidRequest naming the choices."""
    if environment not in ENVIRONMENTS:
        raise InvalidRequest(f"unknown environment {environment!r}: use test or live")
    return environment
