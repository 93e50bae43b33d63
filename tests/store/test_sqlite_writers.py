"""SQLite writers of one process take turns on one lock per file before ``BEGIN IMMEDIATE`` (instead of all
sleeping in SQLite's busy handler): concurrent write units all commit, every store on the file shares the lock,
and a writer kept waiting past the busy timeout fails as a busy database does."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from segmentr.store import DatabaseError, Store, rate_buckets
from segmentr.store.db import sqlite_writer


def test_concurrent_write_units_from_many_threads_all_commit(sqlite_url: str) -> None:
    with Store(sqlite_url) as store, Store(sqlite_url) as other:
        store.init()
        errors: list[BaseException] = []

        def lease(target: Store) -> None:
            try:
                for _ in range(25):
                    target.run(lambda uow: rate_buckets.lease(session=uow.session, bucket="b", want=1, rate=0.001,
                                                              burst=10_000, now=1), write=True)  # fmt: skip
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=lease, args=(store if i % 2 else other,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        left = store.run(lambda uow: rate_buckets.lease(session=uow.session, bucket="b", want=0, rate=0.001,
                                                        burst=10_000, now=1), write=True)  # fmt: skip
        assert left.tokens == 10_000 - 8 * 25


def test_every_store_on_a_file_shares_its_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    monkeypatch.setenv("SEGMENTR_BUSY_TIMEOUT", "0.3")
    with Store(url) as holder, Store(f"sqlite:///{tmp_path / '.' / 'one.db'}") as waiter:
        holder.init()
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with sqlite_writer(holder.engine):
                held.set()
                release.wait(10)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            assert held.wait(10)
            started = time.perf_counter()
            with (
                pytest.raises(DatabaseError, match=r"the database is busy: .* more than 0\.3s"),
                waiter.session(write=True),
            ):
                pass
            assert time.perf_counter() - started >= 0.25
            with waiter.session():  # readers never queue
                pass
        finally:
            release.set()
            thread.join(10)
        with waiter.session(write=True):  # the turn is free again
            pass
