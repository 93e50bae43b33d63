"""The PostgreSQL side of customer imports: COPY text encoding (done in the reader process) and the COPY writer,
which for a big import drops the customers table's secondary indexes and foreign keys and rebuilds them before
the commit, as pg_restore does, all inside the import's one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from psycopg import errors, sql
from sqlalchemy import Connection

from segmentr.store.customers import CUSTOMER_KEYS

try:  # orjson writes JSON several times faster; the standard library is the fallback
    import orjson
except ImportError:  # pragma: no cover - exercised only without the optional dependency
    orjson = None  # type: ignore[assignment]

__all__ = ["COLUMNS", "REBUILD_MIN_BYTES", "UPSERTED_COLUMNS", "CopyBatch", "PostgresWriter", "copy_line"]

# Secondary indexes are rebuilt, not maintained, when an import brings at least this many bytes and at least as
# many as the table holds: building the indexes costs under half as much per row as maintaining them row by row,
# and checking the foreign key once for the whole table a tenth as much as checking it row by row.
REBUILD_MIN_BYTES = 32 * 1024 * 1024
REBUILD_MAINTENANCE_WORK_MEM_MB = 256
# How long a big import waits for the exclusive lock the rebuild needs before it maintains the indexes instead
# (a long reader elsewhere must not hold the import, nor everyone queued behind the import's lock request).
REBUILD_LOCK_WAIT_MS = 2000

COLUMNS = ("environment_id", *CUSTOMER_KEYS)
# What a re-imported customer overwrites (cloud_created keeps the older of the two dates).
UPSERTED_COLUMNS = tuple(c for c in COLUMNS if c not in ("environment_id", "id", "cloud_created"))
_COLUMN_LIST = ", ".join(f'"{c}"' for c in COLUMNS)
_STAGING = "segmentr_import_staging"
# The first key of the advisory lock that serialises imports into one environment (the second is its id).
IMPORT_LOCK_CLASS = 0x5E6

_NULL = b"\\N"


@dataclass(frozen=True, slots=True)
class CopyBatch:
    """Customers already encoded as lines of PostgreSQL's COPY text format, by the reader process.

    ``repeats``: an id of this batch was in an earlier batch of the same import, so the batch is upserted.
    """

    count: int
    payload: bytes
    repeats: bool


def _standard_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


_dumps = orjson.dumps if orjson is not None else _standard_dumps


def _escape(field: bytes) -> bytes:
    # Byte-wise replacement is safe in UTF-8: these ASCII bytes never occur inside a multi-byte character.
    return field.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r").replace(b"\t", b"\\t")


def copy_line(environment: bytes, fields: tuple[Any, ...], now: bytes) -> bytes:
    """One COPY text line (no newline) of a customer's checked values in ``CUSTOMER_KEYS`` order;
    ``environment`` and ``now`` are already ASCII digits."""
    customer_id, plan, kind, label, alt_ids, refs, overrides, caps, grants, meters, metadata, created, updated = fields
    dumps = _dumps
    try:  # empty lists and objects (most of them) without a trip through the encoder
        documents = [
            dumps(alt_ids) if alt_ids else b"[]",
            dumps(refs) if refs else b"[]",
            dumps(overrides) if overrides else b"{}",
            dumps(caps) if caps else b"{}",
            dumps(grants) if grants else b"{}",
            dumps(meters) if meters else b"{}",
            _NULL if metadata is None else dumps(metadata) if metadata else b"{}",
        ]
    except TypeError:  # integers past 64 bits and the like: the standard encoder copes
        documents = [_NULL if value is None else _standard_dumps(value) for value in fields[4:11]]
    parts = [
        environment,
        customer_id.encode(),
        plan.encode(),
        kind.encode(),
        label.encode(),
        *documents,
        now if created is None else b"%d" % created,
        now if updated is None else b"%d" % updated,
    ]
    line = b"\t".join(parts)
    # Encoded JSON never holds a control character, and holds a backslash only where a string needed escaping;
    # the four text fields hold no tab or line break when they are printable. So a line with printable text
    # fields and no backslash but a null's (almost every line) is already valid COPY text.
    if (customer_id + plan + kind + label).isprintable() and (
        b"\\" not in line if metadata is not None else line.count(b"\\") == 1
    ):
        return line
    return b"\t".join(part if part is _NULL else _escape(part) for part in parts)


class PostgresWriter:
    """Writes batches into ``customers`` in the caller's transaction.

    A batch with no id that can already be in the table is copied straight in; any other goes through a
    temporary staging table and one ``INSERT … SELECT … ON CONFLICT`` (the upsert). With ``incoming_bytes``
    (the size of the file being imported) big enough, the secondary indexes and foreign keys are dropped first
    and ``finish`` rebuilds them; this holds an exclusive lock on ``customers`` (other sessions' reads and writes
    wait) until the commit, like a restore — so only while no other environment has customers to serve.
    """

    def __init__(self, connection: Connection, environment_id: int, incoming_bytes: int | None = None) -> None:
        self._raw = connection.connection.driver_connection
        with self._raw.cursor() as cursor:  # type: ignore[union-attr]
            # One import into an environment at a time (until its commit): a second one would otherwise take the
            # environment for empty as well and copy straight into rows the first is adding. It waits up to the
            # busy timeout (lock_timeout), as a write waits on SQLite.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (IMPORT_LOCK_CLASS, environment_id))
            self.rebuilds = (
                _drop_for_rebuild(cursor, incoming_bytes, environment_id) if incoming_bytes is not None else []
            )
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (LIKE customers INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            cursor.execute("SELECT 1 FROM customers WHERE environment_id = %s LIMIT 1", (environment_id,))
            # An environment empty at the start cannot conflict but with this import's own earlier batches.
            self._empty_at_start = cursor.fetchone() is None
        self._seen: set[str] = set()
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in UPSERTED_COLUMNS)
        self._merge = (
            f"INSERT INTO customers ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {_STAGING} "
            f"ON CONFLICT (environment_id, id) DO UPDATE SET {sets}, "
            "cloud_created = LEAST(customers.cloud_created, excluded.cloud_created)"
        )

    def write(self, batch: list[tuple[Any, ...]] | CopyBatch) -> None:
        if isinstance(batch, CopyBatch):
            straight = self._empty_at_start and not batch.repeats
        else:
            ids = [row[1] for row in batch]
            straight = self._empty_at_start and self._seen.isdisjoint(ids)
            if self._empty_at_start:
                self._seen.update(ids)
        with self._raw.cursor() as cursor:  # type: ignore[union-attr]
            if straight:  # several times faster than the staged upsert
                _copy(cursor, "customers", batch)
            else:
                _copy(cursor, _STAGING, batch)
                cursor.execute(self._merge)
                cursor.execute(f"TRUNCATE {_STAGING}")

    def finish(self) -> None:
        """Rebuild what was dropped for the import (indexes, then foreign keys, which check every row)."""
        if not self.rebuilds:
            return
        with self._raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'")  # kB
            if cursor.fetchone()[0] < REBUILD_MAINTENANCE_WORK_MEM_MB * 1024:  # index builds sort in this memory
                cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM_MB}MB'")
            for statement in self.rebuilds:
                cursor.execute(statement)


def _copy(cursor: Any, table: str, batch: list[tuple[Any, ...]] | CopyBatch) -> None:
    with cursor.copy(f"COPY {table} ({_COLUMN_LIST}) FROM STDIN") as copy:
        if isinstance(batch, CopyBatch):
            copy.write(batch.payload)
        else:
            for row in batch:
                copy.write_row(row)


def _drop_for_rebuild(cursor: Any, incoming_bytes: int, environment_id: int) -> list[Any]:
    """Drop the secondary indexes and foreign keys of ``customers`` when the import is big next to the table,
    this role owns the table, the exclusive lock comes quickly and no other environment has customers (its
    reads would wait for the whole import: a test import must never stall live evaluations); returns the
    statements that recreate them (none when nothing was dropped)."""
    if incoming_bytes < REBUILD_MIN_BYTES:
        return []
    # The planner's own size estimate, kept by VACUUM, ANALYZE and CREATE INDEX: reading it locks nothing,
    # so the exclusive lock below is this transaction's first lock on the table (no lock upgrade to deadlock on).
    cursor.execute(
        "SELECT relpages::bigint * current_setting('block_size')::bigint, pg_has_role(relowner, 'USAGE') "
        "FROM pg_class WHERE oid = 'customers'::regclass"
    )
    table_bytes, owner = cursor.fetchone()
    if incoming_bytes < table_bytes or not owner:
        return []
    cursor.execute("SELECT current_setting('lock_timeout')")
    lock_timeout = cursor.fetchone()[0]
    cursor.execute("SAVEPOINT segmentr_rebuild_lock")
    try:
        cursor.execute(f"SET LOCAL lock_timeout = {REBUILD_LOCK_WAIT_MS}")
        cursor.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
    except errors.LockNotAvailable:
        cursor.execute("ROLLBACK TO SAVEPOINT segmentr_rebuild_lock")
        return []
    # Checked under the lock (nothing can be added meanwhile); rolling back to the savepoint releases it.
    # Two range probes of the primary key (environment_id first), never a scan of this environment's rows.
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE environment_id < %s)"
        " OR EXISTS (SELECT 1 FROM customers WHERE environment_id > %s)",
        (environment_id, environment_id),
    )
    if cursor.fetchone()[0]:
        cursor.execute("ROLLBACK TO SAVEPOINT segmentr_rebuild_lock")
        return []
    cursor.execute("RELEASE SAVEPOINT segmentr_rebuild_lock")
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = 'customers'::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'customers'::regclass AND contype = 'f' ORDER BY 1"
    )
    foreign_keys = cursor.fetchall()
    for name, _definition in foreign_keys:
        cursor.execute(sql.SQL("ALTER TABLE customers DROP CONSTRAINT {}").format(sql.Identifier(name)))
    for name, _definition in indexes:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))  # regclass text: quoted, qualified
    recreate: list[Any] = [definition for _name, definition in indexes]
    recreate += [
        sql.SQL("ALTER TABLE customers ADD CONSTRAINT {} {}").format(sql.Identifier(name), sql.SQL(definition))
        for name, definition in foreign_keys
    ]
    return recreate
