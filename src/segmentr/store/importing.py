"""Bulk imports: customers from JSON lines, a JSON array or CSV (Limitr's customer format), and policies.

Customers go in batches through the driver's executemany (SQLite) or COPY (PostgreSQL, ``import_postgres``),
upserting on (environment, customer id). ``cloud_created``/``cloud_updated`` are kept when the file gives them
(a migration), else set to now. The whole import is one transaction: a bad record imports nothing.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine

from segmentr.policy.customer import (
    GRANT_NUMBER_FIELDS,
    INT64_MAX,
    INT64_MIN,
    MAX_ID_CHARS,
    MAX_LABEL_CHARS,
    MAX_NAME_CHARS,
    CustomerRules,
)
from segmentr.store.customers import CUSTOMER_KEYS, NUL_MESSAGE, holds_nul, normalise_customer
from segmentr.store.import_postgres import COLUMNS, UPSERTED_COLUMNS, CopyBatch, PostgresWriter, copy_line

try:  # orjson parses and writes JSON several times faster; the standard library is the fallback
    import orjson
except ImportError:  # pragma: no cover - exercised only without the optional dependency
    orjson = None  # type: ignore[assignment]
from segmentr.store.db import IMMEDIATE, translate_errors
from segmentr.store.errors import ImportFailed, InvalidData

__all__ = [
    "CUSTOMER_FORMATS",
    "ImportProgress",
    "ImportResult",
    "import_customer_records",
    "read_copy_lines",
    "read_customer_rows",
    "read_customers",
    "rows_from_customers",
]

CUSTOMER_FORMATS = ("jsonl", "json", "csv")
DEFAULT_BATCH = 5000
IMPORT_CACHE_KIB = 256 * 1024
# Files at least this large are parsed in a reader process (its start-up costs about half a second).
PROCESS_READER_BYTES = 32 * 1024 * 1024
SQLITE_DEFAULT_CACHE_KIB = 2000
TRUNCATE_WAL_AFTER = 50_000

# progress(customers done, bytes read, bytes in total or None)
ImportProgress = Callable[[int, int, int | None], None]



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
    stripped = head.removeprefix(_UTF8_BOM).lstrip()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl"
    if lowered.endswith(".json"):
        return "json"
    raise ImportFailed(f"{name}: cannot tell the format; use a .jsonl, .json or .csv file")


_BACKSLASH = ord("\\")


def _not_json(where: str, data: bytes, exc: Exception) -> ImportFailed:
    """The message for text that does not parse, naming NaN and Infinity, which JSON has no spelling for."""
    if b"NaN" in data or b"Infinity" in data:
        return ImportFailed(f"{where}not valid JSON: NaN and Infinity are not JSON numbers ({exc})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return ImportFailed(f"{where}not UTF-8 text (byte 0x{data[bad.start]:02x} at column {bad.start + 1}): "
                            "JSON files must be UTF-8")
    return ImportFailed(f"{where}not valid JSON ({exc})")


def _json_lines(
    stream: IO[bytes], name: str, position: list[int], encoding: str
) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(stream, start=1):
        position[0] += len(line)
        try:
            record = _loads(line)
        except ValueError as exc:
            if not line.strip():  # a blank line (checked only here: stripping every line costs a copy)
                continue
            raise _not_json(f"{name}:{number}: ", line, exc) from exc
        # JSON text carries NUL only escaped (\u0000): a one-byte search for the backslash (memchr, ~20 ns a
        # line) spares every other line the six-byte search (~400 ns) and the fast paths any check
        if _BACKSLASH in line and b"\\u0000" in line and holds_nul(record):
            raise ImportFailed(f"{name}:{number}: {NUL_MESSAGE}")
        yield number, record


def _json_array(
    stream: IO[bytes], name: str, position: list[int], encoding: str
) -> Iterator[tuple[int, Any]]:
    data = stream.read()
    try:
        records = _loads(data)
    except ValueError as exc:
        raise _not_json(f"{name}: ", data, exc) from exc
    if isinstance(records, dict) and isinstance(records.get("customers"), list | dict):
        records = records["customers"]
    if isinstance(records, dict):  # {"id": customer, ...} as in a policy document
        records = [{"id": key, **value} if isinstance(value, dict) else value for key, value in records.items()]
    if not isinstance(records, list):
        raise ImportFailed(f"{name}: expected a JSON array of customers")
    total = len(records) or 1
    may_hold_nul = b"\\u0000" in data
    for index, record in enumerate(records):
        position[0] = len(data) * (index + 1) // total
        if may_hold_nul and holds_nul(record):
            raise ImportFailed(f"{name}[{index}]: {NUL_MESSAGE}")
        yield index, record


_JSON_CSV_COLUMNS = {"alt_ids", "refs", "overrides", "caps", "grants", "meters", "metadata"}


def _csv_value(text: str) -> Any:
    """A ``metadata.<key>`` cell: strict JSON when it parses (numbers, booleans, null, objects), else the text
    (so ``NaN``, ``Infinity`` and ``1e999`` stay the text they are)."""
    try:
        return _loads(text)
    except ValueError:
        return text


def _decoded_lines(stream: IO[bytes], name: str, encoding: str, position: list[int]) -> Iterator[str]:
    """The file's lines as text, decoded one by one so a byte the encoding cannot read is reported by line."""
    for number, raw in enumerate(stream, start=1):
        position[0] += len(raw)
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as exc:
            hint = " (a spreadsheet export? try --encoding latin-1)" if encoding.lower() in ("utf-8", "utf8") else ""
            raise ImportFailed(
                f"{name}:{number}: not {encoding} text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}){hint}"
            ) from None


