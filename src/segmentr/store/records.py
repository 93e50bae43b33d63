"""Plain, frozen records the store hands out (never ORM rows): workspaces, members, environments, segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Environment", "Member", "PolicyVersion", "Segment", "SegmentVersion", "Workspace"]


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    workspace_id: str
    email: str
    name: str
    role: str
    created_at: int
    # mem_…: the id the API and the actor context use (``id`` is the store's own key)
    public_id: str = ""
    has_password: bool = False


@dataclass(frozen=True, slots=True)
class Environment:
    """One of a workspace's two environments (``test`` or ``live``); ``id`` keys its policy and customers."""

    id: int
    workspace_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    environment_id: int
    version: int
    document: dict[str, Any]
    created_at: int


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    workspace_id: str
    name: str
    description: str | None
    condition: str
    mode: str
    simple: list[dict[str, Any]] | None
    version: int
    created_at: int
    created_by: str | None
    updated_at: int
    updated_by: str | None
    error_count: int
    last_error: str | None
    last_error_at: int | None


@dataclass(frozen=True, slots=True)
class SegmentVersion:
    segment_id: str
    version: int
    name: str
    description: str | None
    condition: str
    mode: str
    simple: list[dict[str, Any]] | None
    created_at: int
    created_by: str | None
