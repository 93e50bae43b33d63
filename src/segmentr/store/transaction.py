"""The unit of work: one transaction per use case, across every repository it touches.

A use case (``segmentr.service``) opens one ``UnitOfWork``, calls repositories (keyword-only ``session=``
functions returning frozen records) on ``uow.session``, and the transaction commits once at the end or rolls
back entirely: a failure halfway leaves nothing behind. ``write=True`` is for use cases that write: on SQLite it
begins with ``BEGIN IMMEDIATE`` (the write lock up front, so two writers queue instead of failing on upgrade),
after the writers of this process have taken turns on one lock (``db.sqlite_writer``);
on PostgreSQL rows are locked where needed (``lock_customer`` uses ``SELECT … FOR UPDATE``).

``Store.run(work, write=…)`` runs a whole unit again when SQLite reports the database locked past its busy
timeout or PostgreSQL a deadlock: the unit is the thing that may safely be retried, not a statement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from segmentr.store.db import IMMEDIATE, _is_busy, sqlite_writer, translate_errors
from segmentr.store.errors import DatabaseError

if TYPE_CHECKING:
    from segmentr.policy.engine import Policy
    from segmentr.store.records import Environment
    from segmentr.store.store import Store

__all__ = ["UnitOfWork", "run_unit", "unit_of_work"]

T = TypeVar("T")


@dataclass
class UnitOfWork:
    """One open transaction of a use case: its ``session``, the time it started (``now``, epoch ms, one value
    for every write of the unit) and the store's shared caches (environment ids, loaded policies)."""

    store: Store
    session: Session
    now: int
    write: bool
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.store.dialect

    def environment(self, workspace_id: str, name: str) -> Environment:
        """The workspace's ``test`` or ``live`` environment (ids never change: cached by the store)."""
        return self.store.environment_record(workspace_id, name, session=self.session)

    def live_policy(self, environment_id: int) -> Policy:
        """The environment's live policy as of this transaction (cached per version, read from the database)."""
        from segmentr.store import policies

        version = policies.live_version(session=self.session, environment_id=environment_id)
        return self.store.policy_at(self.session, environment_id, version)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)


@contextmanager
def unit_of_work(store: Store, *, write: bool = False) -> Iterator[UnitOfWork]:
    """One transaction: committed when the block ends, rolled back (nothing kept) when it raises."""
    bind: Any = store.engine.execution_options(**{IMMEDIATE: True}) if write else store.engine
    with sqlite_writer(store.engine) if write else nullcontext(), translate_errors():
        session = Session(bind=bind, expire_on_commit=False)
        try:
            with session.begin():
                uow = UnitOfWork(store=store, session=session, now=store.now(), write=write)
                yield uow
        finally:
            session.close()
    for callback in uow._after_commit:
        callback()


def run_unit(store: Store, work: Callable[[UnitOfWork], T], *, write: bool = False, attempts: int = 20) -> T:
    """``work`` in one unit of work, run again from the start while the database is busy (see module doc)."""
    delay = 0.005
    for attempt in range(attempts):
        try:
            with unit_of_work(store, write=write) as uow:
                return work(uow)
        except DatabaseError as exc:
            if attempt == attempts - 1 or not _is_busy(exc.__cause__ or exc):
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")