def _csv_rows(
    stream: IO[bytes], name: str, position: list[int], encoding: str
) -> Iterator[tuple[int, Any]]:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFailed(f"unknown encoding {encoding!r}: use utf-8, latin-1, cp1252, …") from None
    reader = csv.DictReader(_decoded_lines(stream, name, encoding, position))
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise ImportFailed(f"{name}: a customers CSV needs a header row with an `id` column")
    for row in reader:
        where = f"{name}:{reader.line_num}: "
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
                    record[column] = _loads(cell)
                except ValueError as exc:
                    raise _not_json(f"{where}column {column}: ", cell.encode(), exc) from exc
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
        if holds_nul(record):  # CSV cells may hold NUL raw or inside their JSON
            raise ImportFailed(f"{where}{NUL_MESSAGE}")
        yield reader.line_num, record


_LOCATIONS = {"jsonl": "{name}:{n}: ", "json": "{name}[{n}]: ", "csv": "{name}:{n}: "}


_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def skip_byte_order_mark(stream: IO[bytes], name: str) -> None:
    """Consume a UTF-8 byte-order mark (spreadsheets and Windows editors write one; it means nothing in UTF-8);
    a UTF-16 file is refused with what to do."""
    head = stream.peek(3)[:3] if hasattr(stream, "peek") else b""
    if head.startswith(_UTF8_BOM):
        stream.read(3)
    elif head.startswith(_UTF16_BOMS):
        raise ImportFailed(f"{name}:1: the file is UTF-16 text: save it as UTF-8")


def _records(
    stream: IO[bytes], name: str, fmt: str | None, position: list[int], encoding: str = "utf-8"
) -> tuple[Iterator[tuple[int, Any]], Callable[[int], str]]:
    skip_byte_order_mark(stream, name)
    if fmt is None:
        head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        fmt = detect_format(name, head)
    if fmt not in CUSTOMER_FORMATS:
        raise ImportFailed(f"unknown customer file format {fmt!r}: use jsonl, json or csv")
    if fmt != "csv" and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ImportFailed(f"{name}: JSON is always UTF-8: --encoding applies to CSV files only")
    reader = {"jsonl": _json_lines, "json": _json_array, "csv": _csv_rows}[fmt]
    template = _LOCATIONS[fmt]
    return reader(stream, name, position, encoding), lambda n: template.format(name=name, n=n)


def read_customers(
    stream: IO[bytes], *, name: str, fmt: str | None = None, position: list[int] | None = None,
    rules: CustomerRules | None = None, encoding: str = "utf-8",
) -> Iterator[dict[str, Any]]:
    """Normalised customer dicts from a binary stream; ImportFailed names the line of a bad record."""
    records, locate = _records(stream, name, fmt, position if position is not None else [0], encoding)
    for number, record in records:
        try:
            yield normalise_customer(record, locate(number), rules)
        except InvalidData as exc:
            raise ImportFailed(str(exc)) from exc


def read_customer_rows(
    stream: IO[bytes],
    *,
    name: str,
    environment_id: int,
    now: int,
    fmt: str | None = None,
    position: list[int] | None = None,
    rules: CustomerRules | None = None,
    encoding: str = "utf-8",
) -> Iterator[tuple[Any, ...]]:
    """Insert-ready rows from a binary stream (the import's fast path); ImportFailed names a bad record."""
    records, locate = _records(stream, name, fmt, position if position is not None else [0], encoding)
    for number, record in records:
        row = _fast_row(environment_id, record, now, rules)
        if row is None:  # unusual input: the careful path coerces it or says exactly what is wrong
            try:
                row = _row(environment_id, normalise_customer(record, locate(number), rules), now)
            except InvalidData as exc:
                raise ImportFailed(str(exc)) from exc
        yield row


