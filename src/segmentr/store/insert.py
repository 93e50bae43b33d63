"""Dialect-aware inserts: ``INSERT … ON CONFLICT DO NOTHING`` and upserts, on SQLite and PostgreSQL alike.

The statements are built once per (dialect, table, columns) and kept: building an upsert (its ``excluded``
columns) costs more than executing it, and these run on the usage call's path. Inside ``pipelined`` on
PostgreSQL they go to the driver compiled once (SQLAlchemy's execution costs more CPU than psycopg's for these
small multi-row writes, which are the decider's whole write path).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["driver_rows", "insert_ignoring", "pipelined", "upsert"]

_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()
# session.info key: the driver connection of an open ``pipelined`` block
_PIPELINE = "segmentr_pipeline"


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
    _execute(session, table, statement, rows)


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
    _execute(session, table, statement, rows)


def _execute(session: Session, table: Table, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    raw = session.info.get(_PIPELINE)
    names = tuple(rows[0])
    dialect = session.get_bind().dialect
    if raw is None or not _direct(dialect, table, names) or any(tuple(row) != names for row in rows[1:]):
        session.connection().execute(statement, list(rows))
        return
    sql, json_columns = _statement(("sql", id(statement), names), lambda: (
        statement.compile(dialect=dialect, column_keys=list(names)).string,
        tuple(name for name in names if isinstance(table.c[name].type, JSON)),
    ))
    from psycopg.types.json import Json  # what SQLAlchemy's JSON type binds on psycopg

    params = rows
    if json_columns:
        params = [{**row, **{n: None if row[n] is None else Json(row[n]) for n in json_columns}} for row in rows]
    try:
        with raw.cursor() as cursor:
            cursor.executemany(sql, params)
    except raw.Error as exc:
        raise sa_exc.DBAPIError.instance(sql, None, exc, raw.Error, dialect=dialect) from exc


def driver_rows(session: Session, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a read on the decider's path as tuples: on PostgreSQL straight from psycopg, the statement
    compiled once (the connection's loaders decode JSON as SQLAlchemy's would: they are SQLAlchemy's); on SQLite
    through SQLAlchemy."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement, params)]
    dialect = connection.dialect
    sql = _statement(("read", id(statement)), lambda: statement.compile(dialect=dialect).string)
    raw: Any = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except raw.Error as exc:
        raise sa_exc.DBAPIError.instance(sql, params, exc, raw.Error, dialect=dialect) from exc


def _direct(dialect: Any, table: Table, names: tuple[str, ...]) -> bool:
    """Whether rows of these columns can skip SQLAlchemy: every column left out has no Python-side default (it
    would fill it) and every JSON column is plain JSON here (not JSONB) with None as NULL (bound as ``Json`` or
    None, as SQLAlchemy binds them)."""
    def plain_json(column: Any) -> bool:
        return (not isinstance(column.type.dialect_impl(dialect), postgresql.JSONB)
                and bool(getattr(column.type, "none_as_null", False)))

    def check() -> bool:
        given = set(names)
        return (given <= set(table.c.keys())
                and all(column.default is None for column in table.c if column.key not in given)
                and all(plain_json(table.c[name]) for name in names if isinstance(table.c[name].type, JSON)))
    return bool(_statement(("direct", table.name, names), check))


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
    session.info[_PIPELINE] = raw
    try:
        with raw.pipeline():
            yield
    except raw.Error as exc:  # psycopg's base error: the sync at the block's end met a failed statement
        raise sa_exc.DBAPIError.instance(None, None, exc, raw.Error, dialect=connection.dialect) from exc
    finally:
        session.info.pop(_PIPELINE, None)
