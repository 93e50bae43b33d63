"""Dialect-aware inserts: ``INSERT … ON CONFLICT DO NOTHING`` and upserts, on SQLite and PostgreSQL alike.

The statements are built once per (dialect, table, columns) and kept: building an upsert (its ``excluded``
columns) costs more than executing it, and these run on the usage call's path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["insert_ignoring", "pipelined", "upsert"]

_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _statement(key: tuple[Any, ...], build: Any) -> Any:
    found = _STATEMENTS.get(key)
    if found is None:
        with _LOCK:
            found = _STATEMENTS.setdefault(key, build())
    return found


def insert_ignoring(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``; a row whose key is already there is left as it is (idempotent writes)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement = _statement(("ignore", dialect, table.name),
                           lambda: _insert(dialect, table).on_conflict_do_nothing())
    session.connection().execute(statement, list(rows))


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, keys: Sequence[str],
           update: Sequence[str]) -> None:
    """Insert ``rows``, or set the ``update`` columns of the row with the same ``keys``."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name

    def build() -> Any:
        statement = _insert(dialect, table)
        return statement.on_conflict_do_update(
            index_elements=list(keys), set_={column: statement.excluded[column] for column in update})

    statement = _statement(("upsert", dialect, table.name, tuple(keys), tuple(update)), build)
    session.connection().execute(statement, list(rows))


@contextmanager
def pipelined(session: Session, *, enabled: bool = True) -> Iterator[None]:
    """Writes whose results nobody reads, sent to PostgreSQL without waiting for each: psycopg's pipeline mode
    on the transaction's connection, one round trip at the end of the block for all of them (a failure surfaces
    there, raised as SQLAlchemy would have raised it). On SQLite (in process), or not ``enabled`` (a single
    write gains nothing from it), a plain block."""
    connection = session.connection()
    if not enabled or connection.dialect.name != "postgresql":
        yield
        return
    raw: Any = connection.connection.driver_connection
    try:
        with raw.pipeline():
            yield
    except raw.Error as exc:  # psycopg's base error: the sync at the block's end met a failed statement
        raise sa_exc.DBAPIError.instance(None, None, exc, raw.Error, dialect=connection.dialect) from exc