def rows_from_customers(
    environment_id: int, customers: Iterable[Any], now: int, rules: CustomerRules | None = None
) -> Iterator[tuple[Any, ...]]:
    """Insert-ready rows from customer dicts (checked and defaulted as by ``normalise_customer``)."""
    for customer in customers:
        yield _row(environment_id, normalise_customer(customer, rules=rules), now)


def read_copy_lines(
    stream: IO[bytes],
    *,
    name: str,
    environment_id: int,
    now: int,
    fmt: str | None = None,
    position: list[int] | None = None,
    rules: CustomerRules | None = None,
    encoding: str = "utf-8",
) -> Iterator[tuple[str, bytes]]:
    """(customer id, PostgreSQL COPY text line) from a binary stream; ImportFailed names a bad record."""
    records, locate = _records(stream, name, fmt, position if position is not None else [0], encoding)
    environment, now_digits = str(environment_id).encode(), str(now).encode()
    for number, record in records:
        fields = _checked_fields(record, rules)
        if fields is None:  # unusual input: the careful path coerces it or says exactly what is wrong
            try:
                customer = normalise_customer(record, locate(number), rules)
            except InvalidData as exc:
                raise ImportFailed(str(exc)) from exc
            fields = tuple(customer[key] for key in CUSTOMER_KEYS)
        yield fields[0], copy_line(environment, fields, now_digits)


def rules_argument(rules: CustomerRules | None) -> str:
    """``rules`` as a command-line argument of the reader process (JSON; empty for none)."""
    if rules is None:
        return ""
    return json.dumps({
        "plans": None if rules.plans is None else sorted(rules.plans),
        "credits": None if rules.credits is None else sorted(rules.credits),
    })


def rules_from_argument(text: str) -> CustomerRules | None:
    if not text:
        return None
    data = json.loads(text)
    return CustomerRules(
        plans=None if data["plans"] is None else frozenset(data["plans"]),
        credits=None if data["credits"] is None else frozenset(data["credits"]),
    )


# ---------------------------------------------------------------- writing

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(data: bytes | str) -> Any:
    """Strict JSON (no NaN or Infinity, numbers finite) by orjson, or the standard library made as strict."""
    if orjson is not None:
        return orjson.loads(data)
    value = json.loads(data, parse_constant=_reject_constant)
    return value


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    if not value:  # the common empty list/object, without a trip through the encoder
        return "[]" if isinstance(value, list) else "{}"
    if orjson is not None:
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # integers past 64 bits and the like: the standard encoder copes
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# A well-formed record's values in column order after environment_id (see _checked_fields).
CheckedFields = tuple[Any, ...]


_NUMBER_TYPES = (int, float)
# The usual keys of a meter: a meter with others goes the careful way, which checks them.
_PLAIN_METER_KEYS = 4


