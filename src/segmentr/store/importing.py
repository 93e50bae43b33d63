"""Bulk imports: customers from JSON lines, a JSON array or CSV (Limitr's customer format), and policies.

Customers go in batches through the driver's executemany (SQLite) or COPY into a staging table (PostgreSQL),
upserting on (environment, customer id). ``cloud_created``/``cloud_updated`` are kept when the file gives them
(a migration), else set to now. The whole import is one transaction: a bad record imports nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine

from segmentr.store.customers import normalise_customer
from segmentr.store.db import IMMEDIATE, translate_errors
from segmentr.store.errors import ImportFailed, InvalidData

__all__ = ["CUSTOMER_FORMATS", "ImportProgress", "ImportResult", "import_customer_records", "read_customers"]

CUSTOMER_FORMATS = ("jsonl", "json", "csv")
DEFAULT_BATCH = 5000

# progress(customers done, bytes read, bytes in total or None)
ImportProgress = Callable[[int, int, int | None], None]

_COLUMNS = (
    "environment_id",
    "id",
    "plan",
    "type",
    "label",
    "alt_ids",
    "refs",
    "overrides",
    "caps",
    "grants",
    "meters",
    "metadata",
    "cloud_created",
    "cloud_updated",
)
_UPDATED = [c for c in _COLUMNS if c not in ("environment_id", "id", "cloud_created")]


@dataclass(frozen=True, slots=True)
class ImportResult:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float(self.count)


# ---------------------------------------------------------------- reading


def detect_format(name: str, head: bytes) -> str:
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".jsonlines")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    stripped = head.lstrip()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl"
    if lowered.endswith(".json"):
        return "json"
    raise ImportFailed(f"{name}: cannot tell the format; use a .jsonl, .json or .csv file")


def _json_lines(stream: IO[bytes], name: str, position: list[int]) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(stream, start=1):
        position[0] += len(line)
        if not line.strip():
            continue
        try:
            yield f"{name}:{number}: ", json.loads(line)
        except ValueError as exc:
            raise ImportFailed(f"{name}:{number}: not valid JSON ({exc})") from exc


def _json_array(stream: IO[bytes], name: str, position: list[int]) -> Iterator[tuple[str, Any]]:
    data = stream.read()
    try:
        records = json.loads(data)
    except ValueError as exc:
        raise ImportFailed(f"{name}: not valid JSON ({exc})") from exc
    if isinstance(records, dict) and isinstance(records.get("customers"), list | dict):
        records = records["customers"]
    if isinstance(records, dict):  # {"id": customer, ...} as in a policy document
        records = [{"id": key, **value} if isinstance(value, dict) else value for key, value in records.items()]
    if not isinstance(records, list):
        raise ImportFailed(f"{name}: expected a JSON array of customers")
    total = len(records) or 1
    for index, record in enumerate(records):
        position[0] = len(data) * (index + 1) // total
        yield f"{name}[{index}]: ", record


_JSON_CSV_COLUMNS = {"alt_ids", "refs", "overrides", "caps", "grants", "meters", "metadata"}


def _csv_value(text: str) -> Any:
    """A ``metadata.<key>`` cell: JSON when it parses (numbers, booleans, null, objects), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _csv_rows(stream: IO[bytes], name: str, position: list[int]) -> Iterator[tuple[str, Any]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise ImportFailed(f"{name}: a customers CSV needs a header row with an `id` column")
    for row in reader:
        where = f"{name}:{reader.line_num}: "
        position[0] = stream.tell() if stream.seekable() else position[0]
        record: dict[str, Any] = {}
        metadata: dict[str, Any] | None = None
        for column, cell in row.items():
            if column is None or cell is None or cell == "":
                continue
            if column.startswith("metadata."):
                metadata = metadata if metadata is not None else {}
                metadata[column[len("metadata.") :]] = _csv_value(cell)
            elif column in _JSON_CSV_COLUMNS:
                try:
                    record[column] = json.loads(cell)
                except ValueError as exc:
                    raise ImportFailed(f"{where}column {column} is not valid JSON") from exc
            elif column in ("cloud_created", "cloud_updated"):
                try:
                    record[column] = int(cell)
                except ValueError as exc:
                    raise ImportFailed(f"{where}column {column} must be integer epoch ms") from exc
            else:
                record[column] = cell
        if metadata is not None:
            base = record.get("metadata")
            record["metadata"] = {**(base if isinstance(base, dict) else {}), **metadata}
        yield where, record


def read_customers(
    stream: IO[bytes], *, name: str, fmt: str | None = None, position: list[int] | None = None
) -> Iterator[dict[str, Any]]:
    """Normalised customer dicts from a binary stream; ImportFailed names the line of a bad record."""
    position = position if position is not None else [0]
    if fmt is None:
        head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        fmt = detect_format(name, head)
    if fmt not in CUSTOMER_FORMATS:
        raise ImportFailed(f"unknown customer file format {fmt!r}: use jsonl, json or csv")
    reader = {"jsonl": _json_lines, "json": _json_array, "csv": _csv_rows}[fmt]
    for where, record in reader(stream, name, position):
        try:
            yield normalise_customer(record, where)
        except InvalidData as exc:
            raise ImportFailed(str(exc)) from exc


# ---------------------------------------------------------------- writing

def _dump(value: Any) -> str | None:
    if value is None:
        return None
    if not value:  # the common empty list/object, without a trip through the encoder
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _row(environment_id: int, customer: dict[str, Any], now: int) -> tuple[Any, ...]:
    created = customer["cloud_created"]
    updated = customer["cloud_updated"]
    return (
        environment_id,
        customer["id"],
        customer["plan"],
        customer["type"],
        customer["label"],
        _dump(customer["alt_ids"]),
        _dump(customer["refs"]),
        _dump(customer["overrides"]),
        _dump(customer["caps"]),
        _dump(customer["grants"]),
        _dump(customer["meters"]),
        _dump(customer["metadata"]),
        now if created is None else created,
        now if updated is None else updated,
    )


def _sqlite_writer(connection: Connection) -> Callable[[list[tuple[Any, ...]]], None]:
    placeholders = ", ".join("?" for _ in _COLUMNS)
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in _UPDATED)
    sql = (
        f"INSERT INTO customers ({columns}) "
        f"VALUES ({placeholders}) ON CONFLICT (environment_id, id) DO UPDATE SET {sets}, "
        "cloud_created = min(customers.cloud_created, excluded.cloud_created)"
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def write(rows: list[tuple[Any, ...]]) -> None:
        cursor.executemany(sql, rows)

    return write


def _postgres_writer(connection: Connection) -> Callable[[list[tuple[Any, ...]]], None]:
    raw = connection.connection.driver_connection
    columns = ", ".join(f'"{c}"' for c in _COLUMNS)
    staging = "segmentr_import_staging"
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} "
            "(LIKE customers INCLUDING DEFAULTS) ON COMMIT DROP"
        )
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in _UPDATED)
    merge = (
        f"INSERT INTO customers ({columns}) SELECT {columns} FROM {staging} "
        f"ON CONFLICT (environment_id, id) DO UPDATE SET {sets}, "
        "cloud_created = LEAST(customers.cloud_created, excluded.cloud_created)"
    )

    def write(rows: list[tuple[Any, ...]]) -> None:
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(merge)
            cursor.execute(f"TRUNCATE {staging}")

    return write


def import_customer_records(
    *,
    engine: Engine,
    environment_id: int,
    customers: Iterable[dict[str, Any]],
    now: int,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Upsert normalised customers in one transaction; returns how many records were written."""
    count = 0
    with translate_errors(), engine.connect() as connection:
        connection = connection.execution_options(**{IMMEDIATE: True})
        with connection.begin():
            writer = (_sqlite_writer if engine.dialect.name == "sqlite" else _postgres_writer)(connection)
            batch: dict[str, tuple[Any, ...]] = {}
            for customer in customers:
                batch[customer["id"]] = _row(environment_id, customer, now)  # a repeated id: the last wins
                if len(batch) >= batch_size:
                    writer(list(batch.values()))
                    count += len(batch)
                    batch.clear()
                    if on_batch:
                        on_batch(count)
            if batch:
                writer(list(batch.values()))
                count += len(batch)
                if on_batch:
                    on_batch(count)
    return count


def open_source(source: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], str, int | None, bool]:
    """(binary stream, display name, size in bytes or None, whether we opened it and must close it)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file")
        return open(path, "rb", buffering=1 << 20), str(path), path.stat().st_size, True
    name = str(getattr(source, "name", "<stream>"))
    return source, name, None, False
