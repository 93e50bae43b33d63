"""Customer reads the interfaces need beyond the repository's basics: filtered keyset pages and loads by ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from segmentr.store.customers import CUSTOMER_COLUMNS, CUSTOMER_TABLE, customer_from_row

__all__ = ["customers_by_ids", "search_customers"]

_C = CUSTOMER_TABLE.c


def _prefix(text: str) -> str:
    """A LIKE pattern matching ``text`` at the start, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def search_customers(
    *,
    session: Session,
    environment_id: int,
    plan: str | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Customers in id order after ``after``: on ``plan``, and whose id, label or metadata email starts with ``q``."""
    query = select(*CUSTOMER_COLUMNS).where(_C.environment_id == environment_id)
    if plan is not None:
        query = query.where(_C.plan == plan)
    if q:
        pattern = _prefix(q)
        email = _C["metadata"]["email"].as_string()
        query = query.where(
            or_(
                _C.id.like(pattern, escape="\\"),
                _C.label.like(pattern, escape="\\"),
                cast(email, String).like(pattern, escape="\\"),
            )
        )
    if after is not None:
        query = query.where(_C.id > after)
    rows = session.execute(query.order_by(_C.id).limit(max(1, limit)))
    return [customer_from_row(row) for row in rows]


def customers_by_ids(*, session: Session, environment_id: int, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The customers with these ids that exist, in id order (one query per call; callers batch ≤ 1 000)."""
    if not ids:
        return []
    rows = session.execute(
        select(*CUSTOMER_COLUMNS).where(_C.environment_id == environment_id, _C.id.in_(list(ids))).order_by(_C.id)
    )
    return [customer_from_row(row) for row in rows]