def _checked_fields(record: Any, rules: CustomerRules | None = None) -> CheckedFields | None:
    """A well-formed record's column values, checked with cheap type tests; None for anything unusual (the
    careful path, ``normalise_customer``, then accepts it or says what is wrong). The records come from orjson,
    so their numbers are finite and their integers fit 64 bits; ``rules`` name the known plans and credits."""
    plans, credits = (rules.plans, rules.credits) if rules is not None else (None, None)
    # Spelled out test by test (no generators): this runs once per imported customer.
    if type(record) is not dict:
        return None
    get = record.get
    customer_id, plan, kind, label = get("id"), get("plan", ""), get("type", "user"), get("label", "User")
    if type(customer_id) is not str or not customer_id or type(plan) is not str or type(kind) is not str:
        return None
    if type(label) is not str:
        return None
    if len(customer_id) > MAX_ID_CHARS or len(plan) > MAX_NAME_CHARS or len(kind) > MAX_NAME_CHARS:
        return None
    if len(label) > MAX_LABEL_CHARS or (plans is not None and plan and plan not in plans):
        return None
    alt_ids, refs, metadata = get("alt_ids", []), get("refs", []), get("metadata")
    if type(alt_ids) is not list or type(refs) is not list:
        return None
    if (alt_ids or refs) and any(type(v) is not str or not v or len(v) > MAX_ID_CHARS for v in alt_ids + refs):
        return None
    if metadata is not None and type(metadata) is not dict:
        return None
    overrides, caps, grants, meters = get("overrides", {}), get("caps", {}), get("grants", {}), get("meters", {})
    if type(overrides) is not dict or type(caps) is not dict or type(grants) is not dict or type(meters) is not dict:
        return None
    if overrides or caps:  # rare: their shapes are the careful path's to check
        return None
    for grant in grants.values():  # topup grants: common enough to check here
        if type(grant) is not dict:
            return None
        grant_get = grant.get
        credit, topup = grant_get("credit"), grant_get("topup")
        if type(credit) is not str or (credits is not None and credit not in credits):
            return None
        if type(grant_get("value")) not in _NUMBER_TYPES or (topup is not None and type(topup) is not str):
            return None
        for key in GRANT_NUMBER_FIELDS:
            value = grant_get(key)
            if value is not None and type(value) not in _NUMBER_TYPES:
                return None
    for meter in meters.values():
        if type(meter) is not dict or len(meter) > _PLAIN_METER_KEYS:
            return None
        meter_get = meter.get
        credit, overhead = meter_get("credit"), meter_get("overhead")
        if type(meter_get("started")) not in _NUMBER_TYPES or type(meter_get("value")) not in _NUMBER_TYPES:
            return None
        if (credit is not None and type(credit) is not str) or (
            overhead is not None and type(overhead) not in _NUMBER_TYPES
        ):
            return None
    created, updated = get("cloud_created"), get("cloud_updated")
    if created is not None and (type(created) is not int or not INT64_MIN <= created <= INT64_MAX):
        return None
    if updated is not None and (type(updated) is not int or not INT64_MIN <= updated <= INT64_MAX):
        return None
    return customer_id, plan, kind, label, alt_ids, refs, overrides, caps, grants, meters, metadata, created, updated


def _fast_row(
    environment_id: int, record: Any, now: int, rules: CustomerRules | None = None
) -> tuple[Any, ...] | None:
    """The row of a well-formed record; None for anything unusual."""
    fields = _checked_fields(record, rules)
    if fields is None:
        return None
    customer_id, plan, kind, label, *documents, created, updated = fields
    return (
        environment_id,
        customer_id,
        plan,
        kind,
        label,
        *(_dump(value) for value in documents),
        now if created is None else created,
        now if updated is None else updated,
    )


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


class _SqliteWriter:
    """Upserts batches with the driver's executemany in the caller's transaction."""

    def __init__(self, connection: Connection, environment_id: int, incoming_bytes: int | None = None) -> None:
        placeholders = ", ".join("?" for _ in COLUMNS)
        columns = ", ".join(f'"{c}"' for c in COLUMNS)
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in UPSERTED_COLUMNS)
        self._sql = (
            f"INSERT INTO customers ({columns}) "
            f"VALUES ({placeholders}) ON CONFLICT (environment_id, id) DO UPDATE SET {sets}, "
            "cloud_created = min(customers.cloud_created, excluded.cloud_created)"
        )
        self._cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        # A large page cache keeps the index B-trees in memory: it doubles bulk insert speed.
        self._cursor.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        self._cursor.executemany(self._sql, rows)

    def finish(self) -> None:
        pass


# A batch on its way to the writer: (rows, bytes of the source read so far).
Batch = tuple[list[tuple[Any, ...]], int]
# Anything with put(): a queue.Queue (reader thread) or a multiprocessing queue (reader process).
Sink = Any


def batch_rows(
    sink: Sink,
    rows: Iterable[tuple[Any, ...]],
    batch_size: int,
    position: list[int],
    stop: Any = None,
) -> None:
    """Group rows into batches for the writer (a repeated customer id in a batch: the last one wins); then
    None, or the exception that stopped the reading."""
    try:
        batch: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            batch[row[1]] = row
            if len(batch) >= batch_size:
                sink.put((list(batch.values()), position[0]))
                batch = {}
                if stop is not None and stop.is_set():
                    return
        if batch:
            sink.put((list(batch.values()), position[0]))
        sink.put(None)
    except BaseException as exc:  # handed to the writer, which raises it
        sink.put(exc)


