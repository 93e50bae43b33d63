"""The dashboard's reads over customers: keyset pages filtered by a segment's SQL form and an indexed search,
and the environment's change mark (what a cached roll-up is checked against).

A segment's condition becomes a WHERE clause when the pushdown translator can state it exactly
(``segment_clause``); otherwise the caller evaluates the condition on the rows it is given. Search is a
case-insensitive prefix of the id, the label or the metadata email, answered by the expression indexes of
migration 0007 (the expressions here are written exactly as those indexes are).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, select, union
from sqlalchemy.orm import Session

from segmentr.errors import SegmentrError
from segmentr.segments.evaluator import compile_condition
from segmentr.segments.pushdown import PushdownUnsupported, to_predicate
from segmentr.store.customers import CUSTOMER_COLUMNS, CUSTOMER_TABLE, customer_from_row
from segmentr.store.sql_predicates import compile_predicate

__all__ = ["ChangeMark", "change_mark", "count_where", "customer_page", "price_overrides_of", "search_bounds", "segment_clause"]

_C = CUSTOMER_TABLE.c
# ASCII-only lower case: SQLite's lower() folds ASCII only, so a search folds the same letters it does.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class ChangeMark:
    """Changes whenever a customer of the environment is created, changed or removed (every write moves
    ``cloud_updated``; a removal changes the count and the sum)."""

    count: int
    latest_update: int
    update_sum: int


def segment_clause(condition: str, dialect: str) -> ColumnElement[bool] | None:
    """The condition as a WHERE clause over customers, or None when it must be evaluated (or does not compile)."""
    try:
        predicate = to_predicate(compile_condition(condition).body)
        if predicate is None:
            return None
        return compile_predicate(predicate, CUSTOMER_TABLE, dialect)
    except (PushdownUnsupported, SegmentrError):
        return None


def _search_expressions(dialect: str) -> list[ColumnElement[Any]]:
    if dialect == "postgresql":
        email = _C["metadata"].op("->>")(literal_column("'email'"))
        return [func.lower(column).collate("C") for column in (_C.id, _C.label, email)]
    email = func.json_extract(_C["metadata"], literal_column("'$.email'"))
    return [func.lower(_C.id), func.lower(_C.label), func.lower(email)]


def search_bounds(text: str, dialect: str) -> tuple[str, str | None]:
    """The range ``[low, high)`` of lower-cased values that start with ``text`` (high None: no upper bound)."""
    low = text.lower() if dialect == "postgresql" else text.translate(_ASCII_LOWER)
    last = ord(low[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates are not text: the next character is U+E000
        last = 0xE000
    high = low[:-1] + chr(last) if last <= 0x10FFFF else None
    return low, high


def _search_ids(environment_id: int, text: str, dialect: str) -> Any:
    low, high = search_bounds(text, dialect)
    selects = []
    for expression in _search_expressions(dialect):
        query = select(_C.id).where(_C.environment_id == environment_id, expression >= low)
        selects.append(query.where(expression < high) if high is not None else query)
    return union(*selects)


def customer_page(
    *,
    session: Session,
    environment_id: int,
    segment: ColumnElement[bool] | None = None,
    search: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Customers in id order after ``after``: in ``segment`` (a ``segment_clause``) and matching ``search``."""
    query = select(*CUSTOMER_COLUMNS).where(_C.environment_id == environment_id)
    if segment is not None:
        query = query.where(segment)
    if search:
        dialect = session.get_bind().dialect.name
        query = query.where(_C.id.in_(_search_ids(environment_id, search, dialect)))
    if after is not None:
        query = query.where(_C.id > after)
    rows = session.execute(query.order_by(_C.id).limit(max(1, limit)))
    return [customer_from_row(row) for row in rows]


def price_overrides_of(*, session: Session, environment_id: int, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Customer id -> own price overrides, for those of ``ids`` that have any (the partial index of 0004)."""
    if not ids:
        return {}
    rows = session.execute(
        select(_C.id, _C.price_overrides).where(
            _C.environment_id == environment_id, _C.id.in_(ids), _C.price_overrides.is_not(None)
        )
    )
    return {customer_id: dict(raw) for customer_id, raw in rows if raw}


def count_where(*, session: Session, environment_id: int, segment: ColumnElement[bool] | None = None) -> int:
    """How many customers of the environment are in ``segment`` (a ``segment_clause``; all without one)."""
    query = select(func.count()).select_from(CUSTOMER_TABLE).where(_C.environment_id == environment_id)
    if segment is not None:
        query = query.where(segment)
    return int(session.scalar(query) or 0)


def change_mark(*, session: Session, environment_id: int) -> ChangeMark:
    """The environment's change mark, from the (environment_id, cloud_updated) index alone."""
    row = session.execute(
        select(func.count(), func.max(_C.cloud_updated), func.sum(_C.cloud_updated)).where(
            _C.environment_id == environment_id
        )
    ).one()
    return ChangeMark(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))
