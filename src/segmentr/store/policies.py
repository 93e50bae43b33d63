"""Versioned policy documents per environment, and the in-process cache of loaded live policies."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from segmentr.policy import PolicyDocumentError
from segmentr.policy.engine import Policy
from segmentr.store.errors import InvalidData, NoPolicy, NotFound
from segmentr.store.records import PolicyVersion
from segmentr.store.tables import PolicyVersionRow

__all__ = [
    "PolicyCache",
    "get_policy_version",
    "list_policy_version_times",
    "list_policy_versions",
    "live_version",
    "load_policy",
    "policy_document",
    "put_policy",
    "split_document",
]


def split_document(document: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the policy object without customers, the customers it carried): customers live in their own table."""
    if not isinstance(document, dict):
        raise InvalidData("a policy document must be a JSON object")
    inner = document["policy"] if isinstance(document.get("policy"), dict) else document
    policy = {key: value for key, value in inner.items() if key not in ("customers", "alt_customer_ids")}
    customers = inner.get("customers") or {}
    if not isinstance(customers, dict):
        raise InvalidData("policy.customers must be an object of customer id -> customer")
    return policy, customers


def load_policy(document: dict[str, Any], clock: Callable[[], int] | None = None) -> Policy:
    """The engine's Policy for a stored document; an invalid document raises InvalidData."""
    try:
        return Policy.from_document({"policy": document}, clock=clock)
    except PolicyDocumentError as exc:  # every problem kept, each by its JSON path
        raise InvalidData(exc.message, problems=exc.problems, code=exc.code) from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidData(str(exc), code="policy_invalid") from exc


def put_policy(*, session: Session | Connection, environment_id: int, document: dict[str, Any], now: int) -> int:
    """Store ``document`` (the policy object, customers excluded) as the environment's next version (in a
    session, or on the bare connection of an import that stores the customers it carries)."""
    latest = live_version(session=session, environment_id=environment_id) or 0
    session.execute(
        insert(PolicyVersionRow).values(
            environment_id=environment_id, version=latest + 1, document=document, created_at=now
        )
    )
    return latest + 1


def live_version(*, session: Session | Connection, environment_id: int) -> int | None:
    """The highest version, i.e. the live policy's, or None when the environment has none yet."""
    return session.scalar(
        select(func.max(PolicyVersionRow.version)).where(PolicyVersionRow.environment_id == environment_id)
    )


def get_policy_version(*, session: Session, environment_id: int, version: int | None = None) -> PolicyVersion:
    if version is None:
        version = live_version(session=session, environment_id=environment_id)
        if version is None:
            raise NoPolicy("this environment has no policy yet: import one with `segmentr import policy`")
    row = session.get(PolicyVersionRow, (environment_id, version))
    if row is None:
        raise NotFound(f"no policy version {version}")
    return PolicyVersion(
        environment_id=row.environment_id, version=row.version, document=row.document, created_at=row.created_at
    )


def policy_document(reader: Session | Connection, environment_id: int, version: int) -> dict[str, Any]:
    """One stored document (by session or bare connection: metering reads it inside its own transaction)."""
    document = reader.execute(
        select(PolicyVersionRow.document).where(
            PolicyVersionRow.environment_id == environment_id, PolicyVersionRow.version == version
        )
    ).scalar()
    if document is None:
        raise NotFound(f"no policy version {version}")
    return dict(document)


def list_policy_versions(*, session: Session, environment_id: int) -> list[int]:
    return list(
        session.scalars(
            select(PolicyVersionRow.version)
            .where(PolicyVersionRow.environment_id == environment_id)
            .order_by(PolicyVersionRow.version)
        )
    )


def list_policy_version_times(*, session: Session, environment_id: int) -> list[tuple[int, int]]:
    """Every version's number and creation time, oldest first, without loading the documents."""
    rows = session.execute(
        select(PolicyVersionRow.version, PolicyVersionRow.created_at)
        .where(PolicyVersionRow.environment_id == environment_id)
        .order_by(PolicyVersionRow.version)
    )
    return [(version, created_at) for version, created_at in rows]


class PolicyCache:
    """Loaded policies keyed by (environment id, version): loading is slow, ``with_customers`` is cheap.

    A version never changes once stored, so an entry can never be stale; old versions fall out (LRU).
    """

    def __init__(self, capacity: int = 32) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[int, int], Policy] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int], load: Callable[[], Policy]) -> Policy:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        policy = load()
        with self._lock:
            self._entries[key] = policy
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return policy

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
