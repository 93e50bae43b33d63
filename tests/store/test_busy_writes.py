"""A write during a long import waits for the lock up to the busy timeout (``SEGMENTR_BUSY_TIMEOUT``), then
says why; an import that finishes within it lets the write through. A real import holds the lock in a thread."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from store_fixtures import TINY_POLICY
from typer.testing import CliRunner

from segmentr.cli import _load_commands, app
from segmentr.store import DatabaseError, Store

_load_commands()
runner = CliRunner()


class SlowImport:
    """An import in a thread whose records stop coming after the first batch until released."""

    def __init__(self, url: str) -> None:
        self.store = Store(url)
        self.started = threading.Event()
        self.release = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _records(self) -> Iterator[dict[str, Any]]:
        yield {"id": "c1", "plan": "free"}
        yield {"id": "c2", "plan": "free"}
        self.started.set()
        self.release.wait(30)
        yield {"id": "c3", "plan": "free"}

    def _run(self) -> None:
        try:
            self.store.import_customer_dicts("live", self._records(), batch_size=1)
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def __enter__(self) -> SlowImport:
        self.thread.start()
        assert self.started.wait(30)
        time.sleep(0.2)  # the first batches are written: their rows (PostgreSQL) or the file (SQLite) are locked
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.thread.join(30)
        self.store.close()
        assert not self.errors, self.errors


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SEGMENTR_DATABASE_URL", db_url)
    with Store(db_url) as store:
        store.init()
        store.put_policy("live", TINY_POLICY)
    return db_url


def _carrying_c1() -> dict[str, Any]:
    document = copy.deepcopy(TINY_POLICY)
    document["policy"]["customers"] = {"c1": {"plan": "pro"}}
    return document


def test_a_write_during_a_long_import_gives_up_after_the_busy_timeout(
    database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("SEGMENTR_BUSY_TIMEOUT", "0.5")
    with SlowImport(database):
        with Store(database) as writer:
            started = time.perf_counter()
            with pytest.raises(DatabaseError, match=r"the database is busy: .* more than 0\.5s"):
                writer.put_policy("live", _carrying_c1())  # its carried customer is being imported
            assert time.perf_counter() - started >= 0.45
            assert writer.policy_versions("live") == [1]
        if database.startswith("sqlite"):  # one writer at a time: any write waits, a segment's too
            started = time.perf_counter()
            result = runner.invoke(app, ["segments", "create", "Growth", "--simple", "plan==free"])
            assert result.exit_code == 1 and time.perf_counter() - started >= 0.45
            assert result.output.startswith("error: the database is busy") and "Traceback" not in result.output
            assert result.output.count("\n") == 1
    with Store(database) as store:
        assert store.count_customers("live") == 3 and store.policy_versions("live") == [1]
        assert store.list_segments(store.default_workspace().id) == []


def test_a_write_waits_for_an_import_that_ends_within_the_timeout(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGMENTR_BUSY_TIMEOUT", "20")
    with SlowImport(database) as slow:
        threading.Timer(0.5, slow.release.set).start()
        started = time.perf_counter()
        with Store(database) as writer:
            assert writer.put_policy("live", _carrying_c1()) == 2
        assert time.perf_counter() - started >= 0.4
    with Store(database) as store:
        assert store.get_customer("live", "c1")["plan"] == "pro"  # written after the import's own c1


def test_a_busy_timeout_that_is_not_seconds_is_refused(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("SEGMENTR_BUSY_TIMEOUT", "soon")
    with pytest.raises(DatabaseError, match="SEGMENTR_BUSY_TIMEOUT='soon': expected seconds"):
        Store(sqlite_url)