class _ReaderProcess:
    """A ``segmentr.store.import_reader`` child whose pickled batches are read like a queue."""

    def __init__(
        self, path: str, name: str, fmt: str | None, environment_id: int, now: int, batch_size: int, output: str,
        rules: CustomerRules | None, encoding: str,
    ):
        self._args = [
            path, name, fmt or "", str(environment_id), str(now), str(batch_size), output, rules_argument(rules),
            encoding,
        ]
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "segmentr.store.import_reader", *self._args],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )

    def get(self) -> Any:
        assert self._process is not None and self._process.stdout is not None
        try:
            return pickle.load(self._process.stdout)
        except EOFError as exc:
            code = self._process.wait()
            raise ImportFailed(f"the import reader process ended unexpectedly (exit code {code})") from exc

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait(timeout=10)


def import_customer_records(
    *,
    engine: Engine,
    rows: Iterable[tuple[Any, ...]] | None = None,
    file: tuple[str, str, str | None, int, int] | None = None,
    position: list[int] | None = None,
    environment_id: int = 0,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int, int], None] | None = None,
    rules: CustomerRules | None = None,
    encoding: str = "utf-8",
    prelude: Callable[[Connection], Any] | None = None,
) -> int:
    """Upsert insert-ready rows in one transaction; returns how many records were written.

    ``rows`` are read by a thread while this one writes (the drivers release the GIL while the database
    works); a large ``file`` (path, name, format, environment id, now) is read by a separate interpreter
    (``segmentr.store.import_reader``), so parsing and writing use two cores; on PostgreSQL a file big next to
    the customers table has the table's secondary indexes rebuilt rather than maintained (``import_postgres``).
    ``on_batch(records written, bytes read)`` reports progress; ``rules`` and ``encoding`` go to a reader
    process; ``prelude(connection)`` runs first inside the same transaction (a policy version stored with the
    customers it carries: one commit or none).
    """
    stop = threading.Event()
    reader: threading.Thread | _ReaderProcess
    if file is not None:
        # For PostgreSQL the reader also encodes the COPY payload: the writer only streams bytes.
        output = "copy" if engine.dialect.name == "postgresql" else "rows"
        reader = batches = _ReaderProcess(*file, batch_size, output, rules, encoding)
    else:
        batches = queue.Queue(maxsize=4)
        reader = threading.Thread(
            target=batch_rows,
            args=(batches, rows or (), batch_size, position if position is not None else [0], stop),
            name="segmentr-import-reader",
            daemon=True,
        )
    count = 0
    with translate_errors(), engine.connect() as connection:
        connection = connection.execution_options(**{IMMEDIATE: True})
        try:
            with connection.begin():
                if prelude is not None:
                    prelude(connection)
                make_writer = _SqliteWriter if engine.dialect.name == "sqlite" else PostgresWriter
                incoming_bytes = os.path.getsize(file[0]) if file is not None else None
                writer = make_writer(connection, file[3] if file is not None else environment_id, incoming_bytes)
                reader.start()
                while True:
                    item = batches.get()
                    if item is None:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    batch, read = item
                    writer.write(batch)
                    count += batch.count if isinstance(batch, CopyBatch) else len(batch)
                    if on_batch:
                        on_batch(count, read)
                writer.finish()
        finally:
            if engine.dialect.name == "sqlite":  # back to the default page cache for the pooled connection
                connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    f"PRAGMA cache_size=-{SQLITE_DEFAULT_CACHE_KIB}"
                )
            _stop_reader(reader, batches, stop)
        if engine.dialect.name == "sqlite" and count >= TRUNCATE_WAL_AFTER:
            # A big import leaves a WAL file as large as the data (already checkpointed): give the disk back.
            connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    return count


def _stop_reader(reader: threading.Thread | _ReaderProcess, batches: Any, stop: threading.Event) -> None:
    stop.set()
    if isinstance(reader, _ReaderProcess):
        reader.stop()
        return
    while reader.is_alive():  # unblock a reader waiting on a full queue, then let it finish
        with contextlib.suppress(queue.Empty):
            batches.get_nowait()
        reader.join(timeout=0.05)


def open_source(source: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], str, int | None, bool]:
    """(binary stream, display name, size in bytes or None, whether we opened it and must close it)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            raise ImportFailed(f"{path}: a directory, not a file")
        if not path.is_file():
            raise ImportFailed(f"{path}: no such file")
        try:
            return open(path, "rb", buffering=1 << 20), str(path), path.stat().st_size, True
        except OSError as exc:
            raise ImportFailed(f"{path}: cannot read it ({exc.strerror})") from None
    name = str(getattr(source, "name", "<stream>"))
    if not hasattr(source, "peek"):  # format detection looks at the first bytes without consuming them
        source = io.BufferedReader(source)  # type: ignore[arg-type]
    return source, name, None, False
