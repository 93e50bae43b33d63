"""What the client's calls return: small frozen records built from the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Entitlement", "Evaluation", "MembersPage", "UsageDecision"]


@dataclass(frozen=True, slots=True)
class UsageDecision:
    """The policy engine's answer to a usage call (recorded) or a check (nothing changed)."""

    allowed: bool
    value: float | None
    limit: float | None
    remaining: float | None
    events: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> UsageDecision:
        return cls(body["allowed"], body.get("value"), body.get("limit"), body.get("remaining"),
                   list(body.get("events") or []))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entitlement:
    entitlement: str
    limit: float | None
    value: float | None
    percent: float | None
    remaining: float | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Entitlement:
        return cls(body["entitlement"], body.get("limit"), body.get("value"), body.get("percent"),
                   body.get("remaining"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Evaluation:
    segment: str
    customer_id: str
    matched: bool
    value: Any
    error: str | None
    steps: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Evaluation:
        return cls(body["segment"], body["customer_id"], body["matched"], body.get("value"), body.get("error"),
                   list(body.get("steps") or []))  # fmt: skip


@dataclass(frozen=True, slots=True)
class MembersPage:
    """One page of a segment's members: customer ids (or customers with ``expand``)."""

    data: list[Any]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        return str(self.data[-1]["id"]) if self.data else None
