"""Shared fixtures: a SQLite file per test, a private PostgreSQL server per session, ``db_url`` over both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from segmentr_testkit.postgres import PostgresServer

__all__ = ["PostgresServer"]  # also imported from here by name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database on a private PostgreSQL server started for this test session.

    Fails loudly (never skips) when the server cannot start: CI installs PostgreSQL through `make test`.
    """
    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:
        server.stop()
        pytest.fail(f"could not start the private PostgreSQL server: {exc}", pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema on the session's server, chosen through the connection's search_path."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A real SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'segmentr.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("fresh_postgres_url"))
