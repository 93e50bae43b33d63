"""Engine and transactions: SQLite (embedded default, WAL) or PostgreSQL (psycopg 3), errors translated."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from segmentr.store.errors import AlreadyExists, DatabaseError, InvalidData, StoreError

__all__ = [
    "busy_retry",
    "database_url",
    "make_engine",
    "sqlite_writer",
    "translate_errors",
]

T = TypeVar("T")

DATABASE_URL_ENV = "SEGMENTR_DATABASE_URL"
HOME_ENV = "SEGMENTR_HOME"
SQLITE_BUSY_TIMEOUT_S = 30.0
# How long a write waits for another's lock (SQLite's busy timeout, PostgreSQL's lock_timeout), in seconds.
BUSY_TIMEOUT_ENV = "SEGMENTR_BUSY_TIMEOUT"
# Execution option asking the SQLite begin hook for BEGIN IMMEDIATE (takes the write lock up front).
IMMEDIATE = "segmentr_sqlite_immediate"


def database_url() -> str:
    """``SEGMENTR_DATABASE_URL``, else the embedded SQLite file ``$SEGMENTR_HOME/segmentr.db``."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if url:
        return normalise_url(url)
    home = Path(os.environ.get(HOME_ENV) or Path.home() / ".segmentr").expanduser()
    return f"sqlite:///{home / 'segmentr.db'}"


def normalise_url(url: str) -> str:
    """Route plain ``postgresql://`` / ``postgres://`` URLs through psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def busy_timeout_s() -> float:
    """``SEGMENTR_BUSY_TIMEOUT`` seconds (default 30): how long a write waits for a lock before it gives up."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not text:
        return SQLITE_BUSY_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        raise DatabaseError(f"{BUSY_TIMEOUT_ENV}={text!r}: expected seconds, e.g. 30") from None
    if not 0 <= seconds <= 24 * 3600:
        raise DatabaseError(f"{BUSY_TIMEOUT_ENV}={text!r}: expected 0 to 86400 seconds")
    return seconds


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`); the SQLite file's folder is created on first use."""
    url = normalise_url(url) if url else database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(url)
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def _json_loads() -> Any:
    """The fastest JSON decoder available: reading customer rows is mostly decoding their JSON columns."""
    try:
        import orjson
    except ImportError:  # orjson is a declared dependency; the standard library still works without it
        import json

        return json.loads
    return orjson.loads


# A pooled PostgreSQL connection idle longer than this is pinged before use (a restarted server or a proxy's
# idle timeout drops connections). Pinging on every checkout, as ``pool_pre_ping`` does, costs a round trip per
# unit of work; a connection that dies within this window fails its statement, and the pool then drops every
# connection of that age (SQLAlchemy's disconnect handling), so the next unit starts on fresh ones.
IDLE_PING_S = 5.0


def _json_dumps(value: Any) -> str:
    """JSON for a JSON column, refusing NaN and the infinities: the standard encoder writes them as bare tokens
    that no JSON reader accepts, so a row holding one could never be read again (a guard behind the service's
    own checks of what callers send)."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise InvalidData(f"not storable as JSON: {exc}") from exc


def _postgres_engine(url: str) -> Engine:
    engine = create_engine(url, json_serializer=_json_dumps, json_deserializer=_json_loads())
    timeout_ms = int(busy_timeout_s() * 1000)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()  # the ping began a transaction: the unit begins its own
        except Exception as exc:
            raise sa_exc.DisconnectionError("a pooled connection was dropped while idle") from exc

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A write blocked by another's row or table lock (a long import) gives up after the busy timeout,
        # as on SQLite, instead of waiting for ever.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {timeout_ms}")
        dbapi_connection.commit()

    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    timeout_s = busy_timeout_s()
    engine = create_engine(
        url, connect_args={"timeout": timeout_s}, json_serializer=_json_dumps, json_deserializer=_json_loads()
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is off so that BEGIN (IMMEDIATE) is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is safe in WAL mode (no corruption); only the last commits may be lost on power failure.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# One lock per SQLite file for the writers of this process (see ``sqlite_writer``).
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


@contextmanager
def _held(lock: threading.RLock) -> Iterator[None]:
    if not lock.acquire(timeout=busy_timeout_s()):
        raise DatabaseError(busy_message())
    try:
        yield
    finally:
        lock.release()


def sqlite_writer(engine: Engine) -> Any:
    """A context that makes this process's writers of one SQLite file take turns before ``BEGIN IMMEDIATE``.

    Threads that all wait on SQLite's own busy handler sleep in growing steps and wake in no order: under
    concurrent writes a few of them starve for a second or more. Queued on one lock in the process, each waits
    only for the writes ahead of it; other processes are still held off by the file lock. PostgreSQL (row
    locks) needs no such thing: a null context.
    """
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:":
        return nullcontext()
    with _SQLITE_WRITERS_LOCK:
        lock = _SQLITE_WRITERS.setdefault(os.path.abspath(database), threading.RLock())
    return _held(lock)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn SQLAlchemy/driver errors into :mod:`segmentr.store.errors` (store errors pass through)."""
    try:
        yield
    except StoreError:
        raise
    except sa_exc.IntegrityError as exc:
        message = _first_line(exc)
        if "unique" in message.lower() or "duplicate key" in message.lower():
            raise AlreadyExists(message) from exc
        raise InvalidData(message) from exc
    except sa_exc.OperationalError as exc:
        if _waited_too_long(exc):
            raise DatabaseError(busy_message()) from exc
        raise DatabaseError(_first_line(exc)) from exc
    except sa_exc.StatementError as exc:
        if isinstance(exc.orig, StoreError):  # raised while binding a parameter (``_json_dumps``)
            raise exc.orig from exc
        raise DatabaseError(_first_line(exc)) from exc
    except sa_exc.SQLAlchemyError as exc:
        raise DatabaseError(_first_line(exc)) from exc
    except Exception as exc:
        # The import writers use the drivers' own cursors (COPY, executemany): their errors arrive untranslated.
        if not type(exc).__module__.startswith(("psycopg", "sqlite3")):
            raise
        if _waited_too_long(exc):
            raise DatabaseError(busy_message()) from exc
        message = _first_line(exc)
        if "unique" in message.lower() or "duplicate key" in message.lower():
            raise AlreadyExists(message) from exc
        raise DatabaseError(message) from exc


def busy_message() -> str:
    """Why a write gave up: another write (an import, most likely) held the lock past the busy timeout."""
    return (
        f"the database is busy: another write (a long import?) held its lock for more than {busy_timeout_s():g}s; "
        f"try again when it has finished, or wait longer with {BUSY_TIMEOUT_ENV}=SECONDS"
    )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _is_busy(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text or "deadlock detected" in text


def _waited_too_long(exc: BaseException) -> bool:
    """SQLite's busy timeout or PostgreSQL's lock_timeout ran out."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text or "lock timeout" in text


def busy_retry(work: Callable[[], T], *, attempts: int = 20) -> T:
    """Run ``work`` again when SQLite reports the database locked (or PostgreSQL a deadlock), with backoff."""
    delay = 0.005
    for attempt in range(attempts):
        try:
            return work()
        except sa_exc.OperationalError as exc:
            if not _is_busy(exc) or attempt == attempts - 1:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")
