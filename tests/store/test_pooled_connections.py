"""PostgreSQL's pooled connections: pinged only after idling (no round trip per unit of work), and a connection
dropped while idle (a restarted server, a proxy's timeout) is replaced before a unit of work uses it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event

from segmentr.store import Store, db

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(fresh_postgres_url: str) -> Iterator[Store]:
    with Store(fresh_postgres_url) as store:
        store.init()
        yield store


def _drop_the_pool_s_connections(url: str) -> int:
    """Terminate every other backend of this server (as a restart would), from outside the pool."""
    plain = url.split("?")[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'"
        ).fetchall()
    return len(rows)


def _pings(store: Store) -> list[int]:
    pinged: list[int] = []
    original = store.engine.dialect.do_ping

    def counting(dbapi_connection: object) -> bool:
        pinged.append(1)
        return original(dbapi_connection)

    store.engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return pinged


def test_a_busy_pool_is_not_pinged(pg_store: Store) -> None:
    pinged = _pings(pg_store)
    statements: list[str] = []
    event.listen(pg_store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(20):
        assert pg_store.count_customers("live") == 0
    assert pinged == []
    assert not any(statement.strip().upper() == "SELECT 1" for statement in statements)


def test_connections_dropped_while_idle_are_replaced_before_use(
    pg_store: Store, fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_store.create_customer("live", {"id": "c1"})
    assert pg_store.count_customers("live") == 1  # the pool holds a connection now
    assert _drop_the_pool_s_connections(fresh_postgres_url) >= 1
    monkeypatch.setattr(db, "IDLE_PING_S", 0.0)  # every pooled connection counts as idle: pinged, found dead
    pinged = _pings(pg_store)
    assert pg_store.count_customers("live") == 1
    pg_store.create_customer("live", {"id": "c2"})
    assert pg_store.count_customers("live") == 2
    assert pinged, "the idle connection was pinged before use"
